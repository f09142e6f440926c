#include "cli/cli11.hpp"
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "cli/context.hpp"
#include "cli/json.hpp"
#include "core/errors.hpp"
#include "core/signal_monitor.hpp"
#include "net/http_client.hpp"
#include "util/fs.hpp"
#include "util/round.hpp"
#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

using Clock = std::chrono::steady_clock;

// A year: longer is a mistake, and (in milliseconds) still far from overflowing libcurl's long.
constexpr double k_max_timeout_seconds = 365.0 * 24 * 3600;

struct FetchOptions {
    std::string url;
    std::string output;
    std::string timeout = "300";
    std::string max_size = "0";
};

// --timeout SECONDS: 0 (never) or a finite number from one millisecond to a year; anything else is a usage
// error, so no value ever reaches a conversion that is undefined (nan, inf, 1e300) or rounds to "never".
std::chrono::milliseconds parse_timeout(const std::string& text) {
    const std::string shown = util::sanitize_for_display(text);
    char* end = nullptr;
    errno = 0;
    double seconds = text.empty() ? NAN : std::strtod(text.c_str(), &end);
    if (text.empty() || end == nullptr || *end != '\0' || std::isspace(static_cast<unsigned char>(text[0]))) {
        raise_usage("--timeout " + shown + ": not a number of seconds");
    }
    if (!std::isfinite(seconds) || (errno == ERANGE && seconds != 0)) {
        raise_usage("--timeout " + shown + ": not a finite number of seconds");
    }
    if (seconds < 0) {
        raise_usage("--timeout " + shown + ": must not be negative (0 means no timeout)");
    }
    if (seconds > k_max_timeout_seconds) {
        raise_usage("--timeout " + shown + ": more than a year (31536000 seconds)");
    }
    if (seconds == 0) {
        return std::chrono::milliseconds(0);
    }
    if (seconds < 0.001) {
        raise_usage("--timeout " + shown + ": shorter than a millisecond (0 means no timeout)");
    }
    return std::chrono::milliseconds(util::round_to_integer(seconds * 1000));
}

// --max-size BYTES: a whole number, 0 meaning no limit.
std::uint64_t parse_size(const std::string& text) {
    const std::string shown = util::sanitize_for_display(text);
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
        raise_usage("--max-size " + shown + ": not a whole number of bytes (0 means no limit)");
    }
    errno = 0;
    unsigned long long value = std::strtoull(text.c_str(), nullptr, 10);
    if (errno == ERANGE || value > static_cast<unsigned long long>(INT64_MAX)) {
        raise_usage("--max-size " + shown + ": too large");
    }
    return value;
}

enum class Scheme { http, file };

std::string percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

// The URL's scheme, checked before anything is resolved or opened: a word without "://" or a scheme other
// than http, https and file is a usage error (no DNS lookup for "notaurl", no libcurl error for ftp://).
Scheme check_url(const std::string& url) {
    const std::string shown = util::sanitize_for_display(url);
    const std::string hint = "fetch takes http://, https:// and file:// URLs";
    auto sep = url.find("://");
    if (sep == std::string::npos || sep == 0) {
        raise_usage("not a URL: '" + shown + "'", hint);
    }
    std::string scheme = util::to_lower(url.substr(0, sep));
    if (scheme.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789+.-") != std::string::npos) {
        raise_usage("not a URL: '" + shown + "'", hint);
    }
    if (scheme == "file") {
        return Scheme::file;
    }
    if (scheme != "http" && scheme != "https") {
        raise_usage("unsupported URL scheme '" + util::sanitize_for_display(scheme) + "' in '" + shown + "'",
                    hint);
    }
    auto rest = std::string_view(url).substr(sep + 3);
    auto host_end = rest.find_first_of("/?#");
    if (rest.substr(0, host_end).empty()) {
        raise_usage("no host in '" + shown + "'", hint);
    }
    return Scheme::http;
}

// The path of a file:// URL: host empty or localhost, percent-decoded.
std::string file_url_path(const std::string& url) {
    auto rest = std::string_view(url).substr(url.find("://") + 3);
    auto slash = rest.find('/');
    auto host = rest.substr(0, slash);
    if (slash == std::string_view::npos ||
        (!host.empty() && util::to_lower(std::string(host)) != "localhost")) {
        raise_usage("file:// URLs name a local absolute path: '" + util::sanitize_for_display(url) + "'");
    }
    return percent_decode(rest.substr(slash));
}

