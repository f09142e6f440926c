#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cli/context.hpp"
#include "cli/json.hpp"
#include "core/process.hpp"
#include "net/http_server.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

using namespace std::chrono_literals;

struct ServeOptions {
    std::string listen = "127.0.0.1:7878";
    bool allow_remote = false;
    std::string token_file;
    int grace_seconds = 10;
};

// The host part of HOST:PORT / [HOST]:PORT, as written.
std::string host_of(const std::string& address) {
    if (!address.empty() && address.front() == '[') {
        return address.substr(1, address.find(']') - 1);
    }
    return address.substr(0, address.rfind(':'));
}

bool is_loopback(const std::string& host) {
    if (host == "localhost") {
        return true;
    }
    in_addr v4{};
    if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
        return (ntohl(v4.s_addr) >> 24) == 127;
    }
    in6_addr v6{};
    return ::inet_pton(AF_INET6, host.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

// The bearer token: a regular file owned by us and readable by nobody else (anyone who can read it can
// use the API), one non-empty line.
std::string read_token(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        raise_usage("cannot open the token file " + util::sanitize_for_display(path) + ": " +
                    std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() ||
        (st.st_mode & 077) != 0) {
        ::close(fd);
        raise_usage("the token file " + util::sanitize_for_display(path) +
                        " must be a regular file owned by this user with no group or other access",
                    "chmod 600 it");
    }
    std::string text;
    char buf[512];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() < 4096) {
        text.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    std::string token(util::trim(text));
    if (token.empty() || token.find_first_of("\r\n") != std::string::npos) {
        raise_usage("the token file " + util::sanitize_for_display(path) + " must hold one non-empty line");
    }
    return token;
}

bool same_secret(std::string_view a, std::string_view b) {
    // Compare in time independent of where the first difference is.
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < b.size(); ++i) {
        diff |= static_cast<unsigned char>(a[i % (a.empty() ? 1 : a.size())] ^ b[i]);
    }
    return diff == 0 && !a.empty();
}

const std::vector<net::HttpHeader>& json_headers() {
    static const std::vector<net::HttpHeader> headers{{"Content-Type", "application/json"},
                                                      {"Cache-Control", "no-store"}};
    return headers;
}

std::string error_json(std::string_view kind, std::string_view message) {
    return json_text({{"error", {{"kind", kind}, {"message", message}}}}) + "\n";
}

// The JSON endpoints run this binary's own command (`zsyncctl --json <command>`) as a child: the same
// code path, options and schema as the CLI, and a crash or hang in one request cannot take the server
// down. The client leaving cancels the child.
class CommandEndpoint {
public:
    /// Main thread (reads the context once); the call operator runs on the loop thread.
    CommandEndpoint(Context& context, const std::vector<std::string>& command) : m_loop(&context.loop()) {
        m_argv = {"/proc/self/exe", "--json", "--color", "never"};
        const GlobalOptions& o = context.options;
        if (o.root) {
            m_argv.push_back("--root");
            m_argv.push_back(*o.root);
        }
        if (o.no_cache) {
            m_argv.push_back("--no-cache");
        }
        m_argv.push_back("--io-backend");
        m_argv.push_back(std::string(core::to_string(context.io_backend())));
        m_argv.insert(m_argv.end(), command.begin(), command.end());
    }

    void operator()(const net::HttpRequest& /*request*/, net::HttpResponder responder) {
        core::ProcessSpec spec;
        spec.argv = m_argv;
        spec.timeout = 120s;
        // Not a child of the root token: SIGTERM lets requests in progress finish; the client leaving (or
        // the grace deadline closing the connection) ends the command.
        core::CancellationToken token;
        responder.on_close([token] { token.cancel(); });
        core::EventLoop* loop = m_loop;
        core::spawn_process(*loop, std::move(spec), token)
            .on_complete([loop, responder](util::Result<core::ProcessResult> result) mutable {
                loop->post([responder, result = std::move(result)]() mutable {
                    if (!result) {
                        responder.send(
                            500, error_json(util::to_string(result.error().kind), result.error().message),
                            json_headers());
                        return;
                    }
                    const core::ProcessResult& r = *result;
                    // Exit 1 is "ran, and found problems" (doctor's failed checks): still the document.
                    if (r.outcome == core::ProcessOutcome::exited && (r.exit_code == 0 || r.exit_code == 1) &&
                        !r.stdout_text.empty()) {
                        responder.send(200, r.stdout_text, json_headers());
                        return;
                    }
                    responder.send(500, error_json("command_failed", r.describe() + ": " + r.stderr_text),
                                   json_headers());
                });
            });
    }

private:
    core::EventLoop* m_loop;
    std::vector<std::string> m_argv;
};

