#pragma once

#include <string>

#include "core/cancellation.hpp"
#include "core/process.hpp"
#include "util/result.hpp"

namespace zsyncctl::pkg {

/// Runs one of a manager's inventory commands (`spec` with its timeout set) and returns its result when
/// the process ran to an exit or a signal; a cancellation fails as `cancelled`, its timeout as `timeout`
/// ("WHAT did not finish in N minutes"), a process that could not start with run_process's error. The
/// exit status is the caller's to read (the registry's exit table).
util::Result<core::ProcessResult> run_manager_command(core::ProcessSpec spec, const std::string& what,
                                                      const core::CancellationToken& token);

} // namespace zsyncctl::pkg
