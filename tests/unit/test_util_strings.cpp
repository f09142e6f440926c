#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <string>

#include "util/digits.hpp"
#include "util/enum_names.hpp"
#include "util/round.hpp"
#include "util/sanitize.hpp"
#include "util/strings.hpp"

using namespace zsyncctl::util;

TEST_CASE("strings trim and split") {
    SUBCASE("trim removes surrounding whitespace only") {
        CHECK(trim("  a b \n") == "a b");
    }
    SUBCASE("trim of blanks is empty") {
        CHECK(trim(" \t\r\n").empty());
    }
    SUBCASE("split keeps empty fields") {
        auto parts = split("a,,b", ',');
        REQUIRE(parts.size() == 3);
        CHECK(parts[1].empty());
    }
    SUBCASE("split_lines drops CR and the final empty line") {
        auto lines = split_lines("one\r\ntwo\n");
        REQUIRE(lines.size() == 2);
        CHECK(lines[0] == "one");
        CHECK(lines[1] == "two");
    }
}

TEST_CASE("strings parse_int rejects junk") {
    CHECK(parse_int("42") == 42);
    CHECK(parse_int("-7") == -7);
    CHECK_FALSE(parse_int("4x").has_value());
    CHECK_FALSE(parse_int("").has_value());
    CHECK_FALSE(parse_int("99999999999999999999999").has_value());
    CHECK_FALSE(parse_uint("-1").has_value());
    CHECK(parse_uint("18446744073709551615") == 18446744073709551615ull);
}

TEST_CASE("strings icontains ignores ASCII case") {
    CHECK(icontains("LibCurl4", "curl"));
    CHECK_FALSE(icontains("curl", "libcurl"));
    CHECK(icontains("x", ""));
}

TEST_CASE("strings iequals ignores ASCII case only; is_ascii_digit is 0-9") {
    CHECK(iequals("Phased-Update-Percentage", "phased-update-percentage"));
    CHECK(iequals("", ""));
    CHECK_FALSE(iequals("Pin", "Pin-Priority"));
    CHECK_FALSE(iequals("a", "b"));
    CHECK_FALSE(iequals("\xc3\x89", "\xc3\xa9")); // É and é: not ASCII
    CHECK_FALSE(iequals("@", "`"));               // 0x40 and 0x60 differ by the case bit only
    for (int c = 0; c < 256; ++c) {
        CHECK(is_ascii_digit(static_cast<char>(c)) == (c >= '0' && c <= '9'));
    }
}

TEST_CASE("strings ifind gives the first case-insensitive occurrence") {
    CHECK(ifind("LibCurl4-CURL", "curl") == 3);
    CHECK(ifind("PYTHON3", "python3") == 0);
    CHECK(ifind("python", "python3") == std::string_view::npos);
    CHECK(ifind("abc", "x") == std::string_view::npos);
    CHECK(ifind("abc", "") == 0);
    CHECK(ifind("", "") == 0);
    CHECK(ifind("aab", "ab") == 1); // a partial match at 0 does not hide the one at 1
}

TEST_CASE("strings ifind on long texts agrees with a byte-by-byte scan") {
    // Texts of 64 bytes and more take the memchr path: both cases of the first byte, candidates in order,
    // a match that would run past the end.
    auto lower = [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    auto reference = [&](std::string_view hay, std::string_view needle) -> std::size_t {
        for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
            std::size_t j = 0;
            while (j < needle.size() && lower(hay[i + j]) == lower(needle[j])) {
                ++j;
            }
            if (j == needle.size()) {
                return i;
            }
        }
        return std::string_view::npos;
    };
    std::uint32_t state = 12345;
    auto next = [&] {
        state = state * 1103515245u + 12345u;
        return state >> 16;
    };
    const std::string alphabet = "aAbB-1\n";
    for (int round = 0; round < 2000; ++round) {
        std::string hay(60 + next() % 90, ' ');
        for (char& c : hay) {
            c = alphabet[next() % alphabet.size()];
        }
        std::string needle(1 + next() % 4, ' ');
        for (char& c : needle) {
            c = alphabet[next() % alphabet.size()];
        }
        CAPTURE(hay);
        CAPTURE(needle);
        CHECK(ifind(hay, needle) == reference(hay, needle));
    }
    const std::string conf(200, 'x');
    CHECK(ifind(conf + "APT::Default-RELEASE \"stable\";", "default-release") == 205);
    CHECK(ifind(conf + "Default-Releas", "default-release") == std::string_view::npos);
    CHECK(ifind(conf + "d", "D") == 200);
    CHECK(icontains(conf + "1-2", "1-2"));
}

TEST_CASE("strings UTF-8 validation and display sanitising") {
    CHECK(is_valid_utf8("caf\xC3\xA9"));
    CHECK_FALSE(is_valid_utf8("\xC3"));
    CHECK_FALSE(is_valid_utf8("\xED\xA0\x80")); // a UTF-16 surrogate
    CHECK_FALSE(is_valid_utf8("\xC0\xAF"));     // overlong '/'
    CHECK(sanitize_for_display("a\x1b[31mb") == "a?b");
    CHECK(sanitize_for_display("c1\xc2\x9b"
                               "2J bidi\xe2\x80\xae") == "c1? bidi?");
    CHECK(sanitize_for_display("x\xFFy") == "x\xEF\xBF\xBDy");
    CHECK(sanitize_for_display("tab\tok") == "tab ok");
}

