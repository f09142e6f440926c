// The on-disk layout's constants of PackageIndex, shared by its writer (search_index_build.cpp) and its
// reader (search_index.cpp). Internal to src/pkg/search.
#pragma once

#include <cstddef>
#include <string_view>

namespace zsyncctl::pkg::index_format {

/// The file's first bytes; a new layout changes the version digits.
inline constexpr std::string_view k_magic = "ZSIDX005";
/// Starts each record in the haystack.
inline constexpr char k_record_start = '\x02';
/// Ends the name in a record of the haystack.
inline constexpr char k_name_end = '\x01';
/// Starts each provided name in a record of the haystack.
inline constexpr char k_provides = '\x03';
/// The text fields per record: name, version, summary, installed version, candidate, kind.
inline constexpr std::size_t k_text_fields = 6;

/// Where an index's sections are in its bytes (offsets from the start), and its record count.
struct Layout {
    std::size_t count = 0;          ///< records
    std::size_t text_off = 0;       ///< the records' text fields
    std::size_t hay_off = 0;        ///< the haystack
    std::size_t hay_size = 0;       ///< the haystack's size
    std::size_t text_index_off = 0; ///< u32 per record: its text's offset in the text section
    std::size_t hay_index_off = 0;  ///< u32 per record: its offset in the haystack
    std::size_t installed_off = 0;  ///< a byte per record: installed or not
    std::size_t extra_off = 0;      ///< the extra section, to the end
};

} // namespace zsyncctl::pkg::index_format
