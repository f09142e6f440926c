#pragma once

#include <string>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/inventory/inventory_types.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// apt's upgradable packages under `root`, as `apt list --upgradable` shows them: each installed package
/// (dpkg's database, `installed`) whose candidate from the configured lists (search's apt_setup and
/// apt_candidate: default release priorities, the current version at 100) is newer than its current
/// version. A held package is included with skip_reason "held" (apt-get upgrade keeps it back). Sorted by
/// name, then architecture. `note` receives apt_pin_note's caveat when preferences pin packages (the pins
/// are not applied). Fails with not_found when there are no lists (hint: apt-get update), the read error
/// of the lists, or cancelled.
util::Result<std::vector<OutdatedPackage>>
apt_outdated(const util::Root& root, const std::vector<InstalledPackage>& installed, std::string* note,
             const core::CancellationToken& token = core::CancellationToken());

} // namespace zsyncctl::pkg
