#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace zsyncctl::pkg {

/// Which of a child's outputs a line came from.
enum class OutputStream { out, err, status };

/// One child process to run for an install or removal.
struct RunSpec {
    /// argv[0] is an absolute path or a name looked up on PATH; never run through a shell.
    std::vector<std::string> argv;
    /// Variables set (or replaced) in the child's environment.
    std::vector<std::pair<std::string, std::string>> env;
    /// When >= 3, the child gets a pipe on this fd number whose lines arrive as OutputStream::status
    /// (apt's -o APT::Status-Fd=N).
    int status_fd = -1;
    /// An fd that becomes readable each time the user asks to interrupt (the cli's SIGINT self-pipe), or
    /// -1. First request: SIGINT to the child's process group; second: SIGKILL.
    int interrupt_fd = -1;
    /// After the first interrupt, SIGKILL the group when it has not exited within this time.
    std::chrono::milliseconds interrupt_grace{10000};
};

/// How a run ended.
struct RunOutcome {
    int exit_code = -1;  // the child's exit status, or -1 when it died from a signal
    int term_signal = 0; // the signal that ended it, or 0
    bool interrupted = false;
    bool escalated = false; // SIGKILL was sent after SIGINT
};

/// Runs `spec` to completion in a new process group with stdin from /dev/null, delivering each line of
/// stdout, stderr and the status fd to `on_line` as it arrives (from the calling thread; lines over 64 KiB
/// are split). Returns when the child has exited and its output is drained; after an interrupt, whatever
/// is left of its process group is killed too. Fails with not_found when the executable is missing, io
/// when pipes or fork fail. Blocking; any thread.
///
/// This is the install command's own runner until core::spawn_process (the runtime's subprocess API) is
/// available to it; the contract is the same: argv, env overrides, extra fd, line callbacks, own group.
util::Result<RunOutcome> run_process(const RunSpec& spec,
                                     const std::function<void(OutputStream, std::string_view)>& on_line);

/// Runs `argv` in the foreground with the terminal (our stdin/stdout/stderr) and waits; for `sudo -v`,
/// which must ask for a password. Returns the exit code (-1 for a signal); not_found when missing.
util::Result<int> run_interactive(const std::vector<std::string>& argv);

/// The absolute path of `name` on `path_env` (a PATH value), or `name` itself when it contains '/' and is
/// executable. Fails with not_found.
util::Result<std::string> find_executable(std::string_view name, std::string_view path_env);

} // namespace zsyncctl::pkg
