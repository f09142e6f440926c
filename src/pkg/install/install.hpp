#pragma once

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "core/cancellation.hpp"
#include "core/event_loop.hpp"
#include "core/signal_monitor.hpp"
#include "pkg/install/concurrent_runs.hpp"
#include "pkg/install/install_plan.hpp"
#include "pkg/install/progress.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

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

/// Whether a second interrupt in the middle of a transaction can be confirmed by a third (a user on a
/// terminal can; a signal from a script cannot).
enum class ConfirmStop { no, yes };

/// Something the user should know while a plan runs or stops.
struct RunNotice {
    enum class Kind {
        lock_wait,        // another program holds the manager's lock (pid, name, path): waiting for it
        lock_acquired,    // it let go: the run goes on
        transaction_wait, // interrupted: the transaction (pid, name) finishes first, then the run stops
        confirm_stop,     // a second interrupt mid-transaction on a terminal: another one within
                          // `seconds` kills it anyway
        stop_refused,     // a second interrupt mid-transaction without a terminal: still waiting
        stopping,         // the run is being killed now (no transaction runs, or the user confirmed)
    };
    Kind kind = Kind::lock_wait;
    pid_t pid = 0;
    std::string name;           // the process's command name ("dpkg")
    std::string path;           // the lock file, as seen on the host
    int seconds = 0;            // lock_wait: the bound; confirm_stop: the window
    std::string repair_command; // what finishes a transaction stopped half-way ("dpkg --configure -a")
};

/// How execute_plan runs a plan.
struct ExecuteOptions {
    Elevation elevation = Elevation::none;
    /// The running loop the commands run on (the runtime's loop); required.
    core::EventLoop* loop = nullptr;
    /// Cancelled when the user asks to interrupt (the command's root token, which the signal monitor
    /// cancels): SIGINT to the manager's process group, or mid-transaction (another process of the run
    /// holds a transaction lock) to the manager alone (a maintainer script dpkg runs must not get it);
    /// then the whole tree of its descendants is waited for with no timer (zsyncctl is their subreaper, so
    /// orphans stay ours). What is left once the manager ended and holds no transaction
    /// lock gets SIGTERM, and SIGKILL after interrupt_grace.
    core::CancellationToken interrupt;
    std::chrono::milliseconds interrupt_grace{3000};
    /// The process's signal monitor, or nullptr. A second stop signal kills the run at once when none of
    /// its processes holds a transaction lock; mid-transaction it needs a third within confirm_window with
    /// ConfirmStop::yes and is refused (the run waits on) with ConfirmStop::no. With ask_terminal, the
    /// manager's terminal follows the user's (SIGWINCH).
    core::SignalMonitor* signals = nullptr;
    ConfirmStop confirm_stop = ConfirmStop::no;
    std::chrono::milliseconds confirm_window{10000};
    /// Where the manager's lock files are read (nullptr: the host). Before each command, a lock another
    /// program holds is waited for (RunNotice lock_wait), at most lock_wait_limit (then timeout).
    const util::Root* root = nullptr;
    std::chrono::milliseconds lock_wait_limit{300000};
    /// ask_terminal (managers whose InstallFacts say they ask on a terminal; others answer by their
    /// flags): the manager runs on a pseudo-terminal and its questions are handed to the user
    /// (ExecuteCallbacks::on_prompt); answer_defaults: its stdin is /dev/null.
    Prompts prompts = Prompts::answer_defaults;
    /// With ask_terminal: where the user's keystrokes are read from while a question is open (our stdin,
    /// a terminal), and the size the manager's terminal gets.
    int input_fd = -1;
    unsigned short rows = 24;
    unsigned short cols = 80;
    /// Set when other plans of this command run at the same time (each with the same object): what this
    /// run waits for or stops after its manager ended is only its own (another run's manager and its
    /// descendants are left alone, and a process of ours holding any run's transaction lock is waited for).
    /// Such runs take signals == nullptr and answer_defaults: the caller owns the second interrupt and
    /// nobody's questions can have the one terminal.
    ConcurrentRuns* concurrent = nullptr;
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
    /// A lock wait, a transaction finishing after an interrupt, a second interrupt (see RunNotice).
    std::function<void(const RunNotice&)> on_notice;
    /// The plan's command at this index of InstallPlan::commands is about to start (for the log file).
    std::function<void(std::size_t)> on_command;
};

/// The package database's true state after an interrupted or failed run (InstallFacts::state_query and
/// audit_command); `checked` false when the manager has none or they could not run.
struct FinalState {
    bool checked = false;
    /// Each planned name with its state ("installed", "half-configured", "not-installed", ...).
    std::vector<std::pair<std::string, std::string>> packages;
    bool audit_clean = true;
    std::string audit_output;   // the audit's first lines when not clean
    std::string repair_command; // InstallFacts::repair_command, with the root option under --root
};

/// How a plan's run ended.
struct InstallOutcome {
    bool success = false;
    bool interrupted = false;
    int exit_code = 0;          // the failing command's exit code (0 on success; -1 when killed by a signal)
    int term_signal = 0;        // the signal that ended the failing command, or 0
    std::string failed_command; // argv[0..] of the failing command, space-joined, for messages
    std::string last_state;     // what the manager last reported (ProgressTracker::last_state)
    std::vector<std::string> errors; // errors from the status fd (apt pmerror)
    /// Non-zero exits the registry says are no failure (Manager::exit_codes), with what they mean.
    std::vector<std::string> notices;
    std::deque<std::string> last_lines; // the last output lines (at most 20)
    ProgressUpdate final_update;
    /// The manager finished its transaction after the interrupt (it was waited for, nothing was killed).
    bool waited_for_transaction = false;
    /// The user confirmed stopping mid-transaction: the run's processes were killed.
    bool forced_stop = false;
    FinalState final_state;
};

/// Runs the plan's commands in order (core::spawn_process on options.loop, each in its own process group),
/// stopping at the first failure, feeding progress through a ProgressTracker and raw lines to the
/// callbacks; the calling thread waits (it must not be the loop thread). Makes this process a child
/// subreaper for good (see ExecuteOptions::interrupt). After an interrupted or failed run, reads the
/// database's FinalState. Fails (without an outcome) when a command cannot be started: not_found for a
/// missing executable, io, invalid_input without a loop; interrupted or timeout while waiting for a lock
/// another program holds.
util::Result<InstallOutcome> execute_plan(const InstallPlan& plan, const ExecuteOptions& options,
                                          const ExecuteCallbacks& callbacks);

} // namespace zsyncctl::pkg
