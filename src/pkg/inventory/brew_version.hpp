#pragma once

#include <string_view>

namespace zsyncctl::pkg {

/// Homebrew's Version#<=> (version.rb): the strings scanned into tokens (alpha, beta, pre, rc, patch,
/// .postN, numbers, letter runs, in that order of preference at each position, case-insensitive), compared
/// token by token with a missing token as the null token (1.0 == 1.0.0, 1.0 > 1.0rc1) and a zero number
/// skipped against a word; "HEAD" / "HEAD-<commit>" is newer than any other version. Returns <0, 0 or >0.
/// Never fails.
int compare_brew_versions(std::string_view a, std::string_view b);

/// Homebrew's PkgVersion#<=> (pkg_version.rb): VERSION[_REVISION] compared by version, then by the
/// revision (0 when absent). Returns <0, 0 or >0. Never fails.
int compare_brew_pkg_versions(std::string_view a, std::string_view b);

} // namespace zsyncctl::pkg
