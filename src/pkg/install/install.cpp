#include "pkg/install/install.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <system_error>

#include "core/event_loop.hpp"
#include "core/process.hpp"
#include "pkg/install/terminal_prompt.hpp"
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

std::vector<std::pair<std::string, std::string>> run_environment(const InstallPlan& plan, Prompts prompts) {
    auto env = plan.env;
    env.emplace_back("LC_ALL", "C");
    if (plan.manager == "apt" && prompts == Prompts::answer_defaults) {
        const char* frontend = std::getenv("DEBIAN_FRONTEND");
        if (frontend == nullptr || frontend[0] == '\0') {
            // stdin is /dev/null: a debconf dialog could never be answered, so questions take their defaults.
            env.emplace_back("DEBIAN_FRONTEND", "noninteractive");
        }
    }
    return env;
}

std::vector<std::vector<std::string>> final_argvs(const InstallPlan& plan, Elevation elevation,
                                                  Prompts prompts) {
    std::vector<std::vector<std::string>> out;
    for (const PlannedCommand& cmd : plan.commands) {
        std::vector<std::string> argv;
        if (elevation == Elevation::sudo) {
            argv = {"sudo", "-n", "--", "env"};
            for (const auto& [k, v] : run_environment(plan, prompts)) {
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

namespace {

/// One plan's run on a private loop: the callbacks of every command, the interrupt and the relay of the
/// user's keys, all on the calling thread (which runs the loop).
class PlanRun {
public:
    PlanRun(core::EventLoop& loop, ProgressStyle style, const InstallPlan& plan,
            const ExecuteOptions& options, const ExecuteCallbacks& callbacks)
        : m_loop(loop), m_tracker(style, plan.operation), m_options(options), m_callbacks(callbacks) {}

    PlanRun(const PlanRun&) = delete;
    PlanRun& operator=(const PlanRun&) = delete;

    ~PlanRun() {
        set_prompt(false);
        if (m_interrupt_watch != 0) {
            m_loop.unwatch_fd(m_interrupt_watch);
        }
        if (m_resize_watch != 0) {
            m_loop.unwatch_fd(m_resize_watch);
        }
    }

    /// Starts watching the interrupt fd and, for a run on a terminal, the resize fd; fails with the loop's
    /// error.
    util::Result<void> watch_interrupts() {
        if (m_options.interrupt_fd >= 0) {
            auto w = m_loop.watch_fd(m_options.interrupt_fd, core::EventLoop::k_readable,
                                     [this](std::uint32_t) { on_interrupt(); });
            if (!w) {
                return util::fail(std::move(w).error());
            }
            m_interrupt_watch = *w;
        }
        if (m_options.resize_fd >= 0 && m_options.prompts == Prompts::ask_terminal) {
            auto w = m_loop.watch_fd(m_options.resize_fd, core::EventLoop::k_readable,
                                     [this](std::uint32_t) { on_resize(); });
            if (!w) {
                return util::fail(std::move(w).error());
            }
            m_resize_watch = *w;
        }
        return util::ok();
    }

    /// Runs one command to its end; fails only when it cannot start.
    util::Result<core::ProcessResult> run(const std::vector<std::string>& argv,
                                          const std::vector<std::pair<std::string, std::string>>& env,
                                          bool status_fd) {
        core::ProcessSpec spec;
        spec.argv = argv;
        spec.env_set = env;
        spec.capture_limit = 0; // last_lines keeps what a failure shows
        spec.stop_signal = SIGINT;
        spec.kill_grace = m_options.interrupt_grace;
        spec.on_stdout_line = [this](std::string_view line) {
            on_line(OutputStream::out, line);
        };
        spec.on_stderr_line = [this](std::string_view line) {
            on_line(OutputStream::err, line);
        };
        if (status_fd) {
            spec.extra_outputs.push_back({k_apt_status_fd, [this](std::string_view line) {
                                              on_line(OutputStream::status, line);
                                          }});
        }
        m_control = std::make_shared<core::ProcessControl>();
        spec.control = m_control;
        if (m_options.prompts == Prompts::ask_terminal) {
            spec.terminal =
                core::TerminalSpec{m_options.rows, m_options.cols, [this](std::string_view bytes) {
                                       on_terminal_bytes(bytes);
                                   }};
        }
        m_cancel = core::CancellationToken();
        auto future = core::spawn_process(m_loop, std::move(spec), m_cancel);
        std::optional<util::Result<core::ProcessResult>> result;
        future.on_complete([&](util::Result<core::ProcessResult> r) {
            result.emplace(std::move(r));
            m_loop.stop();
        });
        while (!result) {
            if (auto ran = m_loop.run(); !ran) {
                return util::fail(std::move(ran).error());
            }
        }
        set_prompt(false);
        m_control.reset();
        return std::move(*result);
    }

    bool interrupted() const { return m_interrupted; }
    ProgressTracker& tracker() { return m_tracker; }
    InstallOutcome& outcome() { return m_outcome; }

private:
    void emit(const std::optional<ProgressUpdate>& u) {
        if (u && m_callbacks.on_progress) {
            m_callbacks.on_progress(*u);
        }
    }

    void on_line(OutputStream stream, std::string_view line) {
        if (m_callbacks.on_line) {
            m_callbacks.on_line(stream, line);
        }
        if (stream == OutputStream::status) {
            emit(m_tracker.on_status_line(line));
            m_prompts.on_status_line(line);
            set_prompt(m_prompts.active());
            return;
        }
        if (!util::trim(line).empty()) {
            m_outcome.last_lines.emplace_back(line);
            if (m_outcome.last_lines.size() > 20) {
                m_outcome.last_lines.pop_front();
            }
        }
        emit(m_tracker.on_output_line(line));
    }

    void on_terminal_bytes(std::string_view bytes) {
        bool was_active = m_prompts.active();
        m_prompts.on_terminal_output(bytes);
        if (was_active && m_callbacks.on_terminal_output) {
            m_callbacks.on_terminal_output(bytes);
        }
        set_prompt(m_prompts.active());
    }

    /// Hands the terminal to the manager's question and back.
    void set_prompt(bool active) {
        if (active == m_prompt_open) {
            return;
        }
        m_prompt_open = active;
        if (m_callbacks.on_prompt) {
            m_callbacks.on_prompt(active);
        }
        if (active) {
            std::string backlog = m_prompts.take_backlog();
            if (m_callbacks.on_terminal_output && !backlog.empty()) {
                m_callbacks.on_terminal_output(backlog);
            }
            if (m_options.input_fd >= 0) {
                auto w = m_loop.watch_fd(m_options.input_fd, core::EventLoop::k_readable,
                                         [this](std::uint32_t) { relay_input(); });
                m_input_watch = w ? *w : 0;
            }
        } else if (m_input_watch != 0) {
            m_loop.unwatch_fd(m_input_watch);
            m_input_watch = 0;
        }
    }

    /// The user's keys go to the manager's terminal, as typed (its line discipline echoes them).
    void relay_input() {
        char buf[1024];
        ssize_t n = ::read(m_options.input_fd, buf, sizeof buf);
        if (n <= 0) {
            if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                m_loop.unwatch_fd(m_input_watch); // end of input: the manager sees no more keys
                m_input_watch = 0;
            }
            return;
        }
        if (m_control) {
            m_control->write_terminal(std::string_view(buf, static_cast<std::size_t>(n)));
        }
    }

    /// The user's terminal changed size: the manager's terminal follows (it gets SIGWINCH and redraws).
    void on_resize() {
        char drain[64];
        while (::read(m_options.resize_fd, drain, sizeof drain) > 0) {
        }
        winsize size{};
        if (m_control && ::ioctl(m_options.input_fd, TIOCGWINSZ, &size) == 0 && size.ws_row > 0 &&
            size.ws_col > 0) {
            m_control->resize_terminal(size.ws_row, size.ws_col);
        }
    }

    void on_interrupt() {
        char drain[64];
        while (::read(m_options.interrupt_fd, drain, sizeof drain) > 0) {
        }
        if (!m_interrupted) {
            m_interrupted = true;
            m_cancel.cancel(); // SIGINT to the group; SIGKILL after the grace
        } else if (m_control) {
            m_control->signal(SIGKILL);
        }
    }

    core::EventLoop& m_loop;
    ProgressTracker m_tracker;
    const ExecuteOptions& m_options;
    const ExecuteCallbacks& m_callbacks;
    InstallOutcome m_outcome;
    PromptWatcher m_prompts;
    std::shared_ptr<core::ProcessControl> m_control;
    core::CancellationToken m_cancel;
    core::EventLoop::WatchId m_interrupt_watch = 0;
    core::EventLoop::WatchId m_resize_watch = 0;
    core::EventLoop::WatchId m_input_watch = 0;
    bool m_prompt_open = false;
    bool m_interrupted = false;
};

} // namespace

util::Result<InstallOutcome> execute_plan(const InstallPlan& plan, const ExecuteOptions& options,
                                          const ExecuteCallbacks& callbacks) {
    // Under sudo apt cannot get its status fd (sudo closes fds above 2); its text lines are then counted.
    ProgressStyle style = plan.progress;
    if (style == ProgressStyle::apt_status_fd && options.elevation == Elevation::sudo) {
        style = ProgressStyle::last_line;
    }
    auto created = core::EventLoop::create(options.backend);
    if (!created) {
        return util::fail(std::move(created).error());
    }
    std::unique_ptr<core::EventLoop> loop = std::move(*created);
    ExecuteOptions effective = options;
    if (plan.manager != "apt") {
        effective.prompts = Prompts::answer_defaults; // only apt's questions are known and handed over
    }
    auto run = std::make_unique<PlanRun>(*loop, style, plan, effective, callbacks);
    if (auto watched = run->watch_interrupts(); !watched) {
        return util::fail(watched.error());
    }
    auto argvs = final_argvs(plan, options.elevation, effective.prompts);
    auto env = options.elevation == Elevation::sudo ? std::vector<std::pair<std::string, std::string>>{}
                                                    : run_environment(plan, effective.prompts);
    InstallOutcome& outcome = run->outcome();
    outcome.success = true;
    for (auto& argv : argvs) {
        if (run->interrupted()) {
            outcome.success = false;
            outcome.interrupted = true;
            break;
        }
        auto result = run->run(argv, env, style == ProgressStyle::apt_status_fd);
        if (!result) {
            run.reset();
            loop->close();
            return util::fail(std::move(result).error());
        }
        if (run->interrupted() || !result->success()) {
            outcome.success = false;
            outcome.interrupted = run->interrupted();
            outcome.exit_code = result->exit_code;
            outcome.term_signal = result->signal;
            outcome.failed_command = util::join(argv, " ");
            break;
        }
    }
    outcome.final_update = run->tracker().finish(outcome.success);
    outcome.last_state = run->tracker().last_state();
    outcome.errors = run->tracker().errors();
    InstallOutcome done = std::move(outcome);
    run.reset();
    loop->close();
    return done;
}

} // namespace zsyncctl::pkg
