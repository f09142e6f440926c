#pragma once

#include <deque>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/install_plan.hpp"
#include "pkg/process_runner.hpp"
#include "pkg/progress.hpp"
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
std::vector<std::vector<std::string>> final_argvs(const InstallPlan& plan, Elevation elevation);

/// The environment every run gets: the plan's variables, LC_ALL=C (the parsers read English output), and
/// for apt DEBIAN_FRONTEND=noninteractive unless the caller's environment already chose a frontend.
std::vector<std::pair<std::string, std::string>> run_environment(const InstallPlan& plan);

/// Holds an exclusive advisory lock for a lock group while alive (flock on a file in `dir`).
class LockGroupGuard {
public:
    LockGroupGuard() = default;
    LockGroupGuard(const LockGroupGuard&) = delete;
    LockGroupGuard& operator=(const LockGroupGuard&) = delete;
    LockGroupGuard(LockGroupGuard&& other) noexcept;
    LockGroupGuard& operator=(LockGroupGuard&& other) noexcept;
    ~LockGroupGuard();

    /// Takes the lock for `group` in `dir`, calling `on_wait` once if another run holds it, then waiting
    /// until it is free or `interrupt_fd` becomes readable (then fails with interrupted). Fails with io when
    /// the lock file cannot be created.
    static util::Result<LockGroupGuard> acquire(const std::filesystem::path& dir, std::string_view group,
                                                int interrupt_fd, const std::function<void()>& on_wait);

private:
    int m_fd = -1;
};

/// What the caller wants to hear while a plan runs, all on the calling thread.
struct ExecuteCallbacks {
    std::function<void(const ProgressUpdate&)> on_progress;
    /// Every raw line (for the log file).
    std::function<void(OutputStream, std::string_view)> on_line;
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

/// Runs the plan's commands in order with `elevation`, stopping at the first failure, feeding progress
/// through a ProgressTracker and raw lines to the callbacks. `interrupt_fd` as in RunSpec. Fails (without
/// an outcome) only when a command cannot be started: not_found for a missing executable, io.
util::Result<InstallOutcome> execute_plan(const InstallPlan& plan, Elevation elevation, int interrupt_fd,
                                          const ExecuteCallbacks& callbacks);

} // namespace zsyncctl::pkg
