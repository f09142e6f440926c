#pragma once

#include <string>
#include <string_view>

#include "util/result.hpp"

namespace zsyncctl::platform {

/// The search path used when $PATH is unset (what execvp uses on glibc, without the current directory).
inline constexpr std::string_view k_default_path = "/usr/local/bin:/usr/bin:/bin";

/// True when `path` is a regular file (after following symlinks) that this process may execute. Never fails.
bool is_executable_file(const std::string& path);

/// This process's $PATH, or k_default_path when it is unset. Never fails.
std::string path_env();

/// The one executable lookup of the program. A `name` containing '/' must itself be an executable file;
/// otherwise the first executable `DIR/name` over the entries of `path_list` (a PATH value) wins. Empty and
/// relative entries are skipped: the current directory is never searched, so a root process cannot be made
/// to run a file from wherever it was started. Fails with not_found, naming what was looked for.
util::Result<std::string> find_executable(std::string_view name, std::string_view path_list);

} // namespace zsyncctl::platform
