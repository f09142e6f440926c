#pragma once

#include <string_view>

namespace zsyncctl::util {

/// Two runs of ASCII digits compared as the integers they spell, of any length (no overflow): leading
/// zeros ignored, an empty run is 0. What the version readers (apk, cargo, pacman, Homebrew) share.
/// Returns -1, 0 or 1. Never fails.
int compare_digit_strings(std::string_view a, std::string_view b);

} // namespace zsyncctl::util
