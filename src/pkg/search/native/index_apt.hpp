#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "pkg/search/search_index.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// The Packages index files under <root>/var/lib/apt/lists in any compression (plain, .gz, .xz, .lz4,
/// .zst, .bz2), sorted by name; empty when the directory is missing. Never fails.
std::vector<std::filesystem::path> apt_list_files(const util::Root& root);

/// Names of the packages dpkg records as installed ("Status: install ok installed", also held ones) in
/// <root>/var/lib/dpkg/status; empty when the file is missing. Fails with io/parse only when it exists but
/// cannot be read.
util::Result<std::unordered_set<std::string>> dpkg_installed_names(const util::Root& root);

/// Names of the installed packages in dpkg status text (see dpkg_installed_names). Never fails; damaged
/// stanzas are skipped.
std::unordered_set<std::string> parse_dpkg_status(std::string_view text);

/// The packages of one Packages text, newest version per name, marked installed from `installed`. Never
/// fails; stanzas without a Package field are skipped.
std::vector<IndexRecord> parse_apt_packages(std::string_view text,
                                            const std::unordered_set<std::string>& installed);

/// Every package of the given Packages files, newest version per name (Debian version order), marked
/// installed from `installed`. Fails with the first file's io error only when no file could be read at
/// all; a damaged file contributes the stanzas before the damage.
util::Result<std::vector<IndexRecord>> read_apt_records(const std::vector<std::filesystem::path>& lists,
                                                        const std::unordered_set<std::string>& installed);

/// The apt search index for `root`: loaded from `cache_file` when its stamps (lists + dpkg status) hold,
/// else rebuilt from the lists and saved there (a save failure is not an error). An empty `cache_file`
/// disables caching. Fails with not_found when the root has no apt lists.
util::Result<PackageIndex> apt_index(const util::Root& root, const std::filesystem::path& cache_file);

} // namespace zsyncctl::pkg
