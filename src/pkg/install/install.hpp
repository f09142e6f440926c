#pragma once

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "core/event_loop.hpp"
#include "core/signal_monitor.hpp"
#include "pkg/install/install_plan.hpp"
#include "pkg/install/progress.hpp"
#include "util/result.hpp"

namespace zsyncctl::pkg {

/// The fd number apt writes its Status-Fd lines to in our runs.
inline constexpr int k_apt_status_fd = 3;

/// How to elevate a plan that needs root.
enum class Elevation {
    none, // run as we are (root already, or the plan needs no root)
    sudo, // prefix "sudo -n --" (after `sudo -v` was run up front)
};

/// Decides how to run `plan` as user `euid`: none when root is not needed or we are root; sudo when
/// root is needed and `sudo_path` is non-empty. Fails with permission_denied when root is needed and there
/// is no sudo (the hint is the command to run as root), or when the plan refuses root (Homebrew) and we
/// are root. Never runs anything.
util::Result<Elevation> decide_elevation(const InstallPlan& plan, unsigned euid, std::string_view sudo_path);

/// The exact argv of each command as it will run: `sudo -n -- env K=V … ARGV` when elevated (sudo resets
/// the environment, so the plan's variables travel through env(1)), apt's Status-Fd option when not
/// elevated (sudo closes every fd above 2, so elevated apt runs report progress from its text output).
std::vector<std::vector<std::string>> final_argvs(const InstallPlan& plan, Elevation elevation,
                                                  Prompts prompts = Prompts::answer_defaults);

/// The environment every run gets: the plan's variables, LC_ALL=C (the parsers read English output), and
/// when answering with defaults the plan's frontend variable (apt: DEBIAN_FRONTEND=noninteractive) unless
/// the caller's environment already chose one (when the user answers, debconf uses its configured
/// frontend on the terminal).
std::vector<std::pair<std::string, std::string>> run_environment(const InstallPlan& plan,
                                                                 Prompts prompts = Prompts::answer_defaults);

/// Which of a manager's outputs a line came from (stdout is the terminal when it runs on one).
enum class OutputStream { out, err, status };

/// How execute_plan runs a plan.
struct ExecuteOptions {
    Elevation elevation = Elevation::none;
    /// The running loop the commands run on (the runtime's loop); required.
    core::EventLoop* loop = nullptr;
    /// Cancelled when the user asks to interrupt (the command's root token, which the signal monitor
    /// cancels): SIGINT to the manager's process group, then SIGKILL when it has not ended after
    /// interrupt_grace.
    core::CancellationToken interrupt;
    std::chrono::milliseconds interrupt_grace{10000};
    /// The process's signal monitor, or nullptr. While a command runs, a second stop signal kills its
    /// group at once; with ask_terminal, the manager's terminal follows the user's (SIGWINCH).
    core::SignalMonitor* signals = nullptr;
    /// ask_terminal (managers whose InstallFacts say they ask on a terminal; others answer by their
    /// flags): the manager runs on a pseudo-terminal and its questions are handed to the user
    /// (ExecuteCallbacks::on_prompt); answer_defaults: its stdin is /dev/null.
    Prompts prompts = Prompts::answer_defaults;
    /// With ask_terminal: where the user's keystrokes are read from while a question is open (our stdin,
    /// a terminal), and the size the manager's terminal gets.
    int input_fd = -1;
    unsigned short rows = 24;
    unsigned short cols = 80;
};

/// What the caller wants to hear while a plan runs, all on the loop thread (the caller of execute_plan
/// waits meanwhile).
struct ExecuteCallbacks {
    std::function<void(const ProgressUpdate&)> on_progress;
    /// Every raw line (for the log file).
    std::function<void(OutputStream, std::string_view)> on_line;
    /// A question began (true: stop drawing progress and put the terminal in character mode, keys now go to
    /// the manager) or ended (false: restore both). Always ends before execute_plan returns.
    std::function<void(bool)> on_prompt;
    /// What the manager's terminal shows while a question is open (raw bytes, escapes included), starting
    /// with the output that led up to the question; for the user's terminal.
    std::function<void(std::string_view)> on_terminal_output;
};

/// How a plan's run ended.
struct InstallOutcome {
    bool success = false;
    bool interrupted = false;
    int exit_code = 0;          // the failing command's exit code (0 on success; -1 when killed by a signal)
    int term_signal = 0;        // the signal that ended the failing command, or 0
    std::string failed_command; // argv[0..] of the failing command, space-joined, for messages
    std::string last_state;     // what the manager last reported (ProgressTracker::last_state)
    std::vector<std::string> errors;    // errors from the status fd (apt pmerror)
    std::deque<std::string> last_lines; // the last output lines (at most 20)
    ProgressUpdate final_update;
};

/// Runs the plan's commands in order (core::spawn_process on options.loop, each in its own process group),
/// stopping at the first failure, feeding progress through a ProgressTracker and raw lines to the
/// callbacks; the calling thread waits (it must not be the loop thread). Fails (without an outcome) only
/// when a command cannot be started: not_found for a missing executable, io, invalid_input without a loop.
util::Result<InstallOutcome> execute_plan(const InstallPlan& plan, const ExecuteOptions& options,
                                          const ExecuteCallbacks& callbacks);

} // namespace zsyncctl::pkg