ExitCode run_serve(Context& context, const ServeOptions& options) {
    std::string host = host_of(options.listen);
    if (!options.allow_remote && !is_loopback(host)) {
        raise_usage("refusing to serve on " + util::sanitize_for_display(options.listen) +
                        ": not a loopback address",
                    "listen on 127.0.0.1 or ::1, or pass --allow-remote with --token-file");
    }
    std::string token;
    if (options.allow_remote) {
        if (options.token_file.empty()) {
            raise_usage("--allow-remote needs --token-file: a remote API without a token is refused");
        }
    }
    if (!options.token_file.empty()) {
        token = read_token(options.token_file);
    }
    if (options.grace_seconds < 0 || options.grace_seconds > 3600) {
        raise_usage("--grace must be between 0 and 3600 seconds");
    }

    core::Runtime& runtime = context.runtime();
    core::EventLoop& loop = context.loop();

    auto router = std::make_shared<net::HttpRouter>();
    router->route("GET", "/healthz", [](const net::HttpRequest&, net::HttpResponder res) {
        res.send(200, "{\"status\":\"ok\"}\n", json_headers());
    });
    router->route("GET", "/v1/doctor", CommandEndpoint(context, {"doctor"}));
    router->route("GET", "/v1/managers", CommandEndpoint(context, {"pkg", "managers"}));
    router->route("GET", "/v1/paths", CommandEndpoint(context, {"pkg", "paths"}));
    net::HttpHandler handler = [router, token](const net::HttpRequest& req, net::HttpResponder res) {
        if (!token.empty() && req.path != "/healthz") {
            auto auth = req.header("authorization");
            if (!auth || auth->substr(0, 7) != "Bearer " || !same_secret(token, auth->substr(7))) {
                res.send(401, error_json("permission_denied", "a bearer token is required"),
                         {{"Content-Type", "application/json"}, {"WWW-Authenticate", "Bearer"}});
                return;
            }
        }
        router->handle(req, std::move(res));
    };

    // The server lives on the loop thread: created, shut down and destroyed there.
    std::shared_ptr<std::unique_ptr<net::HttpServer>> server =
        std::make_shared<std::unique_ptr<net::HttpServer>>();
    core::Promise<std::string> started;
    core::Future<std::string> started_future = started.future();
    core::Promise<void> stopped;
    core::Future<void> stopped_future = stopped.future();
    auto stopped_ptr = std::make_shared<core::Promise<void>>(std::move(stopped));
    loop.post([&loop, server, handler = std::move(handler), address = options.listen,
               started = std::move(started)]() mutable {
        auto made = net::HttpServer::listen(loop, address, std::move(handler));
        if (!made) {
            started.set(util::fail(std::move(made).error()));
            return;
        }
        *server = std::move(*made);
        started.set((*server)->address());
    });
    auto bound = started_future.wait();
    if (!bound) {
        raise(std::move(bound).error());
    }
    context.out.line("zsyncctl: serving on http://" + *bound);
    std::fflush(stdout); // a file or a terminal too: whoever started us waits for this line

    // SIGINT/SIGTERM cancel the root token: stop accepting, let requests in progress finish, then return.
    auto grace = std::chrono::seconds(options.grace_seconds);
    runtime.token().on_cancel([&loop, server, stopped_ptr, grace] {
        loop.post([server, stopped_ptr, grace] {
            if (!*server) {
                stopped_ptr->set(util::ok());
                return;
            }
            (*server)->shutdown(grace, [server, stopped_ptr] { stopped_ptr->set(util::ok()); });
        });
    });
    auto waited = stopped_future.wait();
    core::Promise<void> destroyed;
    core::Future<void> destroyed_future = destroyed.future();
    loop.post([server, destroyed = std::move(destroyed)]() mutable {
        server->reset();
        destroyed.set(util::ok());
    });
    (void)destroyed_future.wait_for(5s);
    (void)waited;
    return ExitCode::success;
}

} // namespace

void register_serve(CLI::App& app, Context& context) {
    auto options = std::make_shared<ServeOptions>();
    auto* cmd = app.add_subcommand("serve", "Serve doctor, managers and paths as a local JSON API over HTTP");
    cmd->add_option("--listen", options->listen,
                    "Address to listen on (default 127.0.0.1:7878; port 0 picks one)")
        ->option_text("HOST:PORT");
    cmd->add_flag("--allow-remote", options->allow_remote,
                  "Allow a non-loopback --listen address (needs --token-file)");
    cmd->add_option("--token-file", options->token_file,
                    "Require 'Authorization: Bearer TOKEN' with the token in FILE (mode 600, ours)")
        ->option_text("FILE");
    cmd->add_option("--grace", options->grace_seconds,
                    "Seconds that requests in progress get to finish after SIGINT/SIGTERM (default 10)")
        ->option_text("SECONDS");
    cmd->final_callback([&context, options] {
        context.set_action([&context, options] { return run_serve(context, *options); });
    });
}

} // namespace zsyncctl::cli
