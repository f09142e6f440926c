#include "cli/cli11.hpp"
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cli/cmd_pkg_list_report.hpp"
#include "cli/context.hpp"
#include "cli/documents.hpp"
#include "cli/serve_endpoints.hpp"
#include "core/process.hpp"
#include "net/http_server.hpp"
#include "pkg/detect/detect.hpp"
#include "pkg/inventory/inventory.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

using namespace std::chrono_literals;

struct ServeOptions {
    std::string listen = "127.0.0.1:7878";
    bool allow_remote = false;
    std::string token_file;
    int grace_seconds = 10;
    int threads = 1;
};

// The host part of HOST:PORT / [HOST]:PORT, as written.
std::string host_of(const std::string& address) {
    if (!address.empty() && address.front() == '[') {
        return address.substr(1, address.find(']') - 1);
    }
    return address.substr(0, address.rfind(':'));
}

// The port of HOST:PORT / [HOST]:PORT as a number; 0 when it is 0 or not a port (listen() refuses that).
std::uint16_t port_of(const std::string& address) {
    std::string_view text = std::string_view(address).substr(address.rfind(':') + 1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size() && value <= 65535
               ? static_cast<std::uint16_t>(value)
               : 0;
}

bool is_loopback(const std::string& host) {
    return host == "localhost" || net::is_loopback_address(host);
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
    const std::string shown = util::sanitize_for_display(path);
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        raise_usage("the token file " + shown + " must be a regular file");
    }
    if (st.st_uid != ::geteuid()) {
        ::close(fd);
        raise_usage("the token file " + shown + " is owned by uid " + std::to_string(st.st_uid) +
                        ", not by this user (uid " + std::to_string(::geteuid()) + ")",
                    "create it as the user who runs zsyncctl serve, readable by nobody else");
    }
    if ((st.st_mode & 077) != 0) {
        ::close(fd);
        raise_usage("the token file " + shown + " can be read or written by group or others",
                    "chmod 600 " + shown);
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

// The credentials of an Authorization value "Bearer TOKEN": the scheme compares case-insensitively and
// one or more spaces follow it (RFC 9110 sections 11.1, 11.4); nullopt for another scheme.
std::optional<std::string_view> bearer_credentials(std::string_view authorization) {
    std::size_t space = authorization.find(' ');
    if (space == std::string_view::npos || !util::iequals(authorization.substr(0, space), "Bearer")) {
        return std::nullopt;
    }
    std::size_t start = authorization.find_first_not_of(' ', space);
    return start == std::string_view::npos ? std::string_view() : authorization.substr(start);
}

bool same_secret(std::string_view a, std::string_view b) {
    // Compare in time independent of where the first difference is.
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < b.size(); ++i) {
        diff |= static_cast<unsigned char>(a[i % (a.empty() ? 1 : a.size())] ^ b[i]);
    }
    return diff == 0 && !a.empty();
}

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
    if (options.threads < 1 || options.threads > 64) {
        raise_usage("--threads must be between 1 and 64");
    }
    if (options.grace_seconds < 0 || options.grace_seconds > 3600) {
        raise_usage("--grace must be between 0 and 3600 seconds");
    }

    core::Runtime& runtime = context.server_runtime();
    core::EventLoop& loop = context.loop();

    auto shared = std::make_shared<ServeShared>();
    shared->loop = &loop;
    shared->pool = runtime.pool();
    shared->runtime = &runtime;
    shared->root = context.root();
    shared->use_cache = !context.options.no_cache;
    // The doctor of `zsyncctl [the same global options] doctor`: this process's backend, asked for as it was.
    shared->doctor = doctor_request(context);
    shared->io_backend = std::string(core::to_string(loop.backend()));

    auto router = std::make_shared<net::HttpRouter>();
    router->route("GET", "/healthz", [](const net::HttpRequest&, net::HttpResponder res) {
        res.send(200, "{\"status\":\"ok\"}\n", serve_json_headers());
    });
    router->route("GET", "/", serve_page_endpoint());
    router->route("GET", "/metrics", serve_metrics_endpoint(shared));
    // The documents of `zsyncctl --json doctor`, `pkg managers`, `pkg paths`, `pkg list` and `pkg outdated`,
    // built in process by the commands' own functions. The inventory's exit statuses 3 ("a manager could
    // not be read") and 100 ("some package is outdated") are in the document (each manager's status).
    router->route("GET", "/v1/doctor",
                  serve_document_endpoint(shared, [shared](const core::CancellationToken&) {
                      return doctor_document(shared->doctor);
                  }));
    router->route(
        "GET", "/v1/managers", serve_document_endpoint(shared, [shared](const core::CancellationToken&) {
            auto detection = pkg::detect_managers(pkg::DetectContext::current(shared->root),
                                                  shared->use_cache ? pkg::UseCache::yes : pkg::UseCache::no);
            return managers_document(detection, {}, false);
        }));
    router->route("GET", "/v1/paths",
                  serve_document_endpoint(shared, [shared](const core::CancellationToken&) {
                      auto detect_context = pkg::DetectContext::current(shared->root);
                      auto detection = pkg::detect_managers(
                          detect_context, shared->use_cache ? pkg::UseCache::yes : pkg::UseCache::no);
                      // What `pkg paths` warns about on stderr has no place in the document.
                      return paths_document(manager_paths(*shared->runtime, detect_context, detection, {},
                                                          false, [](const std::string&) {}));
                  }));
    for (auto kind : {pkg::InventoryKind::list, pkg::InventoryKind::outdated}) {
        router->route("GET", kind == pkg::InventoryKind::list ? "/v1/list" : "/v1/outdated",
                      serve_document_endpoint(shared, [shared, kind](const core::CancellationToken& token) {
                          pkg::InventoryRequest request;
                          request.kind = kind;
                          request.root = shared->root;
                          request.use_cache = shared->use_cache;
                          request.runtime = shared->runtime;
                          auto reports = pkg::run_inventory(request, token);
                          if (!reports) {
                              raise(std::move(reports).error());
                          }
                          return inventory_document(kind, *reports);
                      }));
    }
    router->route("GET", "/v1/info", serve_info_endpoint(shared));
    router->route("GET", "/v1/search", serve_search_endpoint(shared));
    // On loopback without --allow-remote there may be no token, and a web page whose own name an attacker
    // re-points at 127.0.0.1 (DNS rebinding) could read these documents and start searches from the
    // user's browser, which sends that name as Host. So every path (one rule, /healthz too) answers only
    // requests whose Host names the loopback listener by a name no DNS answer can change.
    // The refusal is 421 Misdirected Request (RFC 9110 section 15.5.20: this server does not answer for
    // the name the request was sent to) rather than 403 Forbidden: nothing is refused for who asks (that
    // is the token's 401), and the same request sent to 127.0.0.1 or localhost is answered. Like the 401
    // it keeps the connection: every request on it is checked.
    // With --allow-remote the server answers to whatever name it is reached by, so Host is not checked:
    // the token required there is what keeps a page out (it cannot know the token, and a browser never
    // adds one on its own).
    const bool check_host = !options.allow_remote;
    const std::uint16_t listen_port = port_of(options.listen);
    net::HttpHandler handler = [router, token, shared, check_host, listen_port](const net::HttpRequest& req,
                                                                                net::HttpResponder res) {
        if (check_host) {
            // Port 0 asked for: the port chosen, known once the server is listening (before that, which
            // only another --threads loop could see for an instant, nothing is accepted).
            std::uint16_t port = listen_port;
            if (port == 0) {
                net::HttpServer* server = shared->live_server.load();
                port = server != nullptr ? server->port() : 0;
            }
            if (port == 0 || !net::http_request_is_for_loopback(req, port)) {
                std::string p = std::to_string(port);
                res.send(421,
                         serve_error_json("permission_denied",
                                          "the Host field must name this loopback server: 127.0.0.1, "
                                          "localhost or [::1], with the port or without",
                                          "use http://127.0.0.1:" + p + "/ or http://localhost:" + p + "/"),
                         serve_json_headers());
                return;
            }
        }
        // The page itself holds no data: it is served without the token and asks for it.
        if (!token.empty() && req.path != "/healthz" && req.path != "/") {
            auto auth = req.header("authorization");
            auto credentials = auth ? bearer_credentials(*auth) : std::nullopt;
            if (!credentials || !same_secret(token, *credentials)) {
                res.send(401, serve_error_json("permission_denied", "a bearer token is required"),
                         {{"Content-Type", "application/json"}, {"WWW-Authenticate", "Bearer"}});
                return;
            }
        }
        router->handle(req, std::move(res));
    };

    // The server lives on the loop thread: created, shut down and destroyed there.
    core::Promise<std::string> started;
    core::Future<std::string> started_future = started.future();
    core::Promise<bool> stopped;
    core::Future<bool> stopped_future = stopped.future();
    auto stopped_ptr = std::make_shared<core::Promise<bool>>(std::move(stopped));
    net::HttpServerOptions server_options;
    server_options.threads = static_cast<std::size_t>(options.threads);
    loop.post([&loop, shared, handler = std::move(handler), address = options.listen, server_options,
               started = std::move(started)]() mutable {
        auto made = net::HttpServer::listen(loop, address, std::move(handler), server_options);
        if (!made) {
            started.set(util::fail(std::move(made).error()));
            return;
        }
        shared->server = std::move(*made);
        shared->live_server.store(shared->server.get());
        started.set(shared->server->address());
    });
    auto bound = started_future.wait();
    if (!bound) {
        raise(std::move(bound).error());
    }
    context.out.line("zsyncctl: serving on http://" + *bound);
    std::fflush(stdout); // a file or a terminal too: whoever started us waits for this line

    // A stop signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT) cancels the root token: stop accepting, let requests
    // in progress finish (a second signal ends the process at once: the signal monitor's default), then
    // return.
    auto grace = std::chrono::seconds(options.grace_seconds);
    runtime.token().on_cancel([&loop, shared, stopped_ptr, grace] {
        loop.post([shared, stopped_ptr, grace] {
            if (!shared->server) {
                stopped_ptr->set(true);
                return;
            }
            shared->server->shutdown(
                grace, [shared, stopped_ptr] { stopped_ptr->set(!shared->server->shutdown_forced()); });
        });
    });
    auto drained = stopped_future.wait();
    // A request cut at the deadline cancelled its search (whose manager processes are killed and reaped
    // before it settles) or its document's token. Both report to the loop the request came in on, so they
    // must end before the server's loops go away (they keep running until the server is destroyed, so the
    // end is handled there).
    for (int i = 0; i < 500 && shared->outstanding.load() > 0; ++i) {
        std::this_thread::sleep_for(20ms);
    }
    const bool children_ended = shared->outstanding.load() == 0;
    core::Promise<void> destroyed;
    core::Future<void> destroyed_future = destroyed.future();
    loop.post([shared, children_ended, destroyed = std::move(destroyed)]() mutable {
        shared->live_server.store(nullptr);
        if (children_ended) {
            shared->server.reset();
        } else {
            // A search or document still runs on one of the server's loops after 10 s: destroying them now
            // would leave it a dangling loop. The process is about to exit; leave both to the exit.
            (void)shared->server.release();
        }
        destroyed.set(util::ok());
    });
    (void)destroyed_future.wait_for(5s);
    if (drained && *drained && shared->outstanding.load() == 0) {
        // Every request in progress was answered: a clean stop, not an interruption.
        context.signal_handled();
        return ExitCode::success;
    }
    return ExitCode::interrupted;
}

} // namespace

