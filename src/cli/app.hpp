#pragma once

#include <string>

namespace zsyncctl::cli {

/// Parses the command line, runs the chosen command and returns the process exit code. Every error ends
/// here: printed as one "zsyncctl: error: ..." line (plus a hint line) and mapped to ExitCode.
int run(int argc, char** argv);

/// The multi-line text printed by --version: version, git revision, compiler, build type, io_uring.
std::string version_text();

} // namespace zsyncctl::cli
