#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/root.hpp"

namespace zsyncctl::platform {

/// One cgroup filesystem mount from /proc/self/mountinfo. Plain data.
struct CgroupMount {
    std::string mount_point;              // where it is mounted, octal escapes decoded ("/sys/fs/cgroup/cpu")
    std::string root;                     // the cgroup path that is the mount's root ("/" usually)
    bool v2 = false;                      // cgroup2 (unified) rather than a v1 hierarchy
    std::vector<std::string> controllers; // v1 controllers from the super options ("cpu", "cpuacct")
};

/// One line of /proc/self/cgroup. Plain data.
struct CgroupMembership {
    std::string hierarchy;                // "0" for the unified hierarchy
    std::vector<std::string> controllers; // empty for cgroup v2
    std::string path;                     // the process's cgroup path in that hierarchy
};

/// Which cgroup directory holds this process's files for one controller. Plain data.
struct CgroupDir {
    std::string dir;   // absolute path (before root resolution) of the leaf cgroup directory
    std::string mount; // the mount point the walk up must not leave
    bool v2 = false;
};

/// Decodes mountinfo's octal escapes ("\040" -> space); other text unchanged.
std::string unescape_mountinfo(std::string_view text);

/// The cgroup and cgroup2 mounts listed in mountinfo text; malformed lines are skipped.
std::vector<CgroupMount> parse_cgroup_mounts(std::string_view mountinfo);

/// The lines of /proc/self/cgroup text; malformed lines are skipped.
std::vector<CgroupMembership> parse_proc_cgroup(std::string_view text);

/// Maps a process cgroup path into a mount: strips the mount root when the path starts with it (v1
/// Docker without a cgroup namespace), treats "/.." roots of a cgroup namespace as the mount itself.
std::string cgroup_dir_in_mount(const CgroupMount& mount, std::string_view process_path);

/// Where `controller` ("cpu", "memory", "pids") of this process lives, read through `root` from
/// /proc/self/cgroup and /proc/self/mountinfo. A v1 hierarchy carrying the controller wins over v2 (hybrid
/// mode, as Go does). Without mountinfo the conventional /sys/fs/cgroup layout is assumed. nullopt when the
/// process is in no cgroup that has the controller.
std::optional<CgroupDir> find_cgroup_dir(const util::Root& root, std::string_view controller);

/// The directories from the leaf up to (and including) the mount point, leaf first.
std::vector<std::string> cgroup_dirs_upward(const CgroupDir& dir);

} // namespace zsyncctl::platform
