#include "platform/facts.hpp"

#include <chrono>

#include "util/strings.hpp"

namespace zsyncctl::platform {

namespace {

// Runs `f` and records its wall time under `name`.
template <typename F>
void timed(HostFacts& facts, const char* name, F&& f) {
    auto start = std::chrono::steady_clock::now();
    f();
    facts.timings_ms.emplace_back(
        name, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
}

} // namespace

HostFacts gather_host_facts(const util::Root& root) {
    HostFacts facts;
    facts.identity = host_identity();
    facts.overrides.root = !root.is_host();
    facts.overrides.root_dir = root.dir().string();
    facts.overrides.os = facts.identity.os_overridden;
    facts.overrides.arch = facts.identity.arch_overridden;
    if (!root.is_host() && !facts.identity.arch_overridden) {
        // The image's kernel arch, when its /proc says (kernel.arch, 5.x+); else the binary's.
        auto arch = root.read("/proc/sys/kernel/arch", 64);
        facts.identity.kernel_arch = arch ? normalize_arch(*arch) : facts.identity.arch;
    }
    const bool linux_os = facts.identity.os == "linux";
    timed(facts, "distro", [&] { facts.distro = read_distro(root); });
    timed(facts, "kernel", [&] { facts.kernel = read_kernel(root); });
    timed(facts, "libc", [&] { facts.libc = read_libc(root); });
    timed(facts, "cpu", [&] { facts.cpu = platform::read_cpu_budget(root); });
    timed(facts, "memory", [&] {
        facts.memory = read_memory(root);
        facts.pids = read_pids(root);
        facts.rlimits = read_rlimits(root);
    });
    timed(facts, "virtualization", [&] {
        facts.virtualization = read_virtualization(root, facts.kernel.release, facts.kernel.proc_version);
    });
    timed(facts, "io_uring", [&] {
        IoUringEvidence evidence = read_io_uring_evidence(
            root, facts.kernel, facts.rlimits, facts.virtualization.wsl, facts.virtualization.gvisor);
        IoUringProbe probe;
        if (linux_os && root.is_host() && !facts.overrides.os) {
            probe = probe_io_uring_once();
        }
        if (!linux_os) {
            facts.io_uring.evidence = evidence;
            facts.io_uring.reason = "io_uring exists only on Linux";
        } else {
            facts.io_uring = classify_io_uring(evidence, probe);
        }
    });
    timed(facts, "reactor", [&] {
        if (facts.overrides.os) {
            // The OS is pretended: name its reactor, but a live smoke test would test the wrong OS.
            facts.reactor.name = facts.identity.os == "linux"     ? "epoll"
                                 : facts.identity.os == "windows" ? "iocp"
                                                                  : "kqueue";
            facts.reactor.create_errno = 0;
            facts.reactor.epoll = facts.identity.os == "linux";
        } else {
            facts.reactor = probe_reactor();
        }
    });
    return facts;
}

} // namespace zsyncctl::platform
