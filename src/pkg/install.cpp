#include "pkg/install.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <unistd.h>

#include <system_error>

#include "util/strings.hpp"

namespace zsyncctl::pkg {

util::Result<Elevation> decide_elevation(const InstallPlan& plan, unsigned euid, std::string_view sudo_path) {
    if (plan.refuses_root && euid == 0) {
        return util::fail(util::ErrorKind::permission_denied, plan.manager + " must not run as root",
                          "run zsyncctl as the user who owns the " + plan.manager + " installation");
    }
    if (!plan.needs_root || euid == 0) {
        return Elevation::none;
    }
    if (!sudo_path.empty()) {
        return Elevation::sudo;
    }
    std::string command;
    for (const auto& cmd : plan.commands) {
        if (!command.empty()) {
            command += " && ";
        }
        command += util::join(cmd.argv, " ");
    }
    return util::fail(util::ErrorKind::permission_denied,
                      plan.manager + " needs root to " + std::string(to_string(plan.operation)) +
                          " packages, and sudo was not found",
                      "run as root: " + command);
}

std::vector<std::pair<std::string, std::string>> run_environment(const InstallPlan& plan) {
    auto env = plan.env;
    env.emplace_back("LC_ALL", "C");
    if (plan.manager == "apt") {
        const char* frontend = std::getenv("DEBIAN_FRONTEND");
        if (frontend == nullptr || frontend[0] == '\0') {
            // The manager runs in its own process group with stdin from /dev/null (so Ctrl-C reaches it only
            // through us); a debconf dialog could never be answered there, so questions take their defaults.
            env.emplace_back("DEBIAN_FRONTEND", "noninteractive");
        }
    }
    return env;
}

std::vector<std::vector<std::string>> final_argvs(const InstallPlan& plan, Elevation elevation) {
    std::vector<std::vector<std::string>> out;
    for (const PlannedCommand& cmd : plan.commands) {
        std::vector<std::string> argv;
        if (elevation == Elevation::sudo) {
            argv = {"sudo", "-n", "--", "env"};
            for (const auto& [k, v] : run_environment(plan)) {
                argv.push_back(k + "=" + v);
            }
        }
        argv.push_back(cmd.argv.front());
        if (plan.progress == ProgressStyle::apt_status_fd && elevation == Elevation::none) {
            argv.emplace_back("-o");
            argv.push_back("APT::Status-Fd=" + std::to_string(k_apt_status_fd));
        }
        argv.insert(argv.end(), cmd.argv.begin() + 1, cmd.argv.end());
        out.push_back(std::move(argv));
    }
    return out;
}

LockGroupGuard::LockGroupGuard(LockGroupGuard&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

LockGroupGuard& LockGroupGuard::operator=(LockGroupGuard&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
}

LockGroupGuard::~LockGroupGuard() {
    if (m_fd >= 0) {
        ::close(m_fd); // releases the flock
    }
}

util::Result<LockGroupGuard> LockGroupGuard::acquire(const std::filesystem::path& dir, std::string_view group,
                                                     int interrupt_fd, const std::function<void()>& on_wait) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return util::fail(util::ErrorKind::io, "cannot create " + dir.string() + ": " + ec.message());
    }
    std::filesystem::path file = dir / (std::string(group) + ".lock");
    LockGroupGuard guard;
    guard.m_fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (guard.m_fd < 0) {
        return util::fail(util::errno_error("cannot open " + file.string(), errno));
    }
    bool waited = false;
    while (::flock(guard.m_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            return util::fail(util::errno_error("cannot lock " + file.string(), errno));
        }
        if (!waited && on_wait) {
            on_wait();
        }
        waited = true;
        pollfd p{interrupt_fd, POLLIN, 0};
        int n = ::poll(interrupt_fd >= 0 ? &p : nullptr, interrupt_fd >= 0 ? 1 : 0, 200);
        if (n > 0) {
            return util::fail(util::ErrorKind::interrupted,
                              "interrupted while waiting for the " + std::string(group) + " lock");
        }
    }
    return guard;
}

util::Result<InstallOutcome> execute_plan(const InstallPlan& plan, Elevation elevation, int interrupt_fd,
                                          const ExecuteCallbacks& callbacks) {
    // Under sudo apt cannot get its status fd (sudo closes fds above 2); its text lines are then counted.
    ProgressStyle style = plan.progress;
    if (style == ProgressStyle::apt_status_fd && elevation == Elevation::sudo) {
        style = ProgressStyle::last_line;
    }
    ProgressTracker tracker(style, plan.operation);
    InstallOutcome outcome;
    auto emit = [&](const std::optional<ProgressUpdate>& u) {
        if (u && callbacks.on_progress) {
            callbacks.on_progress(*u);
        }
    };
    auto on_line = [&](OutputStream stream, std::string_view line) {
        if (callbacks.on_line) {
            callbacks.on_line(stream, line);
        }
        if (stream == OutputStream::status) {
            emit(tracker.on_status_line(line));
            return;
        }
        if (!util::trim(line).empty()) {
            outcome.last_lines.emplace_back(line);
            if (outcome.last_lines.size() > 20) {
                outcome.last_lines.pop_front();
            }
        }
        emit(tracker.on_output_line(line));
    };

    auto argvs = final_argvs(plan, elevation);
    auto env = elevation == Elevation::sudo ? std::vector<std::pair<std::string, std::string>>{}
                                            : run_environment(plan);
    outcome.success = true;
    for (auto& argv : argvs) {
        RunSpec spec;
        spec.argv = argv;
        spec.env = env;
        spec.interrupt_fd = interrupt_fd;
        if (style == ProgressStyle::apt_status_fd) {
            spec.status_fd = k_apt_status_fd;
        }
        auto run = run_process(spec, on_line);
        if (!run) {
            return util::fail(std::move(run).error());
        }
        if (run->interrupted || run->exit_code != 0) {
            outcome.success = false;
            outcome.interrupted = run->interrupted;
            outcome.exit_code = run->exit_code;
            outcome.term_signal = run->term_signal;
            outcome.failed_command = util::join(argv, " ");
            break;
        }
    }
    outcome.final_update = tracker.finish(outcome.success);
    outcome.last_state = tracker.last_state();
    outcome.errors = tracker.errors();
    return outcome;
}

} // namespace zsyncctl::pkg
