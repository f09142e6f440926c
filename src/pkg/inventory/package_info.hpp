#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/inventory/inventory_types.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// apt/dpkg: `name` (every architecture it has) from dpkg's status (+ journal, apt's extended_states) and the
/// configured lists (candidate by apt_candidate, description, Size, Installed-Size, the list's file name).
/// Empty when neither knows it. Fails like read_dpkg_database, or cancelled.
util::Result<std::vector<PackageInfo>> apt_package_info(const util::Root& root, std::string_view name,
                                                        const core::CancellationToken& token = {});

/// pacman: `name` from the local db (%VERSION%, %DESC%, %SIZE%) and the first sync db in pacman.conf order
/// that has it (%VERSION%, %DESC%, %CSIZE%, %ISIZE%, the repository). Empty when neither has it. Fails with
/// cancelled.
util::Result<std::vector<PackageInfo>> pacman_package_info(const util::Root& root, std::string_view name,
                                                           const core::CancellationToken& token = {});

} // namespace zsyncctl::pkg
