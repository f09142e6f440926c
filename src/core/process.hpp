#pragma once

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/cancellation.hpp"
#include "core/event_loop.hpp"
#include "core/future.hpp"
#include "util/result.hpp"
#include "util/unique_function.hpp"

namespace zsyncctl::core {

class Runtime;

/// Receives one line of output, without its trailing '\n' (a line longer than 1 MiB is delivered in
/// pieces). Runs on the loop thread; must be quick and must not throw.
using LineCallback = util::UniqueFunction<void(std::string_view line)>;

/// What the child's standard input is.
enum class StdinMode { null, pipe };
/// Whether the child leads a new process group (so timeouts and cancellation reach its descendants).
enum class ProcessGroup { new_group, inherit };
/// How the exit of the child is noticed: pidfd where the kernel has it (else the SIGCHLD scheme), or
/// the SIGCHLD scheme always (for kernels before 5.3, and for testing it).
enum class Reaper { automatic, sigchld };

/// An extra pipe from the child: the child writes to `child_fd` (e.g. apt's --status-fd 3).
struct ExtraOutput {
    int child_fd = 3;
    LineCallback on_line;
};

/// A pseudo-terminal for the child: its stdin, stdout and stderr are the terminal (programs ask their
/// questions on either), and it leads a new session whose controlling terminal that is (so it is also a
/// new process group, whatever ProcessSpec::group says). What it writes to the terminal reaches
/// on_stdout_line as lines (without the terminal's '\r') and `on_output` as raw bytes, escapes included;
/// on_stderr_line gets nothing.
struct TerminalSpec {
    unsigned short rows = 24;
    unsigned short cols = 80;
    /// Every chunk read from the terminal, as read; on the loop thread. May be empty.
    util::UniqueFunction<void(std::string_view bytes)> on_output;
};

namespace detail {
struct ProcessControlBinder;
}

/// A handle on a started child for callers that need more than its future: signal its process group
/// at a moment of their choosing, type into its terminal, resize the terminal. Created by the caller and
/// handed over in ProcessSpec::control. Loop thread only; every call returns false before the child was
/// started on the loop and after it was reaped (so a signal never reaches a recycled pid).
class ProcessControl {
public:
    /// Sends `sig` to the child's process group (to the child alone with ProcessGroup::inherit); false
    /// when the child is not running or kill() failed.
    bool signal(int sig) const;
    /// Sends `sig` to the child alone, not its group (an interrupt for apt that must not reach the
    /// maintainer script dpkg runs); false when the child is not running or kill() failed.
    bool signal_leader(int sig) const;
    /// Writes `bytes` to the child's terminal as if typed; false without a terminal or when the terminal
    /// would not take all of it now (the rest is dropped: the child is not reading its input).
    bool write_terminal(std::string_view bytes) const;
    /// Sets the terminal's size (the child gets SIGWINCH); false without a terminal.
    bool resize_terminal(unsigned short rows, unsigned short cols) const;
    /// The child's pid while it runs, else 0.
    pid_t pid() const { return m_pid; }

private:
    friend struct detail::ProcessControlBinder;
    pid_t m_pid = 0;
    bool m_whole_group = true;
    int m_terminal_fd = -1;
};

/// Everything needed to start a child. Plain data; argv[0] is looked up in PATH (the overridden PATH if
/// env_set changes it) unless it contains a '/'. Never run through a shell.
struct ProcessSpec {
    std::vector<std::string> argv;
    /// Environment changes over the inherited environment: unset first, then set. As root, the inherited
    /// environment first loses another user's HOME and XDG directories (util::root_child_environment).
    std::vector<std::pair<std::string, std::string>> env_set;
    std::vector<std::string> env_unset;
    /// Working directory; empty: inherit ours.
    std::string cwd;
    /// Ignored when `terminal` is set (the terminal is the child's stdin).
    StdinMode stdin_mode = StdinMode::null;
    /// Written to the child's stdin when stdin_mode is pipe, then the pipe is closed.
    std::string stdin_data;
    LineCallback on_stdout_line;
    LineCallback on_stderr_line;
    std::vector<ExtraOutput> extra_outputs;
    /// When set, the child runs on a new pseudo-terminal (see TerminalSpec).
    std::optional<TerminalSpec> terminal;
    /// When set, bound to the child once it runs (see ProcessControl).
    std::shared_ptr<ProcessControl> control;
    ProcessGroup group = ProcessGroup::new_group;
    /// Zero: no timeout. Past it: stop_signal to the group, SIGKILL after kill_grace.
    std::chrono::milliseconds timeout{0};
    /// The first signal a timeout or cancellation sends (SIGINT forwards a user's Ctrl-C).
    int stop_signal = SIGTERM;
    std::chrono::milliseconds kill_grace{2000};
    /// How long to keep reading after the child exited while something (a grandchild) still holds its
    /// pipes open; then the result is delivered with output_cut_off set.
    std::chrono::milliseconds drain_after_exit{250};
    /// Bytes kept per stream (the tail; older output is dropped and counted). Zero keeps nothing.
    std::size_t capture_limit = 8U << 20;
    Reaper reaper = Reaper::automatic;

