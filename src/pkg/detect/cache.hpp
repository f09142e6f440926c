#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pkg/detect/detect.hpp"
#include "util/result.hpp"

namespace zsyncctl::pkg {

/// The cache file for `context`: util::cache_dir()/managers-<hash>.json, the hash covering the root, OS,
/// arch, PATH, HOME, the environment variables the registry reads, and the registry's fingerprint.
/// nullopt when there is no cache directory (neither XDG_CACHE_HOME nor HOME set).
std::optional<std::filesystem::path> cache_file_for(const DetectContext& context);

/// The cached detection in `file` when it exists, parses, was made for the same key, and every
/// dependency still has the stamp it had; nullopt otherwise (a corrupt file counts as a miss). The file
/// must be a regular file owned by root or euid that others cannot write, in such a directory, reached
/// without a symlink as root; every executable and prefix in it must be where detection looks and (on the
/// host) owned by root or euid and not writable by others, or the whole cache is a miss.
std::optional<Detection> load_cache(const std::filesystem::path& file, const DetectContext& context);

/// Writes `detection` with the current stamps of `dependencies` (host paths) to `file`, atomically (a new
/// file with an unpredictable name in a private directory, renamed), then prunes the other managers-*.json
/// files by age (30 days) and count (16 newest kept). Fails with the errno of the step that failed.
util::Result<void> store_cache(const std::filesystem::path& file, const DetectContext& context,
                               const Detection& detection, const std::vector<std::string>& dependencies);

} // namespace zsyncctl::pkg
