#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace zsyncctl::pkg {

/// Runs `argv` in the foreground with the terminal (our stdin/stdout/stderr) and waits; for `sudo -v`,
/// which must ask for a password on the terminal, in our process group so the terminal's signals reach it.
/// (Managers themselves run through core::spawn_process, see execute_plan.) Returns the exit code (-1 for
/// a signal); not_found when missing.
util::Result<int> run_interactive(const std::vector<std::string>& argv);

} // namespace zsyncctl::pkg
