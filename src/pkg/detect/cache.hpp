#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/detect/detect.hpp"
#include "util/result.hpp"

namespace zsyncctl::pkg {

/// What stat(2) said of one host path a cached detection depends on, when the detection ran.
struct CacheStamp {
    std::string path;     // host path
    bool present = false; // false: stat failed (absent, or unreachable)
    std::uint64_t dev = 0;
    std::uint64_t ino = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
};

/// The contents of one detection cache file.
struct CacheContents {
    std::string key;              // cache_key() of the context it was made for
    std::vector<CacheStamp> deps; // every stamp must still hold for the detection to be used
    Detection detection;
};

/// The cache file for `context`: util::cache_dir()/managers-<hash>.tsv, the hash covering the format, the
/// root, OS, arch, PATH, HOME, the environment variables the registry reads, and the registry's
/// fingerprint. nullopt when there is no cache directory (neither XDG_CACHE_HOME nor HOME set).
std::optional<std::filesystem::path> cache_file_for(const DetectContext& context);

/// Serializes `contents` as the cache's line format (versioned, tab-separated, ends with "end"); nullopt
/// when a string holds a tab, newline or NUL (such a detection is not cached).
std::optional<std::string> format_cache(const CacheContents& contents);

/// Parses a cache file's text; nullopt for anything that is not exactly format_cache's output for some
/// contents (another version, a truncated or damaged file, an unknown manager id). Never throws.
std::optional<CacheContents> parse_cache(std::string_view text);

/// The cached detection in `file` when it exists, parses, was made for the same key, and every
/// dependency still has the stamp it had; nullopt otherwise (a corrupt file counts as a miss). The file
/// must be a regular file owned by root or euid that others cannot write, in such a directory, reached
/// without a symlink as root; every executable and prefix in it must be where detection looks and (on the
/// host) owned by root or euid and not writable by others, or the whole cache is a miss.
std::optional<Detection> load_cache(const std::filesystem::path& file, const DetectContext& context);

/// Writes `detection` with the current stamps of `dependencies` (host paths; an absent one is recorded as
/// its nearest existing ancestor's stamp, which changes when it is created) to `file`, atomically (a new
/// file with an unpredictable name in a private directory, renamed), then prunes the other managers-*
/// files by age (30 days) and count (16 newest kept). Fails with the errno of the step that failed.
util::Result<void> store_cache(const std::filesystem::path& file, const DetectContext& context,
                               const Detection& detection, const std::vector<std::string>& dependencies);

} // namespace zsyncctl::pkg
