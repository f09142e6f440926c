#pragma once

#include <string_view>

#include "pkg/install/simulation.hpp"

namespace zsyncctl::pkg {

/// Reads `zypper --xmlout ... --dry-run` output into `result`: the <install-summary>'s <to-install>,
/// <to-reinstall>, <to-upgrade>, <to-downgrade> and <to-remove> solvables (name, edition, edition-old),
/// the error messages, the notices that explain an empty transaction ("Nothing to do.", "... is already
/// installed") and the text of a solver problem's prompt. Leaves `resolved` to the caller. Never fails.
void parse_zypper_xml_simulation(std::string_view out, SimulationResult& result);

} // namespace zsyncctl::pkg
