#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <string>

#include "util/find.hpp"

using namespace zsyncctl::util;

namespace {

// The oracle: glibc's memmem(3).
std::size_t memmem_at(std::string_view hay, std::string_view needle) {
    const void* hit = ::memmem(hay.data(), hay.size(), needle.data(), needle.size());
    return hit == nullptr ? std::string_view::npos
                          : static_cast<std::size_t>(static_cast<const char*>(hit) - hay.data());
}

} // namespace

TEST_CASE("find_bytes: edges") {
    CHECK(find_bytes("", "") == 0);
    CHECK(find_bytes("abc", "") == 0);
    CHECK(find_bytes("", "a") == std::string_view::npos);
    CHECK(find_bytes("ab", "abc") == std::string_view::npos);
    CHECK(find_bytes("abc", "abc") == 0);
    CHECK(find_bytes("xxabc", "c") == 4);
    CHECK(find_bytes("zstd libzstd1", "zstd") == 0);
    CHECK(find_bytes(std::string_view("a\0b\0c", 5), std::string_view("\0c", 2)) == 3);
    // Bytes above 0x7f compare as bytes (the filter's comparisons are signed-neutral equality).
    CHECK(find_bytes("caf\xc3\xa9 \xff\xfe", "\xff\xfe") == 6);
}

TEST_CASE("find_bytes agrees with memmem on generated input") {
    // Small alphabets make many candidate positions; every needle length around the 16-byte blocks, every
    // haystack length around them, and needles cut from the haystack itself (found at varied offsets).
    std::mt19937 rng(20261203);
    for (int alphabet : {2, 3, 26}) {
        std::uniform_int_distribution<int> letter(0, alphabet - 1);
        for (int round = 0; round < 400; ++round) {
            std::size_t hay_size = static_cast<std::size_t>(rng() % 80);
            std::string hay;
            for (std::size_t i = 0; i < hay_size; ++i) {
                hay.push_back(static_cast<char>('a' + letter(rng)));
            }
            for (std::size_t size = 1; size <= 20; ++size) {
                std::string needle;
                if (rng() % 2 == 0 && size <= hay.size()) {
                    needle = hay.substr(rng() % (hay.size() - size + 1), size);
                } else {
                    for (std::size_t i = 0; i < size; ++i) {
                        needle.push_back(static_cast<char>('a' + letter(rng)));
                    }
                }
                INFO("hay=" << hay << " needle=" << needle);
                CHECK(find_bytes(hay, needle) == memmem_at(hay, needle));
            }
        }
    }
}

TEST_CASE("find_bytes: a match in the last positions and across block boundaries") {
    for (std::size_t size = 1; size <= 40; ++size) {
        for (std::size_t hay_size = size; hay_size <= 70; ++hay_size) {
            std::string hay(hay_size, 'x');
            std::string needle(size, 'y');
            needle.front() = 'n';
            needle.back() = size > 1 ? 'e' : 'n';
            for (std::size_t at = 0; at + size <= hay_size; at += 7) {
                std::string with = hay;
                with.replace(at, size, needle);
                CHECK(find_bytes(with, needle) == at);
            }
            CHECK(find_bytes(hay, needle) == std::string_view::npos);
        }
    }
}

TEST_CASE("find_bytes: the filter's failures stay linear, then memmem takes over") {
    // Every position passes the first/last byte filter and fails only in the middle: checked one by one
    // this is size x positions byte comparisons (8 G here); the budget hands it to memmem instead.
    std::string hay(std::size_t(4) << 20, 'a');
    std::string needle = std::string(1000, 'a') + "b" + std::string(1000, 'a');
    detail::FindWork work;
    CHECK(detail::find_bytes(hay, needle, work) == std::string_view::npos);
    CHECK(work.handed_to_memmem);
    CHECK(work.wasted_bytes <= 2 * 4096 + 16 * needle.size());
    // The same needle placed near the end: found past the point of hand-over.
    const std::size_t at = hay.size() - 5000;
    hay.replace(at, needle.size(), needle);
    detail::FindWork again;
    CHECK(detail::find_bytes(hay, needle, again) == at);
    CHECK(again.handed_to_memmem);

    // Text like the index's: the filter alone does the work.
    std::string text;
    while (text.size() < (std::size_t(1) << 20)) {
        text += "\x1elibfoo-dev\x1f development files for the foo library \x1e";
    }
    text += "zstd";
    detail::FindWork plain;
    CHECK(detail::find_bytes(text, "zstd", plain) == text.size() - 4);
    CHECK_FALSE(plain.handed_to_memmem);
}
