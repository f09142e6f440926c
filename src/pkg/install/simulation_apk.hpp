#pragma once

#include <string_view>

#include "pkg/install/simulation.hpp"

namespace zsyncctl::pkg {

/// Reads `apk ... --simulate` output (apk-tools 2.x and 3.x, commit.c's print_change) into `result`:
/// "(i/n) Installing NAME (VER)" an install, "(i/n) Upgrading|Downgrading|Replacing NAME (OLD -> NEW)" an
/// upgrade, "(i/n) Purging NAME (VER)" a removal; a repository tag after the name ("NAME@edge") is kept off
/// the name. "Reinstalling" and "Updating pinning" change no version and are left out. "ERROR: ..." lines
/// and their indented details become messages. Leaves `resolved` to the caller. Never fails.
void parse_apk_simulation(std::string_view out, SimulationResult& result);

} // namespace zsyncctl::pkg
