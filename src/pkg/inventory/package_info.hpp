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

/// apt/dpkg: `name` (every architecture it has; "name:arch" with an architecture of this system: that one)
/// from dpkg's status (+ journal, apt's extended_states) and the
/// configured lists (candidate by apt_candidate, weighed as apt_outdated weighs it: the status file's
/// priority and the preferences' pins; description, Size, Installed-Size, the list's file name). The lists
/// are read through an AptInfoTable cached in `cache_file` (empty: none; see apt_info_cache_file). Empty
/// when neither knows it. `note` (when given and the package is known) gets apt_pin_note's warning of a pin
/// zsyncctl cannot apply. Fails like read_dpkg_database, or cancelled.
util::Result<std::vector<PackageInfo>> apt_package_info(const util::Root& root, std::string_view name,
                                                        const std::string& cache_file = {},
                                                        std::string* note = nullptr,
                                                        const core::CancellationToken& token = {});

/// The cache file of apt_package_info's table for `root`, beside the search indexes (keyed by the root as
/// they are); empty when there is no cache dir. Never fails.
std::string apt_info_cache_file(const util::Root& root);

/// pacman: `name` from the local db (%VERSION%, %DESC%, %SIZE%) and the first sync db in pacman.conf order
/// that has it (%VERSION%, %DESC%, %CSIZE%, %ISIZE%, the repository). Empty when neither has it. Fails with
/// cancelled.
util::Result<std::vector<PackageInfo>> pacman_package_info(const util::Root& root, std::string_view name,
                                                           const core::CancellationToken& token = {});

} // namespace zsyncctl::pkg