void register_serve(CLI::App& app, Context& context) {
    auto options = std::make_shared<ServeOptions>();
    auto* cmd = app.add_subcommand(
        "serve", "Serve doctor, managers, paths and search as a local JSON API and web page over HTTP");
    cmd->add_option("--listen", options->listen,
                    "Address to listen on (default 127.0.0.1:7878; port 0 picks one)")
        ->option_text("HOST:PORT");
    cmd->add_flag("--allow-remote", options->allow_remote,
                  "Allow a non-loopback --listen address and any Host name (needs --token-file)");
    cmd->add_option("--token-file", options->token_file,
                    "Require 'Authorization: Bearer TOKEN' with the token in FILE (mode 600, ours)")
        ->option_text("FILE");
    cmd->add_option("--grace", options->grace_seconds,
                    "Seconds that requests in progress get to finish after a stop signal (default 10)")
        ->option_text("SECONDS");
    cmd->add_option("--threads", options->threads,
                    "Event loop threads serving connections, 1 to 64 (default 1: the main loop only)")
        ->option_text("N");
    cmd->footer("Exit status: 0 stopped by a signal with every request answered, 1 the server failed (the\n"
                "address in use), 2 usage or bad input, 130/143/129/131 SIGINT/SIGTERM/SIGHUP/SIGQUIT whose\n"
                "--grace period cut requests in progress (or a second signal).");
    cmd->final_callback([&context, options] {
        context.set_action([&context, options] { return run_serve(context, *options); });
    });
}

} // namespace zsyncctl::cli
