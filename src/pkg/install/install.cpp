#include "pkg/install/install.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <future>
#include <memory>
#include <system_error>
#include <thread>

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
    const auto& [frontend_name, frontend_value] = plan.frontend_env;
    if (!frontend_name.empty() && prompts == Prompts::answer_defaults) {
        const char* frontend = std::getenv(frontend_name.c_str());
        if (frontend == nullptr || frontend[0] == '\0') {
            // stdin is /dev/null: a dialog could never be answered, so questions take their defaults.
            env.emplace_back(frontend_name, frontend_value);
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

namespace {

/// Runs `f` on the loop thread and waits for it (at once when already there).
template <typename F>
void on_loop(core::EventLoop& loop, F f) {
    if (loop.in_loop_thread()) {
        f();
        return;
    }
    std::promise<void> done;
    auto finished = done.get_future();
    if (!loop.post([&] {
            f();
            done.set_value();
        })) {
        return; // the loop is closed: nothing of ours runs on it any more
    }
    finished.wait();
}

/// One plan's run on the runtime's loop: the callbacks of every command, the second interrupt and the
/// relay of the user's keys and window size run on the loop thread; the caller waits for each command.
class PlanRun {
public:
    PlanRun(core::EventLoop& loop, ProgressStyle style, const InstallPlan& plan,
            const ExecuteOptions& options, const ExecuteCallbacks& callbacks)
        : m_loop(loop), m_tracker(style, plan.operation), m_options(options), m_callbacks(callbacks),
          m_token(options.interrupt.child()) {
        if (m_options.signals != nullptr) {
            // A second stop signal while the manager runs: its group is killed at once (the first one
            // cancelled m_token: SIGINT, then SIGKILL after the grace).
            m_options.signals->set_escalation([this](int) {
                if (m_control) {
                    m_control->signal(SIGKILL);
                }
            });
            if (m_options.prompts == Prompts::ask_terminal) {
                m_resize = m_options.signals->subscribe_terminal([this](core::TerminalEvent event) {
                    if (event == core::TerminalEvent::resized) {
                        on_resize();
                    }
                });
            }
        }
    }

    PlanRun(const PlanRun&) = delete;
    PlanRun& operator=(const PlanRun&) = delete;

    ~PlanRun() {
        if (m_options.signals != nullptr) {
            if (m_resize != 0) {
                m_options.signals->unsubscribe(m_resize);
            }
            m_options.signals->set_escalation({});
        }
        on_loop(m_loop, [this] {
            set_prompt(false);
            m_control.reset();
        });
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
        auto control = std::make_shared<core::ProcessControl>();
        spec.control = control;
        on_loop(m_loop, [this, control] { m_control = control; });
        if (m_options.prompts == Prompts::ask_terminal) {
            spec.terminal =
                core::TerminalSpec{m_options.rows, m_options.cols, [this](std::string_view bytes) {
                                       on_terminal_bytes(bytes);
                                   }};
        }
        auto result = core::spawn_process(m_loop, std::move(spec), m_token).wait();
        on_loop(m_loop, [this] {
            set_prompt(false);
            m_control.reset();
        });
        return result;
    }

    bool interrupted() const { return m_token.is_cancelled(); }
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
        winsize size{};
        if (m_control && ::ioctl(m_options.input_fd, TIOCGWINSZ, &size) == 0 && size.ws_row > 0 &&
            size.ws_col > 0) {
            m_control->resize_terminal(size.ws_row, size.ws_col);
        }
    }

    core::EventLoop& m_loop;
    ProgressTracker m_tracker;
    const ExecuteOptions& m_options;
    const ExecuteCallbacks& m_callbacks;
    core::CancellationToken m_token;
    InstallOutcome m_outcome;
    PromptWatcher m_prompts;
    std::shared_ptr<core::ProcessControl> m_control; // loop thread
    core::SignalMonitor::SubscriptionId m_resize = 0;
    core::EventLoop::WatchId m_input_watch = 0;
    bool m_prompt_open = false;
};

} // namespace

util::Result<InstallOutcome> execute_plan(const InstallPlan& plan, const ExecuteOptions& options,
                                          const ExecuteCallbacks& callbacks) {
    if (options.loop == nullptr) {
        return util::fail(util::ErrorKind::invalid_input, "execute_plan: no event loop");
    }
    // Under sudo apt cannot get its status fd (sudo closes fds above 2); its text lines are then counted.
    ProgressStyle style = plan.progress;
    if (style == ProgressStyle::apt_status_fd && options.elevation == Elevation::sudo) {
        style = ProgressStyle::last_line;
    }
    ExecuteOptions effective = options;
    if (!plan.asks_on_terminal) {
        effective.prompts = Prompts::answer_defaults; // only known questions are handed over
    }
    auto run = std::make_unique<PlanRun>(*options.loop, style, plan, effective, callbacks);
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
    return std::move(outcome);
}

} // namespace zsyncctl::pkg
