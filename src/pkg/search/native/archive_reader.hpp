#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string_view>

#include "util/result.hpp"

namespace zsyncctl::pkg {

/// Streams the decompressed bytes of a single file stored plain or compressed with any filter libarchive
/// knows (gzip, xz, lz4, zstd, bzip2, ...), in chunks of at most 256 KiB, to `sink`; a zero-byte file is
/// valid and empty. The sink returns false to stop early (read_decompressed then returns ok: the caller
/// knows why it stopped). Fails with not_found/permission_denied/io when the file cannot be opened, or io
/// naming the file when the data is corrupt or truncated (the chunks before the damage were delivered).
/// True when a file named `path` that starts with `head` is compressed in a format libarchive's filters
/// detect, by its first bytes (gzip, compress, bzip2, xz, lzma, lzip, zstd, lz4 frame and legacy, lzop) or by
/// its suffix. Never fails.
bool looks_compressed(const std::filesystem::path& path, std::string_view head);

util::Result<void> read_decompressed(const std::filesystem::path& path,
                                     const std::function<bool(std::string_view chunk)>& sink);

/// Limits of one tar walk: a hostile archive (a few MB that inflate to GBs) costs at most this much.
struct TarLimits {
    /// One wanted entry's contents.
    std::uint64_t max_entry = std::uint64_t(16) << 20;
    /// All the bytes decompressed, wanted entries and skipped ones alike.
    std::uint64_t max_total = std::uint64_t(1) << 30;
    /// Asked per entry and per 16 KiB read; false ends the walk with a `cancelled` error. Empty: never.
    std::function<bool()> keep_going;
};

/// Calls `entry(path_inside_archive, contents)` for every regular file of a tar archive (compressed with
/// any filter libarchive knows) whose path satisfies `wanted`. Fails like read_decompressed; a damaged
/// entry ends the walk with an io error after the entries before it were delivered; an entry or a total
/// past `limits` with an io error naming the limit; `limits.keep_going` returning false with `cancelled`.
util::Result<void>
for_each_tar_entry(const std::filesystem::path& path,
                   const std::function<bool(std::string_view entry_path)>& wanted,
                   const std::function<void(std::string_view entry_path, std::string_view contents)>& entry,
                   const TarLimits& limits = {});

/// Feeds a byte stream cut at arbitrary points and hands out whole blank-line-separated stanzas (deb822
/// paragraphs as in apt's Packages and dpkg's status files). Each byte is scanned once (linear in the
/// stream), and a stanza longer than `max_stanza` bytes stops the splitter (overflowed()), so a hostile
/// stream (a compressed file of zeros) costs at most that much memory. Not thread-safe; one per stream.
class StanzaSplitter {
public:
    static constexpr std::size_t k_default_max_stanza = std::size_t(4) << 20;

    explicit StanzaSplitter(std::function<void(std::string_view stanza)> on_stanza,
                            std::size_t max_stanza = k_default_max_stanza)
        : m_on_stanza(std::move(on_stanza)), m_max_stanza(max_stanza) {}

    /// Appends bytes; every stanza completed by them is delivered. Ignored once overflowed().
    void feed(std::string_view chunk);
    /// Delivers the last stanza when the stream ended without a blank line (not after an overflow).
    void finish();
    /// True once a stanza exceeded the size cap; nothing more is delivered.
    bool overflowed() const { return m_overflowed; }

private:
    std::function<void(std::string_view)> m_on_stanza;
    std::string m_carry; // the partial stanza at the end of the bytes fed so far (no blank line inside)
    std::size_t m_max_stanza;
    bool m_overflowed = false;
};

/// Value of field `key` in one deb822 stanza, continuation lines included (joined by '\n', leading space
/// kept off); empty when absent. Keys compare case-insensitively, as in deb822.
std::string_view deb822_field(std::string_view stanza, std::string_view key, std::string* scratch = nullptr);

/// The package a Packages or status stanza is of: the first line's "Package: NAME" when that is its only
/// Package field (every file apt and dpkg write), else what deb822_field gives for "Package" (the last).
/// Never fails; empty for none.
std::string_view deb822_package(std::string_view stanza);

/// The first lines of several fields of one stanza in one pass: values[i] is what deb822_field gives for
/// keys[i] without its continuation lines (the last occurrence counts; empty when absent). For a stanza
/// with thousands of continuation lines (a Release file's hash lists), read once instead of once per key.
/// `values` has keys.size() entries.
void deb822_first_lines(std::string_view stanza, std::span<const std::string_view> keys,
                        std::span<std::string_view> values);

} // namespace zsyncctl::pkg
