#pragma once

#include <string>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/inventory/inventory_types.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// `apt-file search` for exact absolute paths, natively: the packages that apt's Contents indexes
/// (<root>/var/lib/apt/lists/*_Contents-<arch>, plain or compressed as apt-file downloads them; udeb
/// indexes left out) list for one of `paths`, "section/name" reduced to the name, the list file's name up to
/// "_Contents-" as the repository; sorted, each (package, path, repository) once. Empty when there are no
/// Contents files (`note` then says so). Fails with cancelled when `token` is.
util::Result<std::vector<FileOwner>> apt_contents_providers(const util::Root& root,
                                                            const std::vector<std::string>& paths,
                                                            std::string* note,
                                                            const core::CancellationToken& token = {});

} // namespace zsyncctl::pkg