// The last path segment of the URL (no query or fragment), for `-o DIR`.
std::string url_basename(const std::string& url) {
    auto rest = std::string_view(url).substr(url.find("://") + 3);
    rest = rest.substr(0, rest.find_first_of("?#"));
    auto slash = rest.find('/');
    std::string name;
    if (slash != std::string_view::npos) {
        auto path = rest.substr(slash);
        name = percent_decode(path.substr(path.rfind('/') + 1));
    }
    if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
        name.find('\0') != std::string::npos) {
        raise_usage("cannot name a file after '" + util::sanitize_for_display(url) + "'",
                    "give the file name: -o DIR/NAME");
    }
    return name;
}

const char* kind_of(mode_t mode) {
    if (S_ISBLK(mode)) {
        return "a block device";
    }
    if (S_ISCHR(mode)) {
        return "a character device";
    }
    if (S_ISFIFO(mode)) {
        return "a FIFO";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    return "not a regular file";
}

// Where -o writes: a regular file (replaced atomically) or a new name; a directory gets the URL's last
// path segment inside it; anything else (a device, a FIFO, through a symlink or not) is refused, because
// writing into it is never what "save to a file" means: `-o -` and a shell redirect do that.
std::string resolve_output(const std::string& output, const std::string& url) {
    std::string target = output;
    struct stat st {};
    if (::stat(target.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        target = (std::filesystem::path(output) / url_basename(url)).string();
    }
    if (::stat(target.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
        raise_usage("refusing to write to " + util::sanitize_for_display(target) + ": it is " +
                        (S_ISDIR(st.st_mode) ? "a directory" : kind_of(st.st_mode)),
                    "to write into it anyway: fetch URL -o - > " + util::sanitize_for_display(target));
    }
    return target;
}

enum class SinkKind { stdout_checked, stdout_forced, discard, file };

// The download target: stdout, nothing (--json without -o), or a temporary file next to -o that is renamed
// over it on success. The temporary file goes on every other way out: an error, an exception, and the
// immediate exit of a second stop signal (an exit hook).
class Sink {
public:
    Sink(SinkKind kind, const std::string& output, core::SignalMonitor* signals)
        : m_kind(kind), m_output(output), m_signals(signals) {
        if (kind != SinkKind::file) {
            m_fd = kind == SinkKind::discard ? -1 : STDOUT_FILENO;
            return;
        }
        // The directory is opened once, by a walk that (as root) follows no link another user controls,
        // and the temporary file and the rename are relative to it: what is written is where the walk
        // went, whatever changes on the path meanwhile.
        std::filesystem::path target(output);
        std::filesystem::path parent = target.parent_path().empty() ? "." : target.parent_path();
        auto dir = util::open_dir_to_write(parent);
        if (!dir) {
            const util::Error& e = dir.error();
            if (e.kind == util::ErrorKind::invalid_input) { // a link another user controls: refused
                raise_usage("refusing to write " + util::sanitize_for_display(output) + ": " +
                                util::sanitize_for_display(e.message),
                            "name the directory the link points to, or run zsyncctl as that user");
            }
            raise(util::make_error(e.kind,
                                   "cannot write " + util::sanitize_for_display(output) + ": " + e.message));
        }
        m_dir = std::move(*dir);
        m_name = target.filename().string();
        std::string temp = "." + m_name + ".zsyncctl-" + util::random_token();
        auto created = util::create_file_at(m_dir.get(), temp, 0600);
        if (!created) {
            // The temporary name means nothing to the user: the error of creating it, said of the target.
            std::string why = created.error().message;
            auto colon = why.rfind(": ");
            raise(util::make_error(created.error().kind,
                                   "cannot write " + output + ": " +
                                       (colon == std::string::npos ? why : why.substr(colon + 2)) + " in " +
                                       parent.string()));
        }
        m_fd = created->release();
        m_temp = temp;
        if (m_signals != nullptr) {
            int dir_fd = m_dir.get();
            m_hook = m_signals->add_exit_hook([dir_fd, temp] { ::unlinkat(dir_fd, temp.c_str(), 0); });
        }
    }
    ~Sink() {
        if (m_hook != 0) {
            m_signals->unsubscribe(m_hook);
        }
        if (!m_temp.empty()) {
            ::close(m_fd);
            ::unlinkat(m_dir.get(), m_temp.c_str(), 0); // still here only when the download failed
        }
    }
    Sink(const Sink&) = delete;
    Sink& operator=(const Sink&) = delete;

    util::Result<void> write(std::string_view chunk) {
        if (m_kind == SinkKind::discard) {
            return util::ok();
        }
        // Like curl: binary bytes on a terminal can leave it unusable; `-o -` says the user wants them.
        if (m_kind == SinkKind::stdout_checked && std::memchr(chunk.data(), '\0', chunk.size()) != nullptr &&
            ::isatty(STDOUT_FILENO) == 1) {
            return util::fail(util::ErrorKind::invalid_input, "refusing to write binary data to a terminal",
                              "save it with -o FILE, or use -o - to write it to the terminal anyway");
        }
        return util::write_all(m_fd, chunk, "write");
    }

    util::Result<void> commit() {
        if (m_temp.empty()) {
            return util::ok();
        }
        if (::fsync(m_fd) != 0) {
            return util::fail(util::errno_error("fsync " + m_output, errno));
        }
        ::fchmod(m_fd, 0644);
        if (::renameat(m_dir.get(), m_temp.c_str(), m_dir.get(), m_name.c_str()) != 0) {
            return util::fail(util::errno_error("rename to " + m_output, errno));
        }
        m_temp.clear();
        ::close(m_fd);
        return util::ok();
    }

private:
    SinkKind m_kind;
    std::string m_output;
    util::UniqueFd m_dir; // where m_temp and m_name are
    std::string m_name;
    std::string m_temp;
    int m_fd = -1;
    core::SignalMonitor* m_signals = nullptr;
    core::SignalMonitor::SubscriptionId m_hook = 0;
};

util::Error timeout_error(const std::string& url, std::chrono::milliseconds timeout) {
    util::Error error = util::make_error(util::ErrorKind::timeout,
                                         "fetching " + util::sanitize_for_display(url) +
                                             ": timed out after " + std::to_string(timeout.count()) + " ms");
    error.code = "TimeoutExpired";
    return error;
}

// Stops a transfer whose deadline passed or whose token was cancelled; checked between chunks.
util::Result<void> check_going(const std::string& url, const core::CancellationToken& token,
                               std::optional<Clock::time_point> deadline, std::chrono::milliseconds timeout) {
    if (token.is_cancelled()) {
        return util::fail(core::runtime_error(core::RuntimeErrc::CancellationRequested, "fetching " + url));
    }
    if (deadline && Clock::now() >= *deadline) {
        return util::fail(timeout_error(url, timeout));
    }
    return util::ok();
}

// A file:// URL, read here on the command's thread (libcurl reads a file in one blocking call on the
// loop thread, where neither a deadline nor a signal could stop /dev/zero): a non-blocking descriptor
// polled in slices, so a FIFO without a writer, the deadline and Ctrl-C are all honoured.
util::Result<std::uint64_t> fetch_file(const std::string& url, Sink& sink,
                                       const core::CancellationToken& token,
                                       std::optional<Clock::time_point> deadline,
                                       std::chrono::milliseconds timeout, std::uint64_t max_size) {
    std::string path = file_url_path(url);
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        return util::fail(util::errno_error("fetching " + util::sanitize_for_display(url), errno));
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        return util::fail(util::ErrorKind::invalid_input,
                          "fetching " + util::sanitize_for_display(url) + ": a directory");
    }
    std::uint64_t total = 0;
    std::string buffer(65536, '\0');
    while (true) {
        if (auto going = check_going(url, token, deadline, timeout); !going) {
            return util::fail(std::move(going).error());
        }
        ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n == 0) {
            return total;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN) {
                return util::fail(util::errno_error("reading " + util::sanitize_for_display(url), errno));
            }
            pollfd p{fd, POLLIN, 0};
            (void)::poll(&p, 1, 100); // a slice: the token and the deadline are checked between slices
            continue;
        }
        total += static_cast<std::uint64_t>(n);
        if (max_size != 0 && total > max_size) {
            util::Error error = util::make_error(
                util::ErrorKind::io, "response from " + util::sanitize_for_display(url) +
                                         " exceeds the size limit of " + std::to_string(max_size) + " bytes");
            error.code = "ResponseTooLarge";
            return util::fail(std::move(error));
        }
        if (auto written = sink.write(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
            !written) {
            return util::fail(std::move(written).error());
        }
    }
}

ExitCode run_fetch(Context& context, const FetchOptions& options) {
    // Every argument is checked before anything is loaded, resolved or created.
    std::chrono::milliseconds timeout = parse_timeout(options.timeout);
    std::uint64_t max_size = parse_size(options.max_size);
    Scheme scheme = check_url(options.url);
    if (context.out.json() && options.output == "-") {
        raise_usage("--json and '-o -' both want standard output",
                    "drop --json for the body, or give -o FILE for the body and the JSON result");
    }
    const bool to_file = !options.output.empty() && options.output != "-";
    std::string output = to_file ? resolve_output(options.output, options.url) : std::string();
    SinkKind kind = to_file                 ? SinkKind::file
                    : options.output == "-" ? SinkKind::stdout_forced
                    : context.out.json()    ? SinkKind::discard
                                            : SinkKind::stdout_checked;

    core::Runtime& runtime = context.runtime();
    const core::CancellationToken& token = runtime.token();
    std::optional<Clock::time_point> deadline;
    if (timeout.count() != 0) {
        deadline = Clock::now() + timeout;
    }
    std::unique_ptr<net::HttpClient> client;
    if (scheme == Scheme::http) {
        auto created = net::HttpClient::create(runtime);
        if (!created) {
            raise(created.error());
        }
        client = std::move(*created);
    }
    Sink sink(kind, output, context.signals());
    bool show_progress =
        to_file && context.out.stderr_is_tty() && !context.out.quiet() && !context.out.json();

    int status = 0;
    std::string effective_url = options.url;
    std::uint64_t bytes = 0;
    if (scheme == Scheme::file) {
        auto read = fetch_file(options.url, sink, token, deadline, timeout, max_size);
        if (!read) {
            raise(read.error());
        }
        bytes = *read;
    } else {
        net::Request request;
        request.url = options.url;
        request.timeout = timeout;
        request.max_body_size = max_size;
        request.http_errors = net::HttpErrors::fail; // never write an error page as if it were the file
        request.token = token;
        std::string url = options.url;
        request.on_chunk = [&sink, &token, url, deadline,
                            timeout](std::string_view chunk) -> util::Result<void> {
            if (auto going = check_going(url, token, deadline, timeout); !going) {
                return going;
            }
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
        auto fetched = client->fetch(std::move(request)).wait();
        client.reset(); // before the runtime shuts down
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
        status = response->status;
        effective_url = response->effective_url;
        bytes = response->body_size;
    }
    if (auto committed = sink.commit(); !committed) {
        raise(committed.error());
    }
    if (context.out.json() && kind != SinkKind::stdout_forced) {
        nlohmann::json doc = {
            {"url", options.url},
            {"effective_url", effective_url},
            {"status", status},
            {"bytes", bytes},
            {"output", to_file ? nlohmann::json(output) : nlohmann::json(nullptr)},
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
    cmd->add_option(
           "-o,--output", options->output,
           "Write to FILE (atomically: a temporary file renamed on success), or into DIR under the "
           "URL's last path segment; '-' is stdout even on a terminal. Devices and FIFOs are refused")
        ->option_text("FILE|DIR|-");
    cmd->add_option("--timeout", options->timeout,
                    "Give up after SECONDS, for every scheme (0: never; at least 0.001; default 300)")
        ->option_text("SECONDS");
    cmd->add_option("--max-size", options->max_size,
                    "Fail when the body exceeds BYTES (0, the default: no limit)")
        ->option_text("BYTES");
    cmd->footer(
        "Without -o the body goes to stdout, but binary data is not written to a terminal (use -o -).\n"
        "With --json and no -o the body is not printed: only the result object (--json with -o - is "
        "refused).");
    cmd->final_callback([&context, options] {
        context.set_action([&context, options] { return run_fetch(context, *options); });
    });
}

} // namespace zsyncctl::cli
