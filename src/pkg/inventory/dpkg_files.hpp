#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pkg/inventory/inventory_types.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// The absolute paths `query` may mean: itself when it contains '/', else the command's place in each
/// directory of the standard PATH (/usr/local/sbin ... /bin), as `which` would look. Never fails.
std::vector<std::string> which_candidates(std::string_view query);

/// `dpkg -S PATH` for exact paths, natively: every package whose file list
/// (<root>/var/lib/dpkg/info/NAME.list) records one of `paths`, in list-file name order. Fails with
/// not_found when there is no dpkg database under the root.
util::Result<std::vector<FileOwner>> dpkg_file_owners(const util::Root& root,
                                                      const std::vector<std::string>& paths);

} // namespace zsyncctl::pkg
