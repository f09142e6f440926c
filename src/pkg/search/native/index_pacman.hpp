#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/search/search_index.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// Where pacman keeps its databases and which sync repositories it uses, from <root>/etc/pacman.conf.
/// DBPath is a value read from the image, so everything below it is resolved inside the root too.
struct PacmanLayout {
    util::Root root;                ///< the root the layout was read from
    std::string db_logical;         ///< DBPath as seen inside the root (default /var/lib/pacman)
    std::filesystem::path db_path;  ///< resolved inside the root
    std::vector<std::string> repos; ///< repository sections in pacman.conf order
    std::filesystem::path config;   ///< resolved pacman.conf (may not exist)
    bool config_read = false;       ///< pacman.conf existed and was read
    bool options_include = false;   ///< an Include in [options], whose file may add repositories

    /// True when pacman.conf was read and configures no repository at all (pacman -Sy syncs nothing,
    /// pacman -Qu and -Ss list nothing); an Include in [options] could add some, so it is then false.
    bool no_repositories() const { return config_read && repos.empty() && !options_include; }

    /// The host path of `relative` below DBPath ("sync/core.db"), resolved inside the root. Never fails.
    std::filesystem::path below(std::string_view relative) const;
};

/// Reads pacman.conf (DBPath, repository sections); a missing file gives the defaults. Never fails.
PacmanLayout pacman_layout(const util::Root& root);

/// Fields of one libalpm `desc` file (%NAME%, %VERSION%, %DESC%, and the %PROVIDES% names and %GROUPS% as
/// long_text, one per line, since pacman -Ss matches them too); empty name when it has none.
IndexRecord parse_pacman_desc(std::string_view desc);

/// Names of the installed packages: the `desc` files under <db_path>/local; empty when absent. Never fails.
std::unordered_set<std::string> pacman_installed_names(const PacmanLayout& layout);

/// The sync databases <db_path>/sync/<repo>.db in pacman.conf order (then any other *.db, sorted).
std::vector<std::filesystem::path> pacman_sync_dbs(const PacmanLayout& layout);

/// Every package of the sync databases; a name present in several repositories comes from the first one,
/// as pacman resolves it. Fails with the io error when no database could be read at all, and with
/// `cancelled` as soon as `token` is (checked per entry and per 16 KiB decompressed). Each database is
/// read within archive_reader's TarLimits (16 MiB an entry, 1 GiB in all), so a hostile one stops there.
util::Result<std::vector<IndexRecord>> read_pacman_records(const std::vector<std::filesystem::path>& dbs,
                                                           const std::unordered_set<std::string>& installed,
                                                           const core::CancellationToken& token = {});

/// The pacman search index, cached like apt_index (stamps: sync dbs, local db dir, pacman.conf).
/// Fails with not_found when there is no sync database, cancelled when `token` is.
util::Result<PackageIndex> pacman_index(const util::Root& root, const std::filesystem::path& cache_file,
                                        const core::CancellationToken& token = {});

} // namespace zsyncctl::pkg
