#pragma once

#include <vector>

#include "core/config.hpp"

namespace zsyncctl::core {

/// Config::validate() for a process that may use `cpus` CPUs instead of the host's CPU budget (doctor
/// passes the budget it already read, from the host or a --root image). Never fails; empty when fine.
std::vector<ConfigFinding> validate_config(const Config& config, unsigned cpus);

} // namespace zsyncctl::core
