// The on-disk layout's constants of PackageIndex, shared by its writer (search_index_build.cpp) and its
// reader (search_index.cpp). Internal to src/pkg/search.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace zsyncctl::pkg::index_format {

/// The file's first bytes; a new layout changes the version digits.
inline constexpr std::string_view k_magic = "ZSIDX006";
/// Starts each record in the haystack.
inline constexpr char k_record_start = '\x02';
/// Ends the name in a record of the haystack.
inline constexpr char k_name_end = '\x01';
/// Starts each provided name in a record of the haystack.
inline constexpr char k_provides = '\x03';
/// The text fields per record: name, version, summary, installed version, candidate, kind.
inline constexpr std::size_t k_text_fields = 6;

/// The block filter: which blocks of the haystack hold each 3-byte sequence, so a search reads only the
/// blocks that hold every 3-byte sequence of its needle. A block is the records whose haystack offset
/// divided by the block size is its number (the last block also takes any records beyond); a match never
/// spans two records, so it lies in a block that holds all of its sequences. The sequences are hashed
/// into 2^16 buckets; each bucket has `words` 64-bit words, one bit per block (bit b of word b / 64).
/// The section: u32 block size, u32 words, then the buckets in order. An index whose haystack is under
/// k_filter_min_hay has none (section size 0) and is read whole.
inline constexpr unsigned k_filter_bucket_bits = 16;
inline constexpr std::size_t k_filter_header = 8;
inline constexpr std::size_t k_filter_min_hay = std::size_t(1) << 20;
/// At most this many blocks: the block size doubles from 64 KiB until the haystack fits.
inline constexpr std::size_t k_filter_max_blocks = 256;

/// The bucket of the 3 bytes a, b, c (a multiplicative hash of the 24-bit value).
inline std::uint32_t filter_bucket(unsigned char a, unsigned char b, unsigned char c) {
    const std::uint32_t v = std::uint32_t(a) << 16 | std::uint32_t(b) << 8 | c;
    return (v * 0x9E3779B1u) >> (32 - k_filter_bucket_bits);
}

/// Where an index's sections are in its bytes (offsets from the start), and its record count.
struct Layout {
    std::size_t count = 0;          ///< records
    std::size_t text_off = 0;       ///< the records' text fields
    std::size_t hay_off = 0;        ///< the haystack
    std::size_t hay_size = 0;       ///< the haystack's size
    std::size_t text_index_off = 0; ///< u32 per record: its text's offset in the text section
    std::size_t hay_index_off = 0;  ///< u32 per record: its offset in the haystack
    std::size_t installed_off = 0;  ///< a byte per record: installed or not
    std::size_t filter_off = 0;     ///< the block filter's buckets (when filter_words > 0)
    std::size_t filter_block = 0;   ///< its block size in haystack bytes
    std::size_t filter_words = 0;   ///< its 64-bit words per bucket; 0: no filter
    std::size_t extra_off = 0;      ///< the extra section, to the end
};

} // namespace zsyncctl::pkg::index_format
