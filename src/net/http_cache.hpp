#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace zsyncctl::net {

/// One cached HTTP response body and the validators needed to revalidate it.
struct CacheEntry {
    std::string key;
    std::string url;
    std::string etag;              // verbatim, quotes included; empty when the server sent none
    std::string last_modified;     // verbatim HTTP date; empty when the server sent none
    std::uint64_t size = 0;        // body size in bytes
    std::int64_t stored_at = 0;    // unix time the body was downloaded
    std::int64_t validated_at = 0; // unix time the server last confirmed it (200 or 304)
    std::filesystem::path body_path;
};

/// True when `key` can name a cache entry: 1-128 characters of [A-Za-z0-9._-], not starting with '.'.
bool valid_cache_key(std::string_view key);

/// An on-disk cache of HTTP bodies keyed by a caller-chosen name: `<dir>/<key>.body` holds the body and
/// `<dir>/<key>.meta` the URL and validators (ETag, Last-Modified). Both files are written atomically
/// (temporary file + rename), the body first, and the metadata records the body size, so a crash between
/// the two renames is detected as a miss rather than served as a corrupt hit. Stateless apart from the
/// directory: safe to use from any thread; concurrent writers of one key end with one complete entry.
class HttpCache {
public:
    /// A cache rooted at `dir` (created on first store).
    explicit HttpCache(std::filesystem::path dir);

    /// The default cache: util::cache_dir()/http. Fails with not_found when there is no cache dir.
    static util::Result<HttpCache> open_default();

    /// The directory holding the entries.
    const std::filesystem::path& dir() const { return m_dir; }

    /// The entry stored under `key` for `url`, or nullopt when there is none, it was stored for another
    /// URL, or it is incomplete/corrupt. Fails with invalid_input for a bad key.
    util::Result<std::optional<CacheEntry>> lookup(std::string_view key, std::string_view url) const;

    /// Stores `body` and its validators under `key`, replacing any previous entry. Fails with the errno
    /// of the write that failed, or invalid_input for a bad key.
    util::Result<CacheEntry> store(std::string_view key, std::string_view url, std::string_view etag,
                                   std::string_view last_modified, std::string_view body) const;

    /// Records a successful revalidation (304): updates validated_at and any validator the server sent
    /// again; the body is untouched. Fails like store().
    util::Result<CacheEntry> mark_revalidated(CacheEntry entry, std::string_view etag,
                                              std::string_view last_modified) const;

    /// Removes the entry; not an error when it does not exist.
    util::Result<void> remove(std::string_view key) const;

    /// The request headers that make a GET conditional on `entry`: If-None-Match when it has an ETag,
    /// If-Modified-Since when it has a Last-Modified date. Never fails.
    static std::vector<std::string> conditional_headers(const CacheEntry& entry);

private:
    util::Result<void> write_meta(const CacheEntry& entry) const;
    std::filesystem::path m_dir;
};

} // namespace zsyncctl::net
