#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/root.hpp"

namespace zsyncctl::platform {

/// Memory of the machine and the cgroup limit of this process. Plain data.
struct MemoryFacts {
    std::optional<std::uint64_t> total_bytes;     // MemTotal of /proc/meminfo
    std::optional<std::uint64_t> available_bytes; // MemAvailable
    std::optional<std::uint64_t> cgroup_limit; // tightest memory.max / memory.limit_in_bytes; nullopt: none
    std::string cgroup_limit_source;           // the file it came from
};

/// Task (pid) limits: cgroup pids.max. Plain data.
struct PidsFacts {
    std::optional<std::uint64_t> cgroup_limit; // tightest pids.max; nullopt: none
    std::string cgroup_limit_source;
};

/// One resource limit; nullopt means unlimited. Plain data.
struct Rlimit {
    bool known = false;
    std::optional<std::uint64_t> soft;
    std::optional<std::uint64_t> hard;
};

/// The resource limits doctor cares about, from /proc/self/limits (through the root), else getrlimit for
/// the host. Plain data.
struct RlimitFacts {
    Rlimit nofile;
    Rlimit memlock;
    Rlimit nproc;
    std::string source; // "/proc/self/limits" or "getrlimit"
};

/// Parses /proc/meminfo text into (MemTotal, MemAvailable) in bytes.
MemoryFacts parse_meminfo(std::string_view text);

/// Parses a cgroup limit value: v2 "max" or v1 values >= 2^62 are "no limit" (nullopt); junk -> nullopt.
std::optional<std::uint64_t> parse_cgroup_limit(std::string_view text);

/// Parses /proc/self/limits text ("Max open files  1024  4096  files").
RlimitFacts parse_proc_limits(std::string_view text);

/// Memory facts through `root`; unreadable files leave fields unknown.
MemoryFacts read_memory(const util::Root& root);

/// Pids facts through `root`.
PidsFacts read_pids(const util::Root& root);

/// Resource limits through `root` (/proc/self/limits), falling back to getrlimit for the host root.
RlimitFacts read_rlimits(const util::Root& root);

} // namespace zsyncctl::platform
