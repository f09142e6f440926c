#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/inventory/inventory_types.hpp"
#include "pkg/registry/registry.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// The packages of `zypper --xmlout list-updates` output (<update kind="package" name edition
/// edition-old arch>): installed is edition-old, candidate edition; other kinds (patches) are left out.
/// Sorted by name, then architecture. Fails with parse when the text is not zypper's XML stream, and with
/// command_failed carrying zypper's own error message when it printed one.
util::Result<std::vector<OutdatedPackage>> parse_zypper_updates(std::string_view xml);

/// One installed package a lock holds, from `zypper --xmlout locks --solvables` output.
struct ZypperLocked {
    std::string name;
    std::string architecture;
};

/// The installed packages (<match installed="true">) the locks of `locks --solvables` output match, as
/// zypper matches them (globs, versions, repositories). Fails like parse_zypper_updates.
util::Result<std::vector<ZypperLocked>> parse_zypper_locked(std::string_view xml);

/// The packages of `zypper --xmlout info` output: each info message's "Key : value" lines (Name, Arch,
/// Version: the candidate, Repository, Summary, Status: "out-of-date (version V installed)", "up-to-date"
/// or "not installed"). A name zypper does not know gives nothing. Fails like parse_zypper_updates.
util::Result<std::vector<PackageInfo>> parse_zypper_info(std::string_view xml);

/// zypper's outdated packages under `root` (host: none), by the manager's InventoryFacts commands with its
/// root_args/root_env, LC_ALL=C, never a refresh: what list-updates shows, plus what list-updates --all
/// adds with skip_reason "locked" when a lock holds the installed package (locks --solvables) or "not
/// installable" (zypper update leaves both); --all runs first, and when it lists nothing nothing else runs.
/// `note` receives zypper's warnings about repositories it could not read without a refresh. Exit codes come
/// from `manager`'s table. Fails with not_found when zypper is not installed, command_failed with zypper's
/// message (7: another zypper holds the lock), timeout, parse, or cancelled.
util::Result<std::vector<OutdatedPackage>> zypper_outdated(const Manager& manager, const util::Root& root,
                                                           std::string* note,
                                                           const core::CancellationToken& token = {});

/// `name` as zypper's info shows it under `root` (candidate version and repository, summary, installed
/// version from its status), held when a lock holds the installed package. Empty when zypper does not know
/// it. Fails like zypper_outdated.
util::Result<std::vector<PackageInfo>> zypper_package_info(const Manager& manager, const util::Root& root,
                                                           std::string_view name,
                                                           const core::CancellationToken& token = {});

} // namespace zsyncctl::pkg
