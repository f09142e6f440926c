#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "pkg/inventory/inventory_types.hpp"
#include "pkg/registry/registry.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// Why each rpm package (name, arch) was installed, as the manager that installed it records it.
using RpmReasons = std::map<std::pair<std::string, std::string>, InstallReason>;

/// dnf 4's reasons from its history database (`reasons_file`, history.sqlite with its -wal applied), read
/// as libdnf resolves them (Swdb::resolveRPMTransactionItemReason): per name and arch the latest item of a
/// finished transaction that is not the replaced side of an upgrade, downgrade, obsolete or reinstall.
/// "user" is explicit; dependency, weak dependency, group and clean are dependency (as `dnf repoquery
/// --userinstalled` leaves them out); a removal or "unknown" is unknown. Fails with not_found when there
/// is no history, parse when it is not dnf's history database.
util::Result<RpmReasons> dnf_install_reasons(const util::Root& root, std::string_view reasons_file);

/// zypper's auto-installed names (libzypp's `reasons_file`, /var/lib/zypp/AutoInstalled): listed is
/// dependency, every other installed package explicit (zypper search -i's `i` and `i+`). Fails with
/// not_found when the file does not exist.
util::Result<std::map<std::string, bool, std::less<>>> zypper_auto_installed(const util::Root& root,
                                                                             std::string_view reasons_file);

/// Fills `reason` of every package (and info entry) from the manager's record named by its registry facts
/// (InventoryFacts::reasons_file, read by the method's format). Nothing recorded, or a record that cannot be
/// read, leaves them unknown and says why in `note` when the manager should have one.
void apply_rpm_reasons(const util::Root& root, const Manager& manager,
                       std::vector<InstalledPackage>& packages, std::vector<PackageInfo>& info,
                       std::string& note);

} // namespace zsyncctl::pkg
