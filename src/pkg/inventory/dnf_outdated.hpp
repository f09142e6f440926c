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

/// One row of `dnf check-update`: the candidate of an installed name.arch.
struct DnfUpdate {
    std::string name;
    std::string architecture;
    std::string version;    ///< [epoch:]version-release as dnf prints it
    std::string repository; ///< the repository id
};

/// The rows of `dnf -q check-update` output (LC_ALL=C): "name.arch  evr  repo" tables, a long field wrapped
/// onto indented lines of its own; the "Obsoleting Packages" section and anything that is no row are left
/// out. Never fails.
std::vector<DnfUpdate> parse_dnf_check_update(std::string_view text);

/// `pkg outdated` for dnf under `root`: `dnf -C -q check-update` (cache only, never a refresh; exit 100 is
/// "found" through `manager`'s exit-code table) gives the candidates an upgrade takes, and the same with
/// `--disableexcludes=all --disableplugin=versionlock` gives what excludepkgs/includepkgs and version locks
/// hide: those are listed with skip_reason "excluded" (dnf upgrade never takes them). Installed versions
/// come from `installed` when given (the rpm database), else from `rpm -q` on the same root. Sorted by
/// name, then architecture. No enabled repository: nothing is outdated, and `note` (when given) says why.
/// Fails with not_found when dnf has no metadata cache (hint: pkg refresh), command_failed with dnf's
/// message, the spawn error, or cancelled.
util::Result<std::vector<OutdatedPackage>> dnf_outdated(const Manager& manager, const util::Root& root,
                                                        const std::vector<InstalledPackage>* installed,
                                                        std::string* note,
                                                        const core::CancellationToken& token = {});

/// `pkg info NAME` for dnf: the installed side from `rpm -q` (version, size, summary), the candidate per
/// architecture from `dnf -C -q repoquery --latest-limit=1` (the upgrade when installed, with
/// --upgrades; else the installed version itself): version, repository id, download and installed size,
/// summary. Empty when neither knows it. Fails like dnf_outdated.
util::Result<std::vector<PackageInfo>> dnf_package_info(const Manager& manager, const util::Root& root,
                                                        std::string_view name,
                                                        const core::CancellationToken& token = {});

/// pkg which's "could be installed from" for dnf: the packages of the enabled repositories that ship one of
/// `paths`, as `dnf -C provides PATH` finds them, from dnf's own metadata cache (`dnf -C repoquery
/// --whatprovides`: the filelists are in dnf's solv caches, which only dnf reads), installed ones left
/// out; each with the path it ships and its repository id, sorted. No enabled repository: empty, and
/// `note` says why. Fails like dnf_outdated.
util::Result<std::vector<FileOwner>> dnf_file_providers(const Manager& manager, const util::Root& root,
                                                        const std::vector<std::string>& paths,
                                                        std::string* note,
                                                        const core::CancellationToken& token = {});

} // namespace zsyncctl::pkg
