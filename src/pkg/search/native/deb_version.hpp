#pragma once

#include <string_view>

namespace zsyncctl::pkg {

/// Compares two Debian version strings ([epoch:]upstream[-revision]) the way dpkg does: numeric epochs,
/// (a leading '+' allowed, as dpkg's strtol reads it; surrounding blanks ignored),
/// then upstream and revision with dpkg's ordering ('~' before everything, even the end; letters before
/// other symbols; digit runs numerically). Returns <0, 0 or >0. Malformed input is compared as text
/// under the same rules; never fails.
int compare_deb_versions(std::string_view a, std::string_view b);

} // namespace zsyncctl::pkg
