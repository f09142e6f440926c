#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/io_uring_probe.hpp"
#include "platform/kernel.hpp"
#include "platform/limits.hpp"
#include "util/root.hpp"

namespace zsyncctl::platform {

/// The inputs that explain why io_uring is or is not usable. Plain data.
struct IoUringEvidence {
    std::optional<int> sysctl_disabled; // /proc/sys/kernel/io_uring_disabled (6.6+): 0, 1 or 2
    std::string io_uring_group;         // /proc/sys/kernel/io_uring_group (gid) when readable
    std::optional<int> seccomp_mode;    // Seccomp: of /proc/self/status (0 off, 1 strict, 2 filter)
    std::optional<int> seccomp_filters; // Seccomp_filters:
    bool cap_sys_admin = false;         // CapEff of /proc/self/status has CAP_SYS_ADMIN
    std::optional<KernelVersion> kernel;
    std::optional<std::uint64_t> memlock_soft; // nullopt: unlimited or unknown
    bool memlock_known = false;
    std::optional<int> wsl;
    bool gvisor = false;
};

/// io_uring usability and the reason. Plain data.
struct IoUringFacts {
    bool usable = false;
    std::string reason;        // one sentence: why (not) usable, naming the sysctl/seccomp/errno
    std::string errno_name;    // "EPERM", ... when a probe failed
    bool inferred = false;     // true when decided from the root's files without a live probe
    bool memlock_risk = false; // kernel < 5.12 charges rings to RLIMIT_MEMLOCK and the limit is low
    IoUringEvidence evidence;
    IoUringProbe probe;
};

/// Bytes of locked memory one ring of the runtime needs on kernels that charge RLIMIT_MEMLOCK (< 5.12).
inline constexpr std::uint64_t k_io_uring_ring_bytes = 32 * 1024;

/// Reads the evidence through `root`: the sysctl files and the Seccomp/CapEff lines of /proc/self/status.
IoUringEvidence read_io_uring_evidence(const util::Root& root, const KernelInfo& kernel,
                                       const RlimitFacts& rlimits, std::optional<int> wsl, bool gvisor);

/// Runs probe_io_uring() and times it. `ran` is false when this build has no io_uring support (the probe
/// then cannot try anything). Never fails: errors land in the result.
IoUringProbe probe_io_uring_live();

/// Decides usability. With a probe that ran, its errno decides and the evidence names the cause; without
/// one (another root), the evidence alone decides and the result is marked `inferred`.
IoUringFacts classify_io_uring(const IoUringEvidence& evidence, const IoUringProbe& probe);

} // namespace zsyncctl::platform
