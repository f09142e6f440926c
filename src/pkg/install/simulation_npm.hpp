#pragma once

#include <string_view>

#include "pkg/install/simulation.hpp"

namespace zsyncctl::pkg {

/// Reads `npm install --global --dry-run` output (npm 7+, the lines reify would act on) into `result`:
/// "add NAME VERSION" an install, "change NAME OLD => NEW" an upgrade (or downgrade), "remove NAME
/// VERSION" a removal; other lines ("changed 1 package in 2s", "up to date ...") are no transaction.
/// Leaves `resolved` to the caller. Never fails.
void parse_npm_dry_run(std::string_view out, SimulationResult& result);

} // namespace zsyncctl::pkg
