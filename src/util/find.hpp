#pragma once

#include <cstddef>
#include <string_view>

namespace zsyncctl::util {

/// The offset of the first occurrence of `needle` in `hay`, or std::string_view::npos; an empty needle is
/// found at 0. Same answer as memmem(3), made for the warm search's scan of a ~10 MB haystack: on x86-64
/// it compares 16 positions at a time against the needle's first and last bytes (SSE2, the baseline of the
/// architecture) and checks only the positions where both match. Input that makes most of those checks
/// fail (a needle of one repeated byte in a run of it) is handed to memmem(3), whose time is linear, once
/// the failed checks outnumber the bytes scanned, so no input makes it quadratic. Never fails.
std::size_t find_bytes(std::string_view hay, std::string_view needle);

namespace detail {
/// What one find_bytes call did, for its tests: the bytes its failed checks compared, and whether it
/// handed the rest of the haystack to memmem(3).
struct FindWork {
    std::size_t wasted_bytes = 0;
    bool handed_to_memmem = false;
};
/// find_bytes, telling what it did.
std::size_t find_bytes(std::string_view hay, std::string_view needle, FindWork& work);
} // namespace detail

} // namespace zsyncctl::util
