#pragma once

#include <string_view>

namespace zsyncctl::pkg {

/// apk's version order (apk-package(5): number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}):
/// the first number compared as an integer, later ones as decimal fractions when either has a leading zero;
/// pre-release suffixes (alpha < beta < pre < rc) before the plain version, post-release ones (cvs < svn <
/// git < hg < p) after; where one version has a component the other lacks, the longer one is newer unless
/// the extra component is a pre-release suffix. A version outside the grammar compares by its tokens up to
/// where it leaves it, as apk does. <0, 0, >0. Never fails.
int compare_apk_version(std::string_view a, std::string_view b);

} // namespace zsyncctl::pkg
