#pragma once

#include <optional>
#include <string>
#include <vector>

namespace zsyncctl::cli {

/// Parses the command line, runs the chosen command and returns the process exit code. Every error ends
/// here: printed as one "zsyncctl: error: ..." line (plus a hint line) and mapped to ExitCode.
int run(int argc, char** argv);

/// Parses `args` (the arguments after the program name) exactly as run() does, without running or printing
/// anything: the exit code parsing alone ends with (0 for --help/--version, 2 for a usage error, 1 when
/// something other than a usage error escaped the parser, which is a bug), or nullopt when a command would
/// run. For fuzzing and tests.
std::optional<int> check_command_line(const std::vector<std::string>& args);

/// The multi-line text printed by --version: version, git revision, compiler, build type, io_uring.
std::string version_text();

/// The same facts as one JSON document (what `--json version` and `--json --version` print).
std::string version_json();

} // namespace zsyncctl::cli
