#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zsyncctl::pkg {

/// The fields of one installed package's rpm header that the inventory reads.
struct RpmHeader {
    std::string name;
    std::string version;
    std::string release;
    std::optional<std::uint32_t> epoch; ///< EPOCH (1003) when the header has one
    std::string arch;                   ///< empty for pseudo-packages (gpg-pubkey)
    std::string summary;                ///< SUMMARY (1004), its first (C locale) string
    std::int64_t size = -1;             ///< LONGSIZE (5009), else SIZE (1009); -1 when absent
    std::int64_t install_time = -1;     ///< INSTALLTIME (1008), seconds since the epoch; -1 when absent
    /// Every file path, DIRNAMES[DIRINDEXES[i]] + BASENAMES[i] (or the old FILENAMES); filled only when
    /// asked for, since most commands never look at file lists.
    std::vector<std::string> files;
};

/// Whether parse_rpm_header builds the file list.
enum class RpmFiles { skip, read };

/// Parses an rpm header blob as rpmdb.sqlite's Packages table stores it (headerImport's layout: index count
/// and data size, big-endian; 16-byte index entries tag/type/offset/count; the data store). Every offset,
/// count and string is bounds-checked against the blob: a hostile or damaged blob yields nullopt (no name,
/// version or release, or an index that does not fit), or fewer files (a DIRINDEXES entry out of range is
/// left out), never a read outside `blob`. Never throws for malformed input.
std::optional<RpmHeader> parse_rpm_header(std::string_view blob, RpmFiles files = RpmFiles::skip);

/// "EPOCH:VERSION-RELEASE" as dnf prints an installed version, the epoch only when set and non-zero
/// ("4:2.0-1", "1.2-3"). Never fails.
std::string rpm_evr(const RpmHeader& header);

} // namespace zsyncctl::pkg
