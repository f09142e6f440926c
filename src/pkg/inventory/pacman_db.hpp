#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pkg/inventory/inventory_types.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// libalpm's alpm_pkg_vercmp: [epoch:]version[-pkgrel], each part by rpmvercmp (alphanumeric runs,
/// digits numerically, a letter run older than a digit run, a pkgrel compared only when both have one).
/// Returns <0, 0 or >0. Never fails.
int compare_alpm_versions(std::string_view a, std::string_view b);

/// pacman's IgnorePkg / IgnoreGroup decision for one pattern list (fnmatch globs, a leading '!' negates;
/// the first pattern that matches decides). Never fails.
bool alpm_pattern_match(const std::vector<std::string>& patterns, std::string_view name);

/// The installed packages of pacman's local database under `root` (<DBPath>/local/*/desc, DBPath from
/// pacman.conf): name, version, architecture, reason (%REASON% 1: dependency, else explicit) and held for
/// IgnorePkg/IgnoreGroup. Sorted by name. Fails with not_found when there is no local database.
util::Result<std::vector<InstalledPackage>> read_pacman_local(const util::Root& root);

/// `pacman -Qu` natively: each installed package whose package of the same name in the first sync
/// database that has it (pacman.conf order) is newer by compare_alpm_versions; ignored ones carry
/// skip_reason "ignored" (pacman -Qu marks them "[ignored]", -Su skips them). Fails with not_found when
/// there is no sync database (hint: pacman -Sy), or the read error. A pacman.conf with no repository, or
/// nothing installed, is an answer without one: nothing outdated, and `note` (when given) says why.
util::Result<std::vector<OutdatedPackage>> pacman_outdated(const util::Root& root,
                                                           const std::vector<InstalledPackage>& installed,
                                                           std::string* note = nullptr);

} // namespace zsyncctl::pkg
