#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/inventory/inventory_types.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// dpkg's ${db:Status-Abbrev} for a "want eflag status" Status value: want (u i h r p), status (n c H U
/// F W t i), error flag (' ' or 'R'); '?' for a word dpkg does not know. Never fails.
std::string dpkg_status_abbrev(std::string_view status);

/// The installed packages of dpkg's database under `root`: /var/lib/dpkg/status, then the journal in
/// /var/lib/dpkg/updates in order (a later record of a name:arch replaces an earlier one), minus the
/// records in state not-installed (what `dpkg-query -W` lists), with the reason from apt's
/// /var/lib/apt/extended_states (Auto-Installed) and held for the hold selection. Sorted by name, then
/// architecture. Fails with not_found when there is no status file, io/parse when it cannot be read,
/// cancelled when `token` is.
util::Result<std::vector<InstalledPackage>>
read_dpkg_database(const util::Root& root, const core::CancellationToken& token = core::CancellationToken());

/// The same from status text and journal texts (tests); `extended_states` may be empty. Never fails.
std::vector<InstalledPackage> parse_dpkg_database(std::string_view status,
                                                  const std::vector<std::string>& journal,
                                                  std::string_view extended_states);

} // namespace zsyncctl::pkg
