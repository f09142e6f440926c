#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace zsyncctl::util {

/// One row of an enum's name table: a value and its stable spelling.
template <typename E>
struct EnumName {
    E value;
    std::string_view name;
};

/// The name of `value` in `table` (the first row with that value), or `fallback` when no row has it.
/// Tables list the canonical spelling of a value first; later rows with the same value are aliases.
template <typename E, std::size_t N>
constexpr std::string_view enum_name(const std::array<EnumName<E>, N>& table, E value,
                                     std::string_view fallback) {
    for (const auto& row : table) {
        if (row.value == value) {
            return row.name;
        }
    }
    return fallback;
}

/// The value spelled `text` in `table` (canonical names and aliases alike), or nullopt.
template <typename E, std::size_t N>
constexpr std::optional<E> enum_parse(const std::array<EnumName<E>, N>& table, std::string_view text) {
    for (const auto& row : table) {
        if (row.name == text) {
            return row.value;
        }
    }
    return std::nullopt;
}

} // namespace zsyncctl::util
