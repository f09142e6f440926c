#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace zsyncctl::util {

/// Reads a whole file; fails with not_found/permission_denied/io, or io when it exceeds `max_bytes`.
Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes = 64u << 20);

/// Reads everything from `fd` (taken over and closed), naming it `what` in errors; fails like read_file.
Result<std::string> read_fd(int fd, const std::string& what, std::size_t max_bytes = 64u << 20);

/// Writes `data` to `path` atomically: a temporary file in the same directory, fsync, then rename.
/// Creates missing parent directories. Fails with the errno of the step that failed.
Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view data);

/// The per-user cache directory for zsyncctl: $XDG_CACHE_HOME/zsyncctl, else $HOME/.cache/zsyncctl.
/// Fails with not_found when neither variable is set.
Result<std::filesystem::path> cache_dir();

} // namespace zsyncctl::util
