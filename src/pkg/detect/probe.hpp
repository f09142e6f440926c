#pragma once

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>

#include "util/root.hpp"

namespace zsyncctl::pkg {

/// A stat time in nanoseconds since the epoch (FileProbe's and the detection cache's stamps).
inline std::int64_t timespec_ns(const struct timespec& ts) {
    return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

/// What a path turned out to be, after following symlinks inside the root.
struct FileProbe {
    /// untrusted: an executable root must not run (see distrust_as_root); set by detection, not probe_path.
    enum class Kind { missing, dangling_symlink, directory, not_executable, executable, other, untrusted };
    Kind kind = Kind::missing;
    std::string host_path; // where it lives on the real file system (symlinks resolved inside the root)
    std::int64_t mtime_ns = 0;
    std::int64_t ctime_ns = 0;
    std::uint32_t uid = 0;  // owner of what the path leads to
    std::uint32_t mode = 0; // its st_mode
    bool via_link = false;  // the last component is a symlink (or was followed through one inside a root)

    /// True for a regular file with an exec bit.
    bool is_executable() const { return kind == Kind::executable; }
    /// True when something is there (any kind but missing/dangling).
    bool exists() const { return kind != Kind::missing && kind != Kind::dangling_symlink; }
};

/// Looks at `logical` (an absolute path as seen inside `root`): symlinks are followed component by
/// component, and absolute targets are resolved inside the root again, so a fixture tree with
/// `usr/bin/x -> /opt/y/x` points into the fixture, never at the host. At most 40 links are followed
/// (more counts as dangling). Never fails: unreadable paths are `missing`.
FileProbe probe_path(const util::Root& root, std::string_view logical);

/// Why root must not run the host executable `probe` found, or empty when it may: root runs nothing another
/// user controls, so the file and every directory above where it really lives (symlinks resolved) must be
/// owned by root and not writable by group or others (a sticky directory, /tmp, is allowed). A `sudo -E`
/// keeps the user's HOME and PATH: ~/.cargo/bin/cargo or ~/.linuxbrew/bin/brew is then theirs to swap.
std::string distrust_as_root(const FileProbe& probe);

/// The readable reason for a rejected candidate ("a directory", "not executable", ...).
std::string_view describe_rejection(FileProbe::Kind kind);

/// Directory part of a logical path ("/usr/bin/apt" -> "/usr/bin"; "/x" -> "/").
std::string parent_of(std::string_view logical);

/// Removes trailing slashes and collapses "//" ("/usr//bin/" -> "/usr/bin"); "/" stays "/".
std::string clean_logical(std::string_view path);

} // namespace zsyncctl::pkg
