#include "pkg/version_probe.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "pkg/probe.hpp"
#include "util/strings.hpp"

extern char** environ;

namespace zsyncctl::pkg {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t k_max_output = 64 * 1024;

// A started child: its pid (also its process group) and the read end of its stdout+stderr pipe.
// Until core's subprocess API lands this small posix_spawn helper is the only process code in pkg/.
struct Child {
    pid_t pid = -1;
    int out_fd = -1;
    Clock::time_point started;
};

util::Result<Child> start_child(const std::vector<std::string>& argv) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return util::fail(util::errno_error("pipe", errno));
    }
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
    // Own process group, so a timeout kills the whole tree (shims spawn the real tool).
    posix_spawnattr_setpgroup(&attr, 0);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> env_storage;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        if (std::strncmp(*e, "LC_ALL=", 7) != 0 && std::strncmp(*e, "LANG=", 5) != 0) {
            env_storage.emplace_back(*e);
        }
    }
    env_storage.emplace_back("LC_ALL=C");
    env_storage.emplace_back("LANG=C");
    std::vector<char*> envp;
    for (auto& e : env_storage) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> args = argv;
    std::vector<char*> c_argv;
    for (auto& a : args) {
        c_argv.push_back(a.data());
    }
    c_argv.push_back(nullptr);

    Child child;
    child.started = Clock::now();
    int rc = ::posix_spawn(&child.pid, c_argv[0], &actions, &attr, c_argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        return util::fail(util::errno_error("cannot run " + argv[0], rc));
    }
    child.out_fd = fds[0];
    return child;
}

struct Outcome {
    std::string output;
    int status = 0;
    bool timed_out = false;
    bool cancelled = false;
};

