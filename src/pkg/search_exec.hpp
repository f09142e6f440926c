#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "util/result.hpp"

namespace zsyncctl::pkg {

/// How one search command ended.
struct CommandOutcome {
    enum class End { exited, timed_out, cancelled };
    End end = End::exited;
    int exit_code = -1;  ///< exit status when it exited normally, else -1
    int term_signal = 0; ///< signal that ended it, or 0
    std::string out;     ///< standard output (capped at 64 MiB)
    std::string err;     ///< standard error (capped at 1 MiB)
    int pid = 0;         ///< the process id (also its process group id); reaped before return
};

/// One command to run: argv[0] is an absolute path; `env_overrides` are "NAME=value" entries replacing or
/// adding to the inherited environment. Standard input is /dev/null.
struct CommandSpec {
    std::vector<std::string> argv;
    std::vector<std::string> env_overrides;
    std::chrono::steady_clock::time_point deadline;
    int cancel_fd = -1; ///< becomes readable when the command must stop (an eventfd); -1 for none
};

/// Runs the command in its own process group, collecting its output, until it exits, the deadline passes,
/// or cancel_fd becomes readable; in the last two cases the whole group gets SIGTERM, then SIGKILL 300 ms
/// later, and is reaped before return, so nothing is left behind. Fails with not_found/permission_denied
/// when the program cannot be started, io for pipe failures. Blocks the calling thread; thread-safe.
util::Result<CommandOutcome> run_command(const CommandSpec& spec);

/// The absolute path of `name` found on $PATH (executable regular file), or empty. A name containing '/'
/// is returned as is when executable.
std::string find_on_path(std::string_view name);

} // namespace zsyncctl::pkg
