#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/root.hpp"

namespace zsyncctl::platform {

/// How many CPUs this process may really use, and where each number came from.
struct CpuBudget {
    unsigned online = 1;               // CPUs online (/sys/devices/system/cpu/online, else sysconf)
    std::optional<unsigned> affinity;  // sched_getaffinity (host root only)
    std::string affinity_source;       // "sched_getaffinity" or "/proc/self/status" (Cpus_allowed_list)
    std::optional<double> quota;       // cgroup CPU quota in CPUs (quota/period), tightest along the path
    std::string quota_source;          // file the quota was read from, empty when none
    std::optional<double> leaf_quota;  // the quota of the process's own cgroup (nullopt: unlimited)
    std::optional<int> cgroup_version; // 1 or 2 for the hierarchy holding the cpu controller
    std::string cgroup_dir;            // that cgroup's directory (before root resolution)
    unsigned effective = 1;            // min(online, affinity, ceil(quota)), at least 1
};

/// Parses a CPU list like "0-3,8,10-11" into a count; nullopt on malformed input.
std::optional<unsigned> parse_cpu_list_count(std::string_view text);

/// Parses cgroup v2 cpu.max ("max 100000" or "<quota> <period>") into CPUs; nullopt for "max" or junk.
std::optional<double> parse_cgroup2_cpu_max(std::string_view text);

/// Parses cgroup v1 cpu.cfs_quota_us and cpu.cfs_period_us into CPUs; nullopt for -1 (no quota) or junk.
std::optional<double> parse_cgroup1_quota(std::string_view quota_us, std::string_view period_us);

/// Reads the budget through `root`: online CPUs, affinity (sched_getaffinity for the host root, else
/// Cpus_allowed_list of /proc/self/status), and the cgroup v2 or v1 quota of this process's cgroup and its
/// ancestors (located through /proc/self/mountinfo, see core/cgroup.hpp). Unreadable or malformed files
/// mean "no limit", never a failure.
CpuBudget read_cpu_budget(const util::Root& root);

/// The CPUs this process may run on (sched_getaffinity): one system call, an upper bound of the budget's
/// `effective`; nullopt when the call fails.
std::optional<unsigned> affinity_cpu_count();

} // namespace zsyncctl::platform
