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

} // namespace zsyncctl::pkg::index_format
