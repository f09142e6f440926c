#pragma once

#include "util/error.hpp"

namespace zsyncctl::cli {

/// The documented exit codes of every zsyncctl command.
enum class ExitCode : int {
    success = 0,       // the operation succeeded
    failure = 1,       // the operation failed (a check failed, a manager failed, nothing found)
    usage = 2,         // usage error or refused input
    no_answer = 3,     // pkg search: no manager could search (offline, no repositories, failed, skipped)
    outdated = 100,    // pkg outdated: some package would be upgraded (dnf check-update's convention)
    interrupted = 130, // interrupted by SIGINT (Ctrl-C); SIGTERM, SIGHUP, SIGQUIT give 128 + their number
    reader_gone = 141, // the reader of stdout left (EPIPE), as SIGPIPE would have ended us
};

/// The exit code for an error of this kind: invalid_input is usage, interrupted is 130, others failure.
ExitCode exit_code_for(util::ErrorKind kind);

/// The numeric value to return from main().
constexpr int to_int(ExitCode code) {
    return static_cast<int>(code);
}

} // namespace zsyncctl::cli
