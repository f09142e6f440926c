#include "pkg/install/install.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <future>
#include <memory>
#include <system_error>
#include <thread>

#include "core/event_loop.hpp"
#include "core/process.hpp"
#include "core/process_tree.hpp"
#include "pkg/install/terminal_prompt.hpp"
#include "pkg/install/transaction.hpp"
#include "pkg/registry/registry.hpp"
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

RunNotice notice_of(RunNotice::Kind kind, const std::optional<LockHolder>& holder = std::nullopt) {
    RunNotice notice;
    notice.kind = kind;
    if (holder) {
        notice.pid = holder->pid;
        notice.name = holder->name;
        notice.path = holder->path;
    }
    return notice;
}

/// One plan's run on the runtime's loop: the callbacks of every command, the interrupts and the relay of
/// the user's keys and window size run on the loop thread; the caller waits for each command and for the
/// tree of processes it leaves.
class PlanRun {
public:
    PlanRun(core::EventLoop& loop, ProgressStyle style, const InstallPlan& plan,
            const ExecuteOptions& options, const ExecuteCallbacks& callbacks)
        : m_loop(loop), m_tracker(style, plan.operation), m_options(options), m_callbacks(callbacks),
          m_token(options.interrupt.child()), m_root(options.root != nullptr ? *options.root : m_host) {
        if (const Manager* entry = find_manager(plan.manager); entry != nullptr) {
            m_transaction_locks = entry->install.transaction_locks;
            m_rolls_back = entry->install.rolls_back_on_interrupt;
            m_repair = repair_command(*entry, m_root);
        }
        if (m_options.concurrent != nullptr) {
            m_concurrent_id = m_options.concurrent->add(m_transaction_locks);
        }
        if (m_options.signals != nullptr) {
            m_options.signals->set_escalation([this](int) { on_second_interrupt(); });
            if (m_options.prompts == Prompts::ask_terminal) {
                m_resize = m_options.signals->subscribe_terminal([this](core::TerminalEvent event) {
                    if (event == core::TerminalEvent::resized) {
                        on_resize();
                    } else if (event == core::TerminalEvent::suspending) {
                        pause_relay();
                    } else {
                        resume_relay();
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

    /// Runs one command to its end, and then waits for what it left running (see finish_tree); fails only
    /// when it cannot start.
    util::Result<core::ProcessResult> run(const std::vector<std::string>& argv,
                                          const std::vector<std::pair<std::string, std::string>>& env,
                                          bool status_fd) {
        core::ProcessSpec spec;
        spec.argv = argv;
        spec.env_set = env;
        spec.capture_limit = 0; // last_lines keeps what a failure shows
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
        // No token and no timer: an interrupt is forwarded to the manager alone (on_interrupt), and the
        // run ends when the manager ends, never by a kill while its transaction runs.
        auto future = core::spawn_process(m_loop, std::move(spec));
        if (m_options.concurrent != nullptr) {
            // The spawn was posted first: on the loop the manager has its pid (or failed to start) now.
            pid_t main = 0;
            on_loop(m_loop, [&] { main = m_control ? m_control->pid() : 0; });
            m_options.concurrent->set_main(m_concurrent_id, main);
        }
        auto cancel_id = m_token.on_cancel([this] { m_loop.post([this] { on_interrupt(); }); });
        auto result = future.wait();
        if (cancel_id != 0) {
            m_token.remove_callback(cancel_id);
        }
        if (m_options.concurrent != nullptr) {
            m_options.concurrent->set_main(m_concurrent_id, 0);
        }
        on_loop(m_loop, [this] {
            set_prompt(false);
            m_control.reset();
        });
        finish_tree();
        return result;
    }

    bool interrupted() const { return m_token.is_cancelled(); }
    bool forced() const { return m_killed.load(); }
    ProgressTracker& tracker() { return m_tracker; }
    InstallOutcome& outcome() { return m_outcome; }

private:
    using Clock = std::chrono::steady_clock;

    void notify(RunNotice notice) {
        notice.repair_command = m_repair;
        if (m_callbacks.on_notice) {
            m_callbacks.on_notice(notice);
        }
    }

    /// A process of our run, other than the manager's own (`main`), that holds a transaction lock.
    std::optional<LockHolder> transaction_holder(pid_t main) const {
        if (m_transaction_locks.empty()) {
            return std::nullopt;
        }
        return find_lock_holder(m_root, m_transaction_locks,
                                [main](pid_t pid) { return pid != main && in_our_tree(pid); });
    }

    /// Loop thread: the first interrupt, SIGINT as a Ctrl-C on the manager's terminal would send it: to its
    /// process group, except mid-transaction (a process other than the manager holds a transaction lock):
    /// then to the manager alone, so a maintainer script dpkg runs in that group never gets it (apt lets
    /// dpkg finish and stops), and the user hears that the transaction finishes first.
    void on_interrupt() {
        if (!m_control) {
            return;
        }
        auto holder = transaction_holder(m_control->pid());
        if (!holder) {
            m_control->signal(SIGINT);
            m_interrupt_sent = true;
            return;
        }
        m_control->signal_leader(SIGINT);
        m_outcome.waited_for_transaction = true;
        notify(notice_of(RunNotice::Kind::transaction_wait, holder));
    }

    /// Loop thread: a second (or later) stop signal. Nothing holds a transaction lock: the run is killed at
    /// once. Mid-transaction: a user on a terminal is told the cost and must repeat it within the window;
    /// without a terminal it is refused and the transaction finishes.
    void on_second_interrupt() {
        pid_t main = m_control ? m_control->pid() : 0;
        auto holder = transaction_holder(main);
        if (!holder && m_rolls_back && m_interrupt_sent && main > 0 &&
            m_options.confirm_stop == ConfirmStop::yes) {
            // A terminal user's second Ctrl-C while the manager undoes its changes (npm's rollback after
            // the first): the manager is the transaction now, so the cost is told and a third one kills.
            // Without a terminal a second signal still kills at once: a manager that ignores SIGINT must
            // stay stoppable by a script.
            holder = LockHolder{};
            holder->pid = main;
            holder->name = core::process_name(main);
        }
        if (!holder) {
            notify(notice_of(RunNotice::Kind::stopping));
            kill_tree();
            return;
        }
        RunNotice notice = notice_of(RunNotice::Kind::stopping, holder);
        if (m_options.confirm_stop == ConfirmStop::no) {
            notice.kind = RunNotice::Kind::stop_refused;
            notify(notice);
            return;
        }
        auto now = Clock::now();
        if (m_confirm_until && now <= *m_confirm_until) {
            notice.kind = RunNotice::Kind::stopping;
            notify(notice);
            m_outcome.forced_stop = true;
            kill_tree();
            return;
        }
        m_confirm_until = now + m_options.confirm_window;
        notice.kind = RunNotice::Kind::confirm_stop;
        notice.seconds = static_cast<int>(
            std::chrono::duration_cast<std::chrono::seconds>(m_options.confirm_window).count());
        notify(notice);
    }

    /// Kills every process of the run: the manager's group and every descendant of ours (dpkg in its own
    /// session included).
    void kill_tree() {
        m_killed = true;
        if (m_control) {
            m_control->signal(SIGKILL);
        }
        for (pid_t pid : core::descendants_of(::getpid())) {
            ::kill(pid, SIGKILL);
        }
    }

    /// Calling thread, after the manager's own process ended: what it left running. A process holding a
    /// transaction lock (dpkg orphaned by apt) is waited for, always. The rest is left alone after a normal
    /// end (a daemon a maintainer script started) and stopped after an interrupt: SIGTERM, then SIGKILL
    /// after the grace. Adopted orphans that exit are reaped.
    void finish_tree() {
        bool announced = false;
        std::optional<Clock::time_point> term_sent;
        std::optional<Clock::time_point> kill_sent;
        for (;;) {
            core::reap_adopted_children();
            auto left = own_descendants();
            if (left.empty()) {
                return;
            }
            if (!m_killed) {
                if (auto holder = tree_transaction_holder(left)) {
                    if (!announced) {
                        announced = true;
                        m_outcome.waited_for_transaction = interrupted();
                        on_loop(m_loop,
                                [&] { notify(notice_of(RunNotice::Kind::transaction_wait, holder)); });
                    }
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
                    continue;
                }
            }
            if (!interrupted() && !m_killed) {
                return;
            }
            auto now = Clock::now();
            if (!term_sent) {
                term_sent = now;
                for (pid_t pid : left) {
                    ::kill(pid, SIGTERM);
                }
            } else if (!kill_sent && now >= *term_sent + m_options.interrupt_grace) {
                kill_sent = now;
                for (pid_t pid : left) {
                    ::kill(pid, SIGKILL);
                }
            } else if (kill_sent && now >= *kill_sent + std::chrono::seconds(5)) {
                return; // unkillable (stuck in the kernel): nothing more to do
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    /// Our descendants, less the other concurrent runs' managers and what runs under them.
    std::vector<pid_t> own_descendants() const {
        auto left = core::descendants_of(::getpid());
        if (m_options.concurrent == nullptr) {
            return left;
        }
        for (pid_t other : m_options.concurrent->other_mains(m_concurrent_id)) {
            auto theirs = core::descendants_of(other);
            theirs.push_back(other);
            std::erase_if(left, [&](pid_t pid) {
                return std::find(theirs.begin(), theirs.end(), pid) != theirs.end();
            });
        }
        return left;
    }

    /// A process of `left` (own_descendants) mid-transaction: holding this manager's transaction lock, or
    /// with concurrent runs any run's (an orphan of another run's manager, dpkg after apt, is never stopped
    /// by us).
    std::optional<LockHolder> tree_transaction_holder(const std::vector<pid_t>& left) const {
        if (m_options.concurrent == nullptr) {
            return transaction_holder(0);
        }
        auto locks = m_options.concurrent->all_transaction_locks();
        if (locks.empty()) {
            return std::nullopt;
        }
        return find_lock_holder(m_root, locks, [&left](pid_t pid) {
            return std::find(left.begin(), left.end(), pid) != left.end();
        });
    }

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
            if (!m_relay_paused) {
                watch_input();
            }
        } else if (m_input_watch != 0) {
            m_loop.unwatch_fd(m_input_watch);
            m_input_watch = 0;
        }
    }

    /// Loop thread, Ctrl-Z: no key is read from the user's terminal until SIGCONT. The shell owns it
    /// meanwhile (a read would stop us with SIGTTIN, or block in its canonical mode, deaf to SIGCONT).
    void pause_relay() {
        if (m_input_watch != 0) {
            m_loop.unwatch_fd(m_input_watch);
            m_input_watch = 0;
            m_relay_paused = true;
        }
    }

    /// Loop thread, SIGCONT (after the terminal's owner entered character mode again): keys flow again.
    void resume_relay() {
        if (!m_relay_paused) {
            return;
        }
        m_relay_paused = false;
        if (m_prompt_open) {
            watch_input();
        }
    }

    void watch_input() {
        if (m_options.input_fd >= 0 && m_input_watch == 0) {
            auto w = m_loop.watch_fd(m_options.input_fd, core::EventLoop::k_readable,
                                     [this](std::uint32_t) { relay_input(); });
            m_input_watch = w ? *w : 0;
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

    util::Root m_host;
    core::EventLoop& m_loop;
    ProgressTracker m_tracker;
    const ExecuteOptions& m_options;
    const ExecuteCallbacks& m_callbacks;
    core::CancellationToken m_token;
    const util::Root& m_root;
    std::vector<std::string_view> m_transaction_locks;
    std::string m_repair;
    std::size_t m_concurrent_id = 0;
    std::atomic<bool> m_killed{false};
    std::optional<Clock::time_point> m_confirm_until; // loop thread
    InstallOutcome m_outcome;
    PromptWatcher m_prompts;
    std::shared_ptr<core::ProcessControl> m_control; // loop thread
    core::SignalMonitor::SubscriptionId m_resize = 0;
    bool m_rolls_back = false;     // the registry's rolls_back_on_interrupt for the plan's manager
    bool m_interrupt_sent = false; // loop thread: the first interrupt reached the manager's group
    core::EventLoop::WatchId m_input_watch = 0;
    bool m_prompt_open = false;
    bool m_relay_paused = false; // loop thread: stopped by Ctrl-Z, not continued yet
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
    // Orphans of the manager (dpkg when apt is gone, a script's background job) stay ours to wait for.
    core::become_subreaper();
    auto run = std::make_unique<PlanRun>(*options.loop, style, plan, effective, callbacks);
    auto argvs = final_argvs(plan, options.elevation, effective.prompts);
    auto env = options.elevation == Elevation::sudo ? std::vector<std::pair<std::string, std::string>>{}
                                                    : run_environment(plan, effective.prompts);
    const Manager* entry = find_manager(plan.manager);
    util::Root host;
    const util::Root& root = options.root != nullptr ? *options.root : host;
    InstallOutcome& outcome = run->outcome();
    outcome.success = true;
    for (auto& argv : argvs) {
        if (run->interrupted()) {
            outcome.success = false;
            outcome.interrupted = true;
            break;
        }
        if (entry != nullptr) {
            auto waited = wait_for_locks(
                root, entry->install.lock_files, entry->install.presence_locks, options.interrupt,
                options.lock_wait_limit,
                [&](const LockHolder& holder) {
                    RunNotice notice = notice_of(RunNotice::Kind::lock_wait, holder);
                    notice.seconds = static_cast<int>(
                        std::chrono::duration_cast<std::chrono::seconds>(options.lock_wait_limit).count());
                    if (callbacks.on_notice) {
                        on_loop(*options.loop, [&] { callbacks.on_notice(notice); });
                    }
                },
                [&] {
                    if (callbacks.on_notice) {
                        on_loop(*options.loop,
                                [&] { callbacks.on_notice(notice_of(RunNotice::Kind::lock_acquired)); });
                    }
                });
            if (!waited) {
                return util::fail(std::move(waited).error());
            }
        }
        if (callbacks.on_command) {
            const auto command_index = static_cast<std::size_t>(&argv - argvs.data());
            on_loop(*options.loop, [&] { callbacks.on_command(command_index); });
        }
        auto result = run->run(argv, env, style == ProgressStyle::apt_status_fd);
        if (!result) {
            return util::fail(std::move(result).error());
        }
        // A code the registry says is no failure (zypper's 102: a reboot is needed) goes on, and is said.
        const ExitCodeFact* not_failed = entry != nullptr && result->outcome == core::ProcessOutcome::exited
                                             ? non_failure_exit(*entry, argv, result->exit_code)
                                             : nullptr;
        if (not_failed != nullptr && !run->interrupted()) {
            outcome.notices.push_back(plan.manager + " exited " + std::to_string(result->exit_code) + ": " +
                                      std::string(not_failed->says));
            continue;
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
    outcome.forced_stop = outcome.forced_stop || run->forced();
    outcome.final_update = run->tracker().finish(outcome.success);
    outcome.last_state = run->tracker().last_state();
    outcome.errors = run->tracker().errors();
    if (!outcome.success && entry != nullptr) {
        outcome.final_state = read_final_state(*options.loop, *entry, plan.names, root);
    }
    return std::move(outcome);
}

} // namespace zsyncctl::pkg
