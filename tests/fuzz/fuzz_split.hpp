#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace zsyncctl::fuzz {

/// The fuzzer's bytes as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// Splits `input` at NUL bytes into at most `max_fields` fields (the last takes the rest).
inline std::vector<std::string_view> split_fields(std::string_view input, std::size_t max_fields) {
    std::vector<std::string_view> fields;
    while (fields.size() + 1 < max_fields) {
        std::size_t nul = input.find('\0');
        if (nul == std::string_view::npos) {
            break;
        }
        fields.push_back(input.substr(0, nul));
        input.remove_prefix(nul + 1);
    }
    fields.push_back(input);
    return fields;
}

/// Stops the fuzzer with a crash report when an invariant does not hold.
inline void check(bool invariant) {
    if (!invariant) {
        __builtin_trap();
    }
}

} // namespace zsyncctl::fuzz
