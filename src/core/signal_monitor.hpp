#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "core/cancellation.hpp"
#include "core/event_loop.hpp"
#include "util/result.hpp"
#include "util/unique_function.hpp"

namespace zsyncctl::core {

/// What happened to the terminal, for whoever owns it (SIGWINCH, SIGTSTP, SIGCONT).
enum class TerminalEvent { resized, suspending, resumed };

/// The one owner of the process's signals, driven by an event loop. Its handlers only write the signal
/// number to a self-pipe that the loop watches (SIGCHLD stays with the process reaper, untouched); the loop
/// thread then:
/// - on the first SIGINT, SIGTERM, SIGHUP or SIGQUIT: remembers it (exit_code() is 128 + its number) and
///   cancels the token it was given (the command's root token);
/// - on a second one: calls the escalation callback, by default the exit hooks, SIGKILL to every child
///   spawn_process started that is still running (its group), then _exit(exit_code());
/// - on SIGWINCH / SIGCONT: tells the terminal subscribers (resized / resumed);
/// - on SIGTSTP: tells the subscribers (suspending, so they can restore the terminal), then stops the
///   process with SIGSTOP; SIGCONT brings it back.
/// A caught signal that was ignored (SIG_IGN) when install() ran stays ignored for the monitor's life and
/// gets no handler: nohup's SIGHUP, the SIGINT and SIGQUIT a non-interactive shell ignores for a background
/// job, a `trap '' TERM`. The monitor never hears of it, and children keep ignoring it (exec keeps SIG_IGN;
/// spawn_process resets only the stop signals that are not ignored). POSIX shells and init scripts rely on
/// it. SIGPIPE is ignored while it is installed, so a write to a closed pipe fails with EPIPE instead of
/// killing the process. At most one monitor exists at a time; the destructor restores the previous
/// dispositions.
///
/// Threads: install() and the destructor belong to one thread (the command's main thread); subscribe/
/// unsubscribe/set_escalation/add_exit_hook and the queries are thread-safe. Callbacks run on the loop
/// thread, one at a time.
class SignalMonitor {
public:
    using SubscriptionId = std::uint64_t;

    /// Installs the handlers and watches the self-pipe on `loop` (which must run, now or later, for the
    /// signals to take effect; watching happens through post(), so any thread may call this). Fails with
    /// invalid_input when another monitor is installed and with io when the pipe cannot be created.
    static util::Result<std::unique_ptr<SignalMonitor>> install(EventLoop& loop, CancellationToken token);

    /// Restores the signal dispositions found by install() and detaches from the loop.
    ~SignalMonitor();
    SignalMonitor(const SignalMonitor&) = delete;
    SignalMonitor& operator=(const SignalMonitor&) = delete;

    /// The first stop signal the loop has handled (SIGINT, SIGTERM, SIGHUP, SIGQUIT), else 0.
    int received() const;

    /// Whether `sig` is one of the caught signals that was ignored when install() ran (so no handler was
    /// installed for it and it is never received); false for any other signal.
    bool ignored_by_caller(int sig) const;

    /// 128 + received() (130 INT, 143 TERM, 129 HUP, 131 QUIT), or 0 when none arrived.
    int exit_code() const;

    /// Replaces what a second stop signal does; `escalate(sig)` runs on the loop thread with the second
    /// signal's number. An empty function restores the default (exit hooks, children killed, _exit).
    void set_escalation(util::UniqueFunction<void(int)> escalate);

    /// Registers `hook` to run (on the loop thread) just before the default escalation exits the process,
    /// e.g. to show the cursor and restore terminal modes. Hooks run in reverse order of registration.
    SubscriptionId add_exit_hook(util::UniqueFunction<void()> hook);

    /// Calls `callback(event)` on the loop thread for every terminal event until unsubscribe(id).
    SubscriptionId subscribe_terminal(util::UniqueFunction<void(TerminalEvent)> callback);

    /// Removes a terminal subscription or an exit hook; false when `id` is unknown. When it returns, the
    /// callback is not running on another thread (unless called from that callback) and will not run again.
    bool unsubscribe(SubscriptionId id);

    /// Runs the exit hooks now (e.g. before a command exits at once on its own); each runs at most once.
    void run_exit_hooks();

    struct State;

private:
    explicit SignalMonitor(std::shared_ptr<State> state, EventLoop& loop);
    std::shared_ptr<State> m_state;
    EventLoop& m_loop;
};

/// The exit code for a stop signal: 128 + `sig`.
constexpr int signal_exit_code(int sig) {
    return sig > 0 ? 128 + sig : 0;
}

} // namespace zsyncctl::core
