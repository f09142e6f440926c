#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "platform/cpu_budget.hpp"
#include "platform/host.hpp"
#include "platform/io_uring.hpp"
#include "platform/kernel.hpp"
#include "platform/libc.hpp"
#include "platform/limits.hpp"
#include "platform/os_release.hpp"
#include "platform/reactor.hpp"
#include "platform/virtualization.hpp"
#include "util/root.hpp"

namespace zsyncctl::platform {

/// Which test/inspection overrides shaped the facts. Plain data.
struct FactOverrides {
    bool root = false;    // --root / ZSYNCCTL_ROOT points somewhere other than "/"
    std::string root_dir; // that directory
    bool os = false;      // ZSYNCCTL_OS
    bool arch = false;    // ZSYNCCTL_ARCH

    bool any() const { return root || os || arch; }
};

/// Everything doctor knows about the host (or the root's image). Plain data; gathered once.
struct HostFacts {
    HostIdentity identity;
    FactOverrides overrides;
    std::optional<Distro> distro; // nullopt: no os-release readable
    KernelInfo kernel;
    LibcInfo libc;
    platform::CpuBudget cpu;
    MemoryFacts memory;
    PidsFacts pids;
    RlimitFacts rlimits;
    VirtualizationFacts virtualization;
    IoUringFacts io_uring;
    ReactorFacts reactor;
    std::vector<std::pair<std::string, double>> timings_ms; // per fact group, in gathering order
};

/// Gathers every fact through `root` (and, for the host root only, the live io_uring probe). Reads only:
/// no process is spawned, nothing is written. Never fails; unknown values stay empty/nullopt.
HostFacts gather_host_facts(const util::Root& root);

} // namespace zsyncctl::platform