    /// Convenience: adds an environment override.
    ProcessSpec& set_env(std::string name, std::string value) {
        env_set.emplace_back(std::move(name), std::move(value));
        return *this;
    }
};

/// How a child ended.
enum class ProcessOutcome { exited, killed, timed_out, cancelled };

/// The end of a child: the outcome, the exit code or signal, and the captured output tails.
struct ProcessResult {
    ProcessOutcome outcome = ProcessOutcome::exited;
    /// The exit code when the child exited (also for timed_out/cancelled if it exited on SIGTERM), else -1.
    int exit_code = -1;
    /// The signal that ended the child, else 0.
    int signal = 0;
    pid_t pid = 0;
    std::string stdout_text;
    std::string stderr_text;
    /// Captured output of each extra pipe, by child fd number.
    std::map<int, std::string> extra_text;
    /// Bytes dropped from the front of stdout/stderr because of capture_limit.
    std::uint64_t stdout_dropped = 0;
    std::uint64_t stderr_dropped = 0;
    /// True when the child exited but its pipes stayed open past drain_after_exit (a grandchild kept them).
    bool output_cut_off = false;
    std::chrono::milliseconds elapsed{0};
    /// Whether the exit was noticed through a pidfd (false: the SIGCHLD scheme).
    bool used_pidfd = false;

    /// True for exited with code 0.
    bool success() const { return outcome == ProcessOutcome::exited && exit_code == 0; }
    /// "exited with code 3", "killed by SIGKILL", "timed out (killed by SIGTERM)", "cancelled (...)".
    std::string describe() const;
};

/// "exited", "killed", "timed_out", "cancelled".
std::string_view to_string(ProcessOutcome outcome);

/// Starts `spec` and returns a future for its end; callable from any thread. Output is read through
/// `loop` (which must be running, or run later, and outlive the child) and the line callbacks run on the
/// loop thread as output arrives. Cancelling `token` ends the child like a timeout (stop_signal to the group,
/// SIGKILL after the grace) with outcome cancelled. The future fails, without a child being left
/// behind, with not_found (missing executable or working directory), permission_denied, invalid_input
/// (empty argv, bad fd numbers), io/SystemResourceExhausted (pipes, fork), or RuntimeShutdown when the
/// loop is destroyed first (the child is then killed and reaped).
Future<ProcessResult> spawn_process(EventLoop& loop, ProcessSpec spec, CancellationToken token = {});

/// Like above on the runtime's loop (Runtime::loop()); its errors (e.g. IoUringNotAvailable) fail the
/// future. The child is also ended when the runtime shuts down.
Future<ProcessResult> spawn_process(Runtime& runtime, ProcessSpec spec, CancellationToken token = {});

/// Runs `spec` to its end on the calling thread with a private epoll loop, for callers without a runtime.
/// Fails like spawn_process.
util::Result<ProcessResult> run_process(ProcessSpec spec, CancellationToken token = {});

} // namespace zsyncctl::core
