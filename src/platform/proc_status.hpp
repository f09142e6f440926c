#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zsyncctl::platform {

/// The fields of /proc/<pid>/status that zsyncctl reads. Plain data; a field is nullopt when its line is
/// missing or malformed.
struct ProcStatus {
    std::optional<int> seccomp;                   // Seccomp: 0 off, 1 strict, 2 filter
    std::optional<int> seccomp_filters;           // Seccomp_filters: number of filters installed
    std::optional<std::uint64_t> cap_eff;         // CapEff: the effective capability mask
    std::optional<std::uint64_t> tracer_pid;      // TracerPid: 0 when not traced
    std::optional<std::string> cpus_allowed_list; // Cpus_allowed_list: "0-3,8", as written
};

/// Parses /proc/<pid>/status text ("Key:\tvalue" lines); unknown keys and malformed values are skipped, a
/// repeated key keeps its last good value. Never fails.
ProcStatus parse_proc_status(std::string_view text);

/// True when CAP_SYS_ADMIN (bit 21) is in `cap_eff`.
constexpr bool has_cap_sys_admin(std::uint64_t cap_eff) {
    return (cap_eff & (std::uint64_t{1} << 21)) != 0;
}

} // namespace zsyncctl::platform
