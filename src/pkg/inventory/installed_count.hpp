#pragma once

#include <cstddef>
#include <optional>

#include "pkg/registry/registry.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// How many packages `manager` has installed in `root`, never fewer than the manager itself would see: for
/// the rpm methods the sum over rpm's %_dbpath and every candidate database directory of its inventory
/// facts (a database outside %_dbpath still counts), else what `pkg list` reads. nullopt when a reading
/// fails. Blocking (file reads).
std::optional<std::size_t> installed_package_count(const Manager& manager, const util::Root& root);

} // namespace zsyncctl::pkg
