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

/// Which command tree check_command_line_with() parses with: the part run() defines for the command line,
/// or the whole tree (what --help, completion and the man page see).
enum class CommandTree { needed, full };

/// What parsing alone ended with: the exit code as check_command_line() returns it, and for a usage error
/// CLI11's message, a newline and the hint run() would add (empty when none); an internal error's text.
struct CommandLineCheck {
    std::optional<int> code; ///< nullopt: a command would run
    std::string message;     ///< empty when parsing succeeded
};

/// check_command_line() with the tree chosen: tests compare the two trees' outcomes for one command line.
CommandLineCheck check_command_line_with(const std::vector<std::string>& args, CommandTree tree);

/// The multi-line text printed by --version: version, git revision, compiler, build type, io_uring.
std::string version_text();

/// The same facts as one JSON document (what `--json version` and `--json --version` print).
std::string version_json();

} // namespace zsyncctl::cli
