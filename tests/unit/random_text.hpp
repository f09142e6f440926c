#pragma once

#include <random>
#include <string>

namespace test_support {

/// 0 to 6 bytes that serializers get wrong: controls, quotes, backslashes, DEL, bad and good UTF-8 (a
/// lone continuation byte, "é", "€", a surrogate lead), a path separator; often empty.
inline std::string hostile_text(std::mt19937& rng) {
    static constexpr unsigned char k_bytes[] = {0x00, 0x0A, 0x1F, '"',  '\\', 0x7F, 0x80, 0xC3, 0xA9, 0xE2,
                                                0x82, 0xAC, 0xED, 0xFF, 'a',  'b',  '_',  ' ',  '/'};
    std::uniform_int_distribution<int> length(0, 6);
    std::uniform_int_distribution<int> pick(0, static_cast<int>(sizeof k_bytes) - 1);
    std::string s;
    for (int n = length(rng); n > 0; --n) {
        s += static_cast<char>(k_bytes[pick(rng)]);
    }
    return s;
}

} // namespace test_support
