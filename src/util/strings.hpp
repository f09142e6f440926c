#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zsyncctl::util {

/// The view without leading and trailing ASCII whitespace.
std::string_view trim(std::string_view text);

/// Splits on every occurrence of `sep`; empty fields are kept ("a,,b" gives three).
std::vector<std::string_view> split(std::string_view text, char sep);

/// Splits into lines on '\n', dropping a trailing '\r' from each; a final empty line is not returned.
std::vector<std::string_view> split_lines(std::string_view text);

/// Joins the parts with `sep` between them.
std::string join(const std::vector<std::string>& parts, std::string_view sep);

/// Parses a whole decimal integer (optional leading '-'); nullopt on any junk or overflow.
std::optional<std::int64_t> parse_int(std::string_view text);

/// Parses a whole unsigned decimal integer; nullopt on any junk or overflow.
std::optional<std::uint64_t> parse_uint(std::string_view text);

/// A byte count for people: "512 B", "1.5 KiB", "24 GiB" (binary units, one decimal below 10).
std::string format_bytes(std::uint64_t bytes);

/// `text` as one single-quoted word for POSIX shells (bash, zsh): 'it'\''s'. Never fails.
std::string quote_posix(std::string_view text);

/// `text` as one single-quoted word for fish, which escapes ' and \ inside single quotes. Never fails.
std::string quote_fish(std::string_view text);

/// ASCII lower-case copy.
std::string to_lower(std::string_view text);

/// True when `needle` occurs in `haystack`, ignoring ASCII case.
bool icontains(std::string_view haystack, std::string_view needle);
/// Equal ignoring ASCII case (field names, keywords, header names).
bool iequals(std::string_view a, std::string_view b);
/// '0' to '9' only, whatever the locale (version strings, numbers in files).
constexpr bool is_ascii_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
/// Where `needle` first occurs in `haystack`, ignoring ASCII case; npos when it does not (0 for an empty
/// needle).
std::size_t ifind(std::string_view haystack, std::string_view needle);

/// One UTF-8 sequence: its code point and its length in bytes (length 0: invalid, i.e. truncated,
/// overlong, a surrogate or past U+10FFFF).
struct Utf8Char {
    char32_t code_point = 0;
    std::size_t length = 0;
};

/// The UTF-8 sequence that starts at text[i] (i < text.size()). The one decoder of the project.
Utf8Char decode_utf8(std::string_view text, std::size_t i);

/// Appends `cp` (at most U+10FFFF) encoded as UTF-8.
void append_utf8(std::string& out, char32_t cp);

/// True when the bytes form valid UTF-8.
bool is_valid_utf8(std::string_view text);

/// The directory part of a '/'-separated path: "/a/b" -> "/a", "/a" -> "/", "b" -> "/" (no slash is
/// treated as the root, as the inventory readers' absolute paths never lack one). Never fails.
std::string path_dir(const std::string& path);

/// The last component of a '/'-separated path ("/a/b" -> "b", "b" -> "b"). Never fails.
std::string path_base(const std::string& path);

/// util::sanitize_terminal (sanitize.hpp) under its older name: output from other programs made safe to
/// show on a terminal or put into JSON.
std::string sanitize_for_display(std::string_view text);

} // namespace zsyncctl::util
