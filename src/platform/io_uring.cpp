#include "platform/io_uring.hpp"

#include <cerrno>
#include <chrono>
#include <mutex>

#include "platform/io_uring_probe.hpp"
#include "platform/proc_status.hpp"
#include "util/strings.hpp"

namespace zsyncctl::platform {

IoUringProbe probe_io_uring_live() {
    auto start = std::chrono::steady_clock::now();
    IoUringProbe probe = probe_io_uring();
    probe.duration_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return probe;
}

namespace {

// The process's one probe, made by whichever of probe_io_uring_once / probe_io_uring_once_on runs first.
struct ProcessProbe {
    std::once_flag made;
    IoUringProbe probe;
};

ProcessProbe& process_probe() {
    static ProcessProbe once;
    return once;
}

} // namespace

const IoUringProbe& probe_io_uring_once() {
    ProcessProbe& once = process_probe();
    std::call_once(once.made, [&once] { once.probe = probe_io_uring_live(); });
    return once.probe;
}

#ifdef ZSYNCCTL_HAVE_IO_URING
const IoUringProbe& probe_io_uring_once_on(::io_uring& ring) {
    ProcessProbe& once = process_probe();
    std::call_once(once.made, [&once, &ring] {
        auto start = std::chrono::steady_clock::now();
        once.probe = probe_io_uring_on(ring);
        once.probe.duration_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    });
    return once.probe;
}
#endif

IoUringEvidence read_io_uring_evidence(const util::Root& root, const KernelInfo& kernel,
                                       const RlimitFacts& rlimits, std::optional<int> wsl, bool gvisor) {
    IoUringEvidence e;
    if (auto text = root.read("/proc/sys/kernel/io_uring_disabled", 64)) {
        if (auto v = util::parse_int(util::trim(*text)); v && *v >= 0 && *v <= 2) {
            e.sysctl_disabled = static_cast<int>(*v);
        }
    }
    if (auto text = root.read("/proc/sys/kernel/io_uring_group", 64)) {
        e.io_uring_group = util::sanitize_for_display(util::trim(*text));
    }
    if (auto text = root.read("/proc/self/status", 65536)) {
        platform::ProcStatus status = platform::parse_proc_status(*text);
        e.seccomp_mode = status.seccomp;
        e.seccomp_filters = status.seccomp_filters;
        e.cap_sys_admin = status.cap_eff && platform::has_cap_sys_admin(*status.cap_eff);
    }
    e.kernel = kernel.version;
    e.memlock_known = rlimits.memlock.known;
    e.memlock_soft = rlimits.memlock.soft;
    e.wsl = wsl;
    e.gvisor = gvisor;
    return e;
}

namespace {

bool memlock_too_low(const IoUringEvidence& e) {
    return e.kernel && *e.kernel < KernelVersion{5, 12, 0} && e.memlock_known && e.memlock_soft &&
           *e.memlock_soft < k_io_uring_ring_bytes;
}

std::string memlock_text(const IoUringEvidence& e) {
    return "RLIMIT_MEMLOCK is " + std::to_string(e.memlock_soft.value_or(0) / 1024) + " KiB and kernel " +
           to_string(*e.kernel) + " (< 5.12) charges io_uring rings to it (a ring needs ~" +
           std::to_string(k_io_uring_ring_bytes / 1024) + " KiB)";
}

std::string seccomp_text(const IoUringEvidence& e) {
    std::string text = "a seccomp filter is active (Seccomp: 2";
    if (e.seccomp_filters) {
        text += ", Seccomp_filters: " + std::to_string(*e.seccomp_filters);
    }
    return text + ")";
}

// The reason io_uring_setup would fail with ENOSYS, from the evidence.
std::string enosys_cause(const IoUringEvidence& e) {
    if (e.wsl && *e.wsl == 1) {
        return "WSL1 has no io_uring";
    }
    if (e.gvisor) {
        return "gVisor implements io_uring only with runsc --iouring";
    }
    if (e.kernel && *e.kernel < KernelVersion{5, 1, 0}) {
        return "kernel " + to_string(*e.kernel) + " predates io_uring (5.1)";
    }
    return "the kernel was built without CONFIG_IO_URING, or a sandbox answers ENOSYS";
}

} // namespace

IoUringFacts classify_io_uring(const IoUringEvidence& evidence, const IoUringProbe& probe) {
    IoUringFacts f;
    f.evidence = evidence;
    f.probe = probe;
    f.memlock_risk = memlock_too_low(evidence);
    const auto& e = evidence;
    if (probe.ran) {
        if (probe.usable) {
            f.usable = true;
            f.reason = "io_uring_setup, the opcode probe and a NOP round trip succeeded";
            return f;
        }
        if (!probe.missing_opcodes.empty() || probe.error_number == 0) {
            f.reason = probe.reason;
            return f;
        }
        f.errno_name = platform::errno_name(probe.error_number);
        std::string prefix = "io_uring failed with " + f.errno_name + ": ";
        switch (probe.error_number) {
        case EPERM:
            if (e.sysctl_disabled && *e.sysctl_disabled == 2) {
                f.reason = prefix + "disabled by sysctl kernel.io_uring_disabled=2";
            } else if (e.sysctl_disabled && *e.sysctl_disabled == 1) {
                f.reason = prefix + "kernel.io_uring_disabled=1 restricts it to CAP_SYS_ADMIN and group " +
                           (e.io_uring_group.empty() ? std::string("io_uring_group") : e.io_uring_group);
            } else if (e.seccomp_mode && *e.seccomp_mode == 2) {
                f.reason = prefix + "blocked by " + seccomp_text(e);
            } else {
                f.reason = prefix + "refused by a security policy (sysctl, seccomp or LSM)";
            }
            break;
        case ENOSYS:
            f.reason = prefix + enosys_cause(e);
            break;
        case ENOMEM:
            f.reason = prefix + (f.memlock_risk ? memlock_text(e) : std::string("out of locked memory"));
            break;
        case EOPNOTSUPP:
            f.reason = prefix + "io_uring is not supported here (seen in managed Kubernetes sandboxes)";
            break;
        default:
            f.reason = probe.reason;
            break;
        }
        return f;
    }
    // Another root: decide from its files alone, the way the kernel and the sandbox would.
    f.inferred = true;
    if (e.sysctl_disabled && *e.sysctl_disabled == 2) {
        f.reason = "disabled by sysctl kernel.io_uring_disabled=2";
    } else if ((e.wsl && *e.wsl == 1) || e.gvisor || (e.kernel && *e.kernel < KernelVersion{5, 1, 0})) {
        f.reason = enosys_cause(e);
    } else if (e.sysctl_disabled && *e.sysctl_disabled == 1 && !e.cap_sys_admin) {
        f.reason = "kernel.io_uring_disabled=1 restricts it to CAP_SYS_ADMIN and group " +
                   (e.io_uring_group.empty() ? std::string("io_uring_group") : e.io_uring_group);
    } else if (e.seccomp_mode && *e.seccomp_mode == 2) {
        f.reason = seccomp_text(e) + "; container runtimes' default profiles block io_uring_setup";
    } else if (f.memlock_risk) {
        f.reason = memlock_text(e);
    } else if (!e.kernel) {
        f.reason = "unknown: the kernel release is unreadable in this root";
    } else {
        f.usable = true;
        f.reason = "no sysctl, seccomp or memlock restriction in this root's files (not probed live)";
    }
    return f;
}

} // namespace zsyncctl::platform
