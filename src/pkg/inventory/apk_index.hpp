#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/inventory/apk_db.hpp"
#include "pkg/inventory/inventory_types.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// The newest version of each package name in apk's cached repository indexes: every
/// var/cache/apk/APKINDEX.*.tar.gz and etc/apk/cache/APKINDEX.*.tar.gz under the root (the signature and
/// the index are concatenated gzip'd tar segments; the APKINDEX entry is read, records as
/// parse_apk_installed), compared with compare_apk_version. `files` gets the indexes read, `damaged` one
/// line per index that could not be read. Fails only with cancelled.
util::Result<std::map<std::string, std::string>> read_apk_candidates(const util::Root& root,
                                                                     std::vector<std::string>* files,
                                                                     std::vector<std::string>* damaged,
                                                                     const core::CancellationToken& token);

/// What the world file fixes about a package, when it does: "pinned @TAG" for name@tag, "fixed =VERSION" /
/// "constrained <OP>VERSION" for a version constraint; empty map entries are absent. Never fails.
std::map<std::string, std::string> apk_world_constraints(std::string_view world);

/// Installed packages whose index candidate is newer (compare_apk_version), those the world file pins or
/// constrains with that as their skip reason (apk upgrade keeps them), sorted by name. Never a refresh
/// (`apk update` writes the caches). Fails with not_found (hint: apk update) when no index is cached, or
/// cancelled.
util::Result<std::vector<OutdatedPackage>> apk_outdated(const util::Root& root,
                                                        const std::vector<ApkPackage>& installed,
                                                        std::string_view world, std::string* note,
                                                        const core::CancellationToken& token);

} // namespace zsyncctl::pkg
