#pragma once

#include <filesystem>
#include <functional>
#include <string_view>

#include "util/result.hpp"

namespace zsyncctl::pkg {

/// Streams the decompressed bytes of a single file stored plain or compressed with any filter libarchive
/// knows (gzip, xz, lz4, zstd, bzip2, ...), in chunks, to `sink`. Fails with not_found/permission_denied/io
/// when the file cannot be opened, or io naming the file when the data is corrupt or truncated (the
/// chunks delivered before the damage have already been passed on).
util::Result<void> read_decompressed(const std::filesystem::path& path,
                                     const std::function<void(std::string_view chunk)>& sink);

/// Calls `entry(path_inside_archive, contents)` for every regular file of a tar archive (compressed with
/// any filter libarchive knows) whose path satisfies `wanted`. Fails like read_decompressed; a damaged
/// entry ends the walk with an io error after the entries before it were delivered.
util::Result<void>
for_each_tar_entry(const std::filesystem::path& path,
                   const std::function<bool(std::string_view entry_path)>& wanted,
                   const std::function<void(std::string_view entry_path, std::string_view contents)>& entry);

/// Feeds a byte stream cut at arbitrary points and hands out whole blank-line-separated stanzas (deb822
/// paragraphs as in apt's Packages and dpkg's status files). Not thread-safe; one per stream.
class StanzaSplitter {
public:
    explicit StanzaSplitter(std::function<void(std::string_view stanza)> on_stanza)
        : m_on_stanza(std::move(on_stanza)) {}

    /// Appends bytes; every stanza completed by them is delivered.
    void feed(std::string_view chunk);
    /// Delivers the last stanza when the stream ended without a blank line.
    void finish();

private:
    std::function<void(std::string_view)> m_on_stanza;
    std::string m_carry;
};

/// Value of field `key` in one deb822 stanza, continuation lines included (joined by '\n', leading space
/// kept off); empty when absent. Keys compare case-insensitively, as in deb822.
std::string_view deb822_field(std::string_view stanza, std::string_view key, std::string* scratch = nullptr);

} // namespace zsyncctl::pkg
