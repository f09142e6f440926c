#include "doctor/checks_internal.hpp"

#include "pkg/detect/paths.hpp"
#include "pkg/registry/registry.hpp"
#include "platform/io_uring_probe.hpp"
#include "util/strings.hpp"
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>

namespace zsyncctl::doctor::detail {

namespace {

void io_uring_evidence(const platform::IoUringFacts& u, CheckResult& r) {
    const auto& e = u.evidence;
    ev(r, "kernel.io_uring_disabled", e.sysctl_disabled ? std::to_string(*e.sysctl_disabled) : "(absent)");
    ev(r, "Seccomp", e.seccomp_mode ? std::to_string(*e.seccomp_mode) : "(unknown)");
    if (e.seccomp_filters) {
        ev(r, "Seccomp_filters", std::to_string(*e.seccomp_filters));
    }
    if (u.probe.ran) {
        ev(r, "live probe", u.probe.usable ? "ok" : u.probe.reason);
        char ms[32];
        std::snprintf(ms, sizeof ms, "%.3f ms", u.probe.duration_ms);
        ev(r, "probe time", ms);
    } else {
        ev(r, "live probe", "not run (inferred from the root's files)");
    }
}

} // namespace

void check_iouring_sysctl(const CheckInput& in, CheckResult& r) {
    const auto& e = in.facts.io_uring.evidence;
    if (in.facts.identity.os != "linux") {
        set(r, Status::skip, "io_uring exists only on Linux");
        return;
    }
    ev(r, "/proc/sys/kernel/io_uring_disabled",
       e.sysctl_disabled ? std::to_string(*e.sysctl_disabled) : "(absent)");
    if (!e.sysctl_disabled) {
        set(r, Status::ok,
            "kernel.io_uring_disabled is absent (kernel < 6.6): io_uring is not disabled by sysctl");
    } else if (*e.sysctl_disabled == 0) {
        set(r, Status::ok, "kernel.io_uring_disabled=0: io_uring allowed for everyone");
    } else if (*e.sysctl_disabled == 2) {
        set(r, Status::warn, "io_uring disabled by sysctl kernel.io_uring_disabled=2: using epoll",
            "sudo sysctl -w kernel.io_uring_disabled=0");
    } else if (e.cap_sys_admin) {
        set(r, Status::ok, "kernel.io_uring_disabled=1, and this process has CAP_SYS_ADMIN");
    } else {
        std::string group = e.io_uring_group.empty() ? std::string("<gid>") : e.io_uring_group;
        set(r, Status::warn,
            "kernel.io_uring_disabled=1: only CAP_SYS_ADMIN and group " + group + " may use io_uring",
            "sudo usermod -aG \"$(getent group " + group +
                " | cut -d: -f1)\" \"$USER\"   (or: sudo sysctl -w kernel.io_uring_disabled=0)");
    }
}

void check_iouring_setup(const CheckInput& in, CheckResult& r) {
    const auto& u = in.facts.io_uring;
    if (in.facts.identity.os != "linux") {
        set(r, Status::skip, "io_uring exists only on Linux");
        return;
    }
    io_uring_evidence(u, r);
    if (u.usable) {
        set(r, Status::ok, "io_uring usable: " + u.reason);
        return;
    }
    std::string fix;
    const auto& e = u.evidence;
    if (e.sysctl_disabled && *e.sysctl_disabled == 2) {
        fix = "sudo sysctl -w kernel.io_uring_disabled=0";
    } else if (e.sysctl_disabled && *e.sysctl_disabled == 1) {
        fix = "sudo sysctl -w kernel.io_uring_disabled=0";
    } else if (e.wsl && *e.wsl == 1) {
        fix = "wsl --set-version <distro> 2   (in PowerShell on Windows)";
    } else if (e.gvisor) {
        fix = "run the sandbox with runsc --iouring";
    } else if (e.seccomp_mode && *e.seccomp_mode == 2) {
        fix = "docker run --security-opt seccomp=<profile allowing io_uring_setup, io_uring_enter, "
              "io_uring_register> ...   (or keep the epoll fallback)";
    } else if (u.memlock_risk) {
        fix = raise_limit_fix(in.facts.rlimits.memlock, "l", 65536, "memlock", std::uint64_t{65536} << 10) +
              "   (persist: /etc/security/limits.conf memlock, LimitMEMLOCK=, docker --ulimit memlock=-1)";
    } else {
        fix = upgrade_command(in.facts) + "   (to a kernel with CONFIG_IO_URING)";
    }
    set(r, Status::warn, "io_uring not usable, falling back to epoll: " + u.reason, fix);
}

void check_iouring_memlock(const CheckInput& in, CheckResult& r) {
    const auto& u = in.facts.io_uring;
    const auto& e = u.evidence;
    if (in.facts.identity.os != "linux" || !e.kernel) {
        set(r, Status::skip, "the kernel version is unknown");
        return;
    }
    ev(r, "RLIMIT_MEMLOCK soft", e.memlock_known ? limit_text(e.memlock_soft) : "(unknown)");
    ev(r, "kernel", platform::to_string(*e.kernel));
    if (!(*e.kernel < platform::KernelVersion{5, 12, 0})) {
        set(r, Status::ok, "kernel >= 5.12 does not charge io_uring rings to RLIMIT_MEMLOCK");
    } else if (u.memlock_risk) {
        set(r, Status::warn,
            "RLIMIT_MEMLOCK " + util::format_bytes(e.memlock_soft.value_or(0)) +
                " is too low for io_uring rings on kernel " + platform::to_string(*e.kernel),
            raise_limit_fix(in.facts.rlimits.memlock, "l", 65536, "memlock", std::uint64_t{65536} << 10) +
                "   (persist: /etc/security/limits.conf memlock, LimitMEMLOCK=, docker --ulimit memlock=-1)");
    } else if (!e.memlock_known) {
        set(r, Status::skip, "RLIMIT_MEMLOCK is unknown");
    } else {
        set(r, Status::ok,
            "RLIMIT_MEMLOCK " +
                (e.memlock_soft ? util::format_bytes(*e.memlock_soft) : std::string("unlimited")) +
                " is enough for io_uring rings");
    }
}

void check_iouring_opcodes(const CheckInput& in, CheckResult& r) {
    const auto& p = in.facts.io_uring.probe;
    if (!p.ran) {
        set(r, Status::skip, "needs the live probe (host root, io_uring build)");
        return;
    }
    if (!p.missing_opcodes.empty()) {
        ev(r, "missing", util::join(p.missing_opcodes, " "));
        set(r, Status::warn,
            "the kernel lacks IORING_OP_" + util::join(p.missing_opcodes, ", IORING_OP_") + ": using epoll",
            upgrade_command(in.facts));
    } else if (!p.usable) {
        set(r, Status::skip, "io_uring is not usable, so its opcodes were not listed");
    } else {
        set(r, Status::ok, "every io_uring opcode the event loop uses is supported");
    }
}

void check_reactor(const CheckInput& in, CheckResult& r) {
    const auto& re = in.facts.reactor;
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.3f ms", re.duration_ms);
    ev(r, "reactor", re.name);
    ev(r, "smoke test", ms);
    if (in.facts.overrides.os) {
        set(r, Status::skip,
            re.name + " is the reactor of " + in.facts.identity.os + " (not tested: OS overridden)");
    } else if (re.create_errno != 0) {
        set(r, Status::fail,
            "cannot create an " + re.name + " instance: " + platform::errno_name(re.create_errno),
            "check the seccomp profile and the fd limit (ulimit -n)");
    } else {
        set(r, Status::ok, re.name + " instance created and closed");
    }
}

} // namespace zsyncctl::doctor::detail