TEST_CASE("strings format_bytes uses binary units") {
    CHECK(format_bytes(0) == "0 B");
    CHECK(format_bytes(512) == "512 B");
    CHECK(format_bytes(1536) == "1.5 KiB");
    CHECK(format_bytes(24ull << 30) == "24 GiB");
}

TEST_CASE("quote_posix and quote_fish make one shell word") {
    CHECK(quote_posix("plain") == "'plain'");
    CHECK(quote_posix("it's") == "'it'\\''s'");
    CHECK(quote_posix("") == "''");
    CHECK(quote_posix("$(id) `x` \\") == "'$(id) `x` \\'");
    CHECK(quote_fish("it's a\\b") == "'it\\'s a\\\\b'");
    CHECK(quote_fish("") == "''");
}

TEST_CASE("enum_name and enum_parse read one table both ways, aliases included") {
    enum class Colour { red, green, blue };
    constexpr std::array<zsyncctl::util::EnumName<Colour>, 3> table{{
        {Colour::red, "red"},
        {Colour::green, "green"},
        {Colour::green, "verde"},
    }};
    CHECK(zsyncctl::util::enum_name(table, Colour::green, "?") == "green");
    CHECK(zsyncctl::util::enum_name(table, Colour::blue, "?") == "?");
    CHECK(zsyncctl::util::enum_parse(table, "verde") == Colour::green);
    CHECK_FALSE(zsyncctl::util::enum_parse(table, "Red").has_value());
}

TEST_CASE("round_to_integer rounds as std::llround") {
    for (double value :
         {0.0, 0.4, 0.5, 0.49999999999999994, 1.5, 2.5, 999.5, 1000.4999, -0.5, -1.5, -2.4, 0.001 * 1000,
          0.0015 * 1000, 86400.0 * 1000, 31536000.0 * 1000, 4503599627370495.5}) {
        INFO("value " << value);
        CHECK(round_to_integer(value) == std::llround(value));
    }
}

TEST_CASE("compare_digit_strings compares digit runs by value, of any length") {
    using zsyncctl::util::compare_digit_strings;
    CHECK(compare_digit_strings("9", "10") == -1);
    CHECK(compare_digit_strings("10", "9") == 1);
    CHECK(compare_digit_strings("007", "7") == 0);
    CHECK(compare_digit_strings("", "0") == 0);
    CHECK(compare_digit_strings("000", "") == 0);
    CHECK(compare_digit_strings("", "1") == -1);
    CHECK(compare_digit_strings("18446744073709551616", "18446744073709551615") == 1);
    CHECK(compare_digit_strings("123456789012345678901234567890", "123456789012345678901234567891") == -1);
    CHECK(compare_digit_strings("0100", "99") == 1);
}

TEST_CASE("is_terminal_safe finds an unsafe character at every offset, around its 16-byte blocks") {
    // Printable ASCII around one character of each kind, placed at every offset of texts from 1 to 50
    // bytes, so it falls in the first, a middle and the last block, across a block's end, and in the tail
    // shorter than a block. The expected answer comes from the character's kind alone.
    struct Kind {
        std::string bytes;
        bool safe;
    };
    const Kind kinds[] = {
        {"a", true},
        {"~", true},
        {" ", true},
        {"\xC3\xA9", true},     // é
        {"\xE2\x82\xAC", true}, // €
        {std::string(1, '\0'), false},
        {"\x1B", false},
        {"\n", false},
        {"\x7F", false},
        {"\x80", false},         // a lone continuation
        {"\xC2\x9B", false},     // C1 CSI
        {"\xE2\x80\xAE", false}, // U+202E
        {"\xE2\x80\xA8", false}, // U+2028
        {"\xC3", false},         // cut short
    };
    int checked = 0;
    for (const Kind& kind : kinds) {
        for (std::size_t size = kind.bytes.size(); size <= 50; ++size) {
            for (std::size_t at = 0; at + kind.bytes.size() <= size; ++at) {
                std::string text(size, 'x');
                text.replace(at, kind.bytes.size(), kind.bytes);
                CAPTURE(size);
                CAPTURE(at);
                CHECK(is_terminal_safe(text) == kind.safe);
                ++checked;
            }
        }
    }
    CHECK(checked > 10000);
    CHECK(is_terminal_safe(""));
    CHECK(is_terminal_safe(std::string(64, 'z')));
    // A view of the start of a longer text is judged by its own bytes alone: what follows it (escapes
    // here) is never looked at, whether the view is shorter than a block or ends inside one.
    const std::string escapes_after = std::string(50, 'q') + std::string(32, '\x1B');
    for (std::size_t size = 0; size <= 50; ++size) {
        CAPTURE(size);
        CHECK(is_terminal_safe(std::string_view(escapes_after).substr(50 - size, size)));
    }
    const std::string escapes_before = std::string(32, '\x1B') + std::string(50, 'q');
    for (std::size_t size = 0; size <= 50; ++size) {
        CAPTURE(size);
        CHECK(is_terminal_safe(std::string_view(escapes_before).substr(32, size)));
    }
}
