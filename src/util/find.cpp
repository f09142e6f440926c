#include "util/find.hpp"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace zsyncctl::util {

namespace {

std::size_t find_with_memmem(std::string_view hay, std::string_view needle, std::size_t from) {
    const void* hit = ::memmem(hay.data() + from, hay.size() - from, needle.data(), needle.size());
    return hit == nullptr ? std::string_view::npos
                          : static_cast<std::size_t>(static_cast<const char*>(hit) - hay.data());
}

} // namespace

std::size_t detail::find_bytes(std::string_view hay, std::string_view needle, FindWork& work) {
    const std::size_t size = needle.size();
    if (size == 0) {
        return 0;
    }
    if (size > hay.size()) {
        return std::string_view::npos;
    }
    if (size == 1) {
        const void* hit = std::memchr(hay.data(), static_cast<unsigned char>(needle[0]), hay.size());
        return hit == nullptr ? std::string_view::npos
                              : static_cast<std::size_t>(static_cast<const char*>(hit) - hay.data());
    }
#if defined(__SSE2__)
    const char* data = hay.data();
    // Positions 0 .. starts-1 can hold the needle. A block of 16 positions at `at` loads bytes at..at+15
    // and, for the last byte, at+size-1 .. at+size+14, which is inside the haystack while at+15 < starts.
    const std::size_t starts = hay.size() - size + 1;
    const __m128i first = _mm_set1_epi8(needle.front());
    const __m128i last = _mm_set1_epi8(needle.back());
    // Bytes compared by checks that failed; past the bytes scanned (plus a page of slack) the filter is not
    // paying its way and memmem, linear in the worst case, takes the rest.
    std::size_t& wasted = work.wasted_bytes;
    std::size_t at = 0;
    for (; at + 16 <= starts; at += 16) {
        const __m128i head = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + at));
        const __m128i tail = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + at + size - 1));
        auto mask = static_cast<unsigned>(
            _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(head, first), _mm_cmpeq_epi8(tail, last))));
        while (mask != 0) {
            const auto bit = static_cast<std::size_t>(__builtin_ctz(mask));
            if (std::memcmp(data + at + bit + 1, needle.data() + 1, size - 2) == 0) {
                return at + bit;
            }
            wasted += size;
            mask &= mask - 1;
        }
        if (wasted > at + 4096) {
            work.handed_to_memmem = true;
            return find_with_memmem(hay, needle, at + 16);
        }
    }
    return at < starts ? find_with_memmem(hay, needle, at) : std::string_view::npos;
#else
    (void)work;
    return find_with_memmem(hay, needle, 0);
#endif
}

std::size_t find_bytes(std::string_view hay, std::string_view needle) {
    detail::FindWork work;
    return detail::find_bytes(hay, needle, work);
}

} // namespace zsyncctl::util
