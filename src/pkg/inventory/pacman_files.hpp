#pragma once

#include <string>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/inventory/inventory_types.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// `pacman -Qo PATH` for exact absolute paths, natively: every package whose <DBPath>/local/<pkg>/files
/// %FILES% section records one of `paths` (a directory also with its trailing '/'), by package name, in
/// local-db directory order. Fails with not_found when there is no local database.
util::Result<std::vector<FileOwner>> pacman_file_owners(const util::Root& root,
                                                        const std::vector<std::string>& paths,
                                                        const core::CancellationToken& token = {});

/// `pacman -F PATH` natively: the packages of the sync file databases (<DBPath>/sync/<repo>.files, written
/// by pacman -Fy, pacman.conf order) whose `files` entry records one of `paths`, with the repository. Empty
/// when there are no .files databases (`note` then says how to get them); cancelled when `token` is.
util::Result<std::vector<FileOwner>> pacman_file_providers(const util::Root& root,
                                                           const std::vector<std::string>& paths,
                                                           std::string* note,
                                                           const core::CancellationToken& token = {});

} // namespace zsyncctl::pkg
