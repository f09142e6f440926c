#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/context.hpp"
#include "cli/json.hpp"
#include "net/http_client.hpp"

namespace zsyncctl::cli {

namespace {

struct FetchOptions {
    std::string url;
    std::string output;
    double timeout_seconds = 300;
    std::uint64_t max_size = 0;
};

// Writes every byte or fails with the errno.
util::Result<void> write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return util::fail(util::errno_error("write", errno));
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return util::ok();
}

// The download target: stdout, or a temporary file next to -o that is renamed over it on success.
class Sink {
public:
    explicit Sink(const std::string& output) : m_output(output) {
        if (output.empty() || output == "-") {
            m_fd = STDOUT_FILENO;
            return;
        }
        std::filesystem::path target(output);
        std::error_code ec;
        auto status = std::filesystem::status(target, ec);
        if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
            // /dev/null, a FIFO, a terminal: write to it directly, never rename over it.
            m_fd = ::open(output.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
            if (m_fd < 0) {
                raise(util::errno_error("cannot open " + output, errno));
            }
            m_direct = true;
            return;
        }
        m_temp = target.parent_path() / ("." + target.filename().string() + ".zsyncctl-XXXXXX");
        std::string templ = m_temp.string();
        m_fd = ::mkostemp(templ.data(), O_CLOEXEC);
        if (m_fd < 0) {
            raise(util::errno_error("cannot create a file next to " + output, errno));
        }
        m_temp = templ;
    }
    ~Sink() {
        if (m_direct) {
            ::close(m_fd);
        } else if (!m_temp.empty()) {
            ::close(m_fd);
            ::unlink(m_temp.c_str()); // still here only when the download failed
        }
    }
    Sink(const Sink&) = delete;
    Sink& operator=(const Sink&) = delete;

    util::Result<void> write(std::string_view chunk) { return write_all(m_fd, chunk); }

    util::Result<void> commit() {
        if (m_temp.empty()) {
            return util::ok();
        }
        if (::fsync(m_fd) != 0) {
            return util::fail(util::errno_error("fsync " + m_output, errno));
        }
        ::fchmod(m_fd, 0644);
        if (::rename(m_temp.c_str(), m_output.c_str()) != 0) {
            return util::fail(util::errno_error("rename to " + m_output, errno));
        }
        m_temp.clear();
        ::close(m_fd);
        return util::ok();
    }

private:
    std::string m_output;
    std::filesystem::path m_temp;
    int m_fd = -1;
    bool m_direct = false;
};

ExitCode run_fetch(Context& context, const FetchOptions& options) {
    if (options.timeout_seconds < 0) {
        raise_usage("--timeout must not be negative");
    }
    auto client = net::HttpClient::create(context.runtime());
    if (!client) {
        raise(client.error());
    }
    Sink sink(options.output);
    bool show_progress = !options.output.empty() && options.output != "-" && context.out.stderr_is_tty() &&
                         !context.out.quiet() && !context.out.json();
    net::Request request;
    request.url = options.url;
    request.timeout = std::chrono::milliseconds(static_cast<long long>(options.timeout_seconds * 1000));
    request.max_body_size = options.max_size;
    request.http_errors = net::HttpErrors::fail; // never write an error page as if it were the file
    request.token = context.runtime().token();
    request.on_chunk = [&sink](std::string_view chunk) {
        return sink.write(chunk);
    };
    if (show_progress) {
        request.on_progress = [](std::uint64_t now, std::uint64_t total) {
            if (total != 0) {
                std::fprintf(stderr, "\r%llu / %llu bytes", static_cast<unsigned long long>(now),
                             static_cast<unsigned long long>(total));
            } else {
                std::fprintf(stderr, "\r%llu bytes", static_cast<unsigned long long>(now));
            }
        };
    }
    auto fetched = (*client)->fetch(std::move(request)).wait();
    client->reset(); // before the runtime shuts down
    if (show_progress) {
        std::fputc('\n', stderr);
    }
    if (!fetched) {
        raise(fetched.error());
    }
    auto response = net::require_success(std::move(*fetched));
    if (!response) {
        raise(response.error());
    }
    if (auto committed = sink.commit(); !committed) {
        raise(committed.error());
    }
    if (context.out.json() && !options.output.empty() && options.output != "-") {
        nlohmann::json doc = {
            {"url", options.url},         {"effective_url", response->effective_url},
            {"status", response->status}, {"bytes", response->body_size},
            {"output", options.output},
        };
        context.out.line(json_text(doc));
    }
    return ExitCode::success;
}

} // namespace

void register_fetch(CLI::App& app, Context& context) {
    auto options = std::make_shared<FetchOptions>();
    auto* cmd = app.add_subcommand("fetch", "Download a URL (http, https or file) to stdout or a file");
    cmd->add_option("url", options->url, "The URL to download")->required();
    cmd->add_option("-o,--output", options->output,
                    "Write to FILE (atomically: a temporary file renamed on success) instead of stdout")
        ->option_text("FILE");
    cmd->add_option("--timeout", options->timeout_seconds, "Give up after SECONDS (0: never; default 300)")
        ->option_text("SECONDS");
    cmd->add_option("--max-size", options->max_size, "Fail when the body exceeds BYTES (default: no limit)")
        ->option_text("BYTES");
    cmd->final_callback([&context, options] {
        context.set_action([&context, options] { return run_fetch(context, *options); });
    });
}

} // namespace zsyncctl::cli
