#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/inventory/flatpak_deploy.hpp"
#include "pkg/inventory/inventory_types.hpp"
#include "pkg/registry/registry.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// How flatpak shows a version: "VERSION (COMMIT12)", or the short commit alone without a version.
std::string flatpak_version_text(std::string_view version, std::string_view commit);

/// One row of `flatpak remote-ls --updates --columns=ref,commit,version,download-size`.
struct FlatpakUpdate {
    std::string ref;    ///< "app/ID/ARCH/BRANCH"
    std::string commit; ///< as flatpak prints it (12 digits)
    std::string version;
    std::string download_size;
};

/// Reads remote-ls rows (tab-separated); lines that are no row are skipped. Never fails.
std::vector<FlatpakUpdate> parse_flatpak_remote_ls(std::string_view text);

/// The installed refs flatpak_outdated cannot check because their origin is no enabled remote of their
/// installation (disabled with xa.disable, or deleted with --force): one "REF (INSTALLATION): remote ORIGIN
/// is disabled|is not configured" each, in refs' order. Never fails; reads nothing.
std::vector<std::string> flatpak_unchecked_refs(const std::vector<FlatpakInstallation>& installations,
                                                const std::vector<FlatpakRef>& refs);

/// The installed refs with a newer commit in their remote's cached summary: for each installation and each
/// remote an installed ref came from, `executable` with the manager's outdated_argv (its installation
/// option, the cached option unless the remote is a file:// one, the remote's name), LC_ALL=C; never a
/// refresh. Masked refs come back with skip_reason "masked". Sorted by name, then architecture. Fails with
/// not_found (hint: pkg refresh) when a remote has no cached summary, command_failed with flatpak's
/// message, cancelled, or timeout.
util::Result<std::vector<OutdatedPackage>>
flatpak_outdated(const Manager& manager, const std::string& executable,
                 const std::vector<FlatpakInstallation>& installations, const std::vector<FlatpakRef>& refs,
                 const core::CancellationToken& token);

/// pkg info for the refs whose id is `name`: the installed version and commit, the origin, the installed
/// size, the summary; the candidate from `outdated` (the installed version when the ref is not in it, none
/// when `outdated` is empty because it could not be read: `candidates_known` false). Never fails.
std::vector<PackageInfo> flatpak_package_info(const std::vector<FlatpakRef>& refs,
                                              const std::vector<OutdatedPackage>& outdated,
                                              bool candidates_known, std::string_view name);

/// pkg which: the apps whose exported command (exports/bin/NAME of an installation) is the last component
/// of `query`. Never fails.
std::vector<FileOwner> flatpak_file_owners(const util::Root& root,
                                           const std::vector<FlatpakInstallation>& installations,
                                           std::string_view query);

} // namespace zsyncctl::pkg