// Reads the child's output until EOF, then reaps it; kills its group at the deadline or on cancel.
Outcome collect(Child child, Clock::time_point deadline, const core::CancellationToken& token) {
    Outcome outcome;
    char buffer[4096];
    bool open = true;
    while (open) {
        if (token.is_cancelled()) {
            outcome.cancelled = true;
            break;
        }
        // A collector that starts late (all pool workers were busy) still drains what the child wrote
        // before the deadline: poll with a zero timeout once the deadline has passed.
        auto remaining = std::max<long long>(
            0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
        pollfd pfd{child.out_fd, POLLIN, 0};
        // Wake at least every 100 ms to notice cancellation.
        int ready = ::poll(&pfd, 1, static_cast<int>(std::min<long long>(remaining, 100)));
        if (ready < 0 && errno != EINTR) {
            break;
        }
        if (ready <= 0) {
            if (remaining == 0) {
                outcome.timed_out = true;
                break;
            }
            continue;
        }
        ssize_t n = ::read(child.out_fd, buffer, sizeof buffer);
        if (n > 0) {
            if (outcome.output.size() < k_max_output) {
                outcome.output.append(buffer, static_cast<std::size_t>(n));
            }
        } else if (n == 0 || errno != EINTR) {
            open = false;
        }
    }
    ::close(child.out_fd);
    if (outcome.timed_out || outcome.cancelled) {
        ::kill(-child.pid, SIGKILL);
        ::waitpid(child.pid, &outcome.status, 0);
        return outcome;
    }
    // Output is closed; the process normally exits right away. Give it until the deadline.
    while (true) {
        pid_t done = ::waitpid(child.pid, &outcome.status, WNOHANG);
        if (done == child.pid || (done < 0 && errno != EINTR)) {
            return outcome;
        }
        if (Clock::now() >= deadline || token.is_cancelled()) {
            outcome.cancelled = token.is_cancelled();
            outcome.timed_out = !outcome.cancelled;
            ::kill(-child.pid, SIGKILL);
            ::waitpid(child.pid, &outcome.status, 0);
            return outcome;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

std::string first_line(std::string_view text) {
    for (auto line : util::split_lines(text)) {
        auto trimmed = util::trim(line);
        if (!trimmed.empty()) {
            return util::sanitize_for_display(trimmed);
        }
    }
    return {};
}

std::string last_line(std::string_view text) {
    auto lines = util::split_lines(text);
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        auto trimmed = util::trim(*it);
        if (!trimmed.empty()) {
            return util::sanitize_for_display(trimmed);
        }
    }
    return {};
}

// The line holding the version, for `raw`.
std::string line_with(std::string_view text, const std::string& version) {
    for (auto line : util::split_lines(text)) {
        if (line.find(version) != std::string_view::npos) {
            return util::sanitize_for_display(util::trim(line));
        }
    }
    return first_line(text);
}

VersionResult from_outcome(const Outcome& outcome, Clock::time_point started,
                           std::chrono::milliseconds timeout) {
    VersionResult result;
    result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    if (outcome.timed_out) {
        result.raw = last_line(outcome.output);
        result.error = util::make_error(
            util::ErrorKind::timeout, "no answer within " + std::to_string(timeout.count()) + " ms (killed)");
        return result;
    }
    if (outcome.cancelled) {
        result.error = util::make_error(util::ErrorKind::cancelled, "cancelled");
        return result;
    }
    if (WIFSIGNALED(outcome.status)) {
        result.raw = last_line(outcome.output);
        result.error = util::make_error(util::ErrorKind::command_failed,
                                        "killed by signal " + std::to_string(WTERMSIG(outcome.status)));
        return result;
    }
    int code = WIFEXITED(outcome.status) ? WEXITSTATUS(outcome.status) : -1;
    if (code != 0) {
        result.raw = last_line(outcome.output);
        result.error = util::make_error(util::ErrorKind::command_failed,
                                        "exited with status " + std::to_string(code) +
                                            (result.raw.empty() ? "" : ": " + result.raw));
        return result;
    }
    result.version = extract_version(outcome.output);
    if (result.version) {
        result.raw = line_with(outcome.output, *result.version);
    } else {
        result.raw = first_line(outcome.output);
        result.error = util::make_error(
            util::ErrorKind::parse, result.raw.empty() ? "printed nothing" : "no version in: " + result.raw);
    }
    return result;
}

VersionResult from_file(const DetectContext& context, const DetectedManager& detected) {
    VersionResult result;
    auto path = expand_template(detected.manager->version_file, context, detected.prefix);
    if (!path) {
        result.error = util::make_error(util::ErrorKind::not_found, "no version file location");
        return result;
    }
    auto text = context.root.read(*path, 4096);
    if (!text) {
        result.error = text.error();
        return result;
    }
    result.version = extract_version(*text);
    result.raw = first_line(*text);
    if (!result.version) {
        result.error = util::make_error(util::ErrorKind::parse, "no version in " + *path);
    }
    return result;
}

} // namespace

std::optional<std::string> extract_version(std::string_view output) {
    auto is_digit = [](char c) {
        return c >= '0' && c <= '9';
    };
    auto is_suffix = [&](char c) {
        return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '+' ||
               c == '~' || c == '_' || c == '-';
    };
    for (std::size_t i = 0; i < output.size(); ++i) {
        if (!is_digit(output[i]) || (i > 0 && is_digit(output[i - 1]))) {
            continue;
        }
        // A run of digit groups separated by dots: needs at least one dot followed by a digit.
        std::size_t j = i;
        int dots = 0;
        while (j < output.size() && is_digit(output[j])) {
            ++j;
        }
        while (j + 1 < output.size() && output[j] == '.' && is_digit(output[j + 1])) {
            ++dots;
            ++j;
            while (j < output.size() && is_digit(output[j])) {
                ++j;
            }
        }
        if (dots == 0) {
            i = j;
            continue;
        }
        while (j < output.size() && is_suffix(output[j])) {
            ++j;
        }
        std::string version(output.substr(i, j - i));
        while (!version.empty() &&
               (version.back() == '.' || version.back() == '-' || version.back() == '_')) {
            version.pop_back();
        }
        return version;
    }
    return std::nullopt;
}

std::vector<VersionResult> probe_versions(core::Runtime& runtime, const DetectContext& context,
                                          const std::vector<DetectedManager>& managers,
                                          std::chrono::milliseconds timeout) {
    std::vector<VersionResult> results(managers.size());
    std::vector<std::pair<std::size_t, core::Future<VersionResult>>> pending;
    auto deadline = Clock::now() + timeout;
    core::CancellationToken token = runtime.token().child();
    for (std::size_t i = 0; i < managers.size(); ++i) {
        const DetectedManager& detected = managers[i];
        const Manager& entry = *detected.manager;
        if (!entry.version_file.empty()) {
            results[i] = from_file(context, detected);
            continue;
        }
        if (entry.version_argv.empty() || detected.executable.empty()) {
            results[i].error = util::make_error(util::ErrorKind::unsupported, "no version command");
            continue;
        }
        std::string exe = probe_path(context.root, detected.executable).host_path;
        std::vector<std::string> argv;
        for (auto arg : entry.version_argv) {
            argv.push_back(arg == "{exe}" ? exe : std::string(arg));
        }
        auto child = start_child(argv);
        if (!child) {
            results[i].error = child.error();
            continue;
        }
        auto started = child->started;
        pending.emplace_back(i, runtime.spawn([c = *child, deadline, token, started, timeout]() {
            return from_outcome(collect(c, deadline, token), started, timeout);
        }));
    }
    for (auto& [index, future] : pending) {
        // collect() is bounded by the deadline; the extra second only guards a stuck pool.
        auto result = future.wait_for(timeout + std::chrono::seconds(1));
        if (result) {
            results[index] = std::move(*result);
        } else {
            token.cancel();
            results[index].error = result.error();
        }
    }
    return results;
}

} // namespace zsyncctl::pkg
