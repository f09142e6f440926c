#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>

#include "doctor/doctor.hpp"
#include "pkg/detect/paths.hpp"
#include "pkg/registry/registry.hpp"
#include "platform/io_uring_probe.hpp"
#include "util/strings.hpp"

namespace zsyncctl::doctor {

namespace {

using platform::HostFacts;

struct CheckInput {
    const HostFacts& facts;
    const DoctorOptions& options;
    const Recommendation& recommendation;
};

using CheckFn = std::function<void(const CheckInput&, CheckResult&)>;

struct CheckDef {
    CheckInfo info;
    CheckFn run;
};

std::string cpus_text(double cpus) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2g", cpus);
    return buffer;
}

std::string limit_text(const std::optional<std::uint64_t>& value) {
    return value ? std::to_string(*value) : std::string("unlimited");
}

bool like(const HostFacts& f, std::string_view id) {
    if (!f.distro) {
        return false;
    }
    return f.distro->id == id ||
           std::find(f.distro->id_like.begin(), f.distro->id_like.end(), id) != f.distro->id_like.end();
}

// The command that upgrades the distribution's packages (and with them the kernel).
std::string upgrade_command(const HostFacts& f) {
    if (like(f, "nixos")) {
        return "sudo nixos-rebuild switch --upgrade";
    }
    if (like(f, "debian") || like(f, "ubuntu")) {
        return "sudo apt-get update && sudo apt-get full-upgrade";
    }
    if (like(f, "fedora") || like(f, "rhel") || like(f, "centos")) {
        return "sudo dnf upgrade --refresh";
    }
    if (like(f, "arch")) {
        return "sudo pacman -Syu";
    }
    if (like(f, "alpine")) {
        return "sudo apk upgrade --available";
    }
    if (like(f, "suse") || like(f, "opensuse")) {
        return f.distro && f.distro->rolling ? "sudo zypper dup" : "sudo zypper update";
    }
    return "upgrade the kernel with your distribution's package manager";
}

void set(CheckResult& r, Status status, std::string summary, std::string fix = {}) {
    r.status = status;
    r.summary = std::move(summary);
    r.fix = std::move(fix);
}

void ev(CheckResult& r, std::string key, std::string value) {
    r.evidence.push_back({std::move(key), std::move(value)});
}

void check_arch(const CheckInput& in, CheckResult& r) {
    const auto& id = in.facts.identity;
    ev(r, "binary arch", id.arch);
    ev(r, "kernel arch", id.kernel_arch);
    if (id.arch == "unknown" || id.kernel_arch.empty()) {
        set(r, Status::skip, "the architecture is unknown");
    } else if (id.arch != id.kernel_arch && !(id.arch == "x86" && id.kernel_arch == "x86_64")) {
        set(r, Status::warn,
            "zsyncctl (" + id.arch + ") runs emulated on a " + id.kernel_arch +
                " kernel: slower, and io_uring may be missing",
            "install the " + id.kernel_arch + " build of zsyncctl");
    } else {
        set(r, Status::ok, "native " + id.arch + " binary on a " + id.kernel_arch + " kernel");
    }
}

void check_os(const CheckInput& in, CheckResult& r) {
    const auto& f = in.facts;
    ev(r, "os", f.identity.os);
    if (f.identity.os != "linux") {
        set(r, Status::info, f.identity.os + " (from ZSYNCCTL_OS): Linux facts are not gathered for it");
        return;
    }
    if (!f.distro) {
        set(r, Status::warn, "no /etc/os-release or /usr/lib/os-release: the distribution is unknown",
            "restore the os-release file from your distribution's base-files/system-release package");
        return;
    }
    const auto& d = *f.distro;
    ev(r, "source", d.source);
    ev(r, "ID", d.id);
    ev(r, "ID_LIKE", d.id_like.empty() ? "(none)" : util::join(d.id_like, " "));
    ev(r, "VERSION_ID", d.version_id.empty() ? "(none)" : d.version_id);
    std::string name = d.pretty_name.empty() ? (d.name.empty() ? d.id : d.name) : d.pretty_name;
    std::string where = f.virtualization.container ? " (the container's userland)" : "";
    set(r, Status::ok, name + (d.rolling ? " (rolling release)" : "") + where);
}

void check_kernel(const CheckInput& in, CheckResult& r) {
    const auto& k = in.facts.kernel;
    ev(r, "release", k.release.empty() ? "(unknown)" : k.release);
    ev(r, "source", k.source.empty() ? "(none)" : k.source);
    if (!k.version) {
        set(r, Status::warn, "the kernel release is unknown (/proc/sys/kernel/osrelease unreadable)");
        return;
    }
    ev(r, "parsed", platform::to_string(*k.version));
    if (*k.version < platform::KernelVersion{3, 10, 0}) {
        set(r, Status::fail, "kernel " + platform::to_string(*k.version) + " is older than 3.10: unsupported",
            upgrade_command(in.facts));
    } else if (*k.version < platform::KernelVersion{4, 14, 0}) {
        set(r, Status::warn,
            "kernel " + platform::to_string(*k.version) +
                " is older than the 4.14 minimum: epoll only, untested",
            upgrade_command(in.facts));
    } else {
        set(r, Status::ok, "kernel " + k.release);
    }
}

void check_virt(const CheckInput& in, CheckResult& r) {
    const auto& v = in.facts.virtualization;
    if (v.container) {
        ev(r, "container", *v.container + " (" + v.container_source + ")");
    }
    if (v.vm) {
        ev(r, "vm", *v.vm + " (" + v.vm_source + ")");
    }
    if (v.wsl) {
        ev(r, "wsl", std::to_string(*v.wsl));
    }
    if (v.wsl && *v.wsl == 1) {
        std::string distro = in.facts.distro ? in.facts.distro->name : std::string("<distro>");
        set(r, Status::warn, "WSL1: no io_uring and slow file I/O",
            "wsl --set-version \"" + distro + "\" 2   (in PowerShell on Windows)");
    } else if (v.gvisor) {
        set(r, Status::info, "gVisor sandbox: io_uring only with runsc --iouring");
    } else if (v.wsl) {
        set(r, Status::info, "WSL2");
    } else if (v.container) {
        set(r, Status::info, "container: " + *v.container + " (limits below are the container's)");
    } else if (v.vm) {
        set(r, Status::info, "virtual machine: " + *v.vm);
    } else {
        set(r, Status::ok, "no container, WSL or VM detected");
    }
}

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
        fix = "ulimit -l 65536   (persist: /etc/security/limits.conf memlock, LimitMEMLOCK=, docker --ulimit "
              "memlock=-1)";
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
            "ulimit -l 65536   (persist: /etc/security/limits.conf memlock, LimitMEMLOCK=, docker --ulimit "
            "memlock=-1)");
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

void check_nofile(const CheckInput& in, CheckResult& r) {
    const auto& n = in.facts.rlimits.nofile;
    if (!n.known) {
        set(r, Status::skip, "RLIMIT_NOFILE is unknown (/proc/self/limits unreadable)");
        return;
    }
    ev(r, "soft", limit_text(n.soft));
    ev(r, "hard", limit_text(n.hard));
    ev(r, "source", in.facts.rlimits.source);
    if (n.soft && *n.soft < 1024) {
        std::string target = n.hard ? std::to_string(std::min<std::uint64_t>(*n.hard, 65536)) : "65536";
        set(r, Status::warn,
            "soft fd limit " + std::to_string(*n.soft) + " (hard " + limit_text(n.hard) + ") is low",
            "ulimit -n " + target);
    } else {
        set(r, Status::ok, "fd limit " + limit_text(n.soft) + " (hard " + limit_text(n.hard) + ")");
    }
}

void check_affinity(const CheckInput& in, CheckResult& r) {
    const auto& c = in.facts.cpu;
    ev(r, "online", std::to_string(c.online));
    if (!c.affinity) {
        set(r, Status::skip, "the CPU affinity is unknown");
        return;
    }
    ev(r, "affinity", std::to_string(*c.affinity) + " (" + c.affinity_source + ")");
    if (*c.affinity < c.online) {
        set(r, Status::info,
            "pinned to " + std::to_string(*c.affinity) + " of " + std::to_string(c.online) +
                " CPUs (cpuset/taskset)");
    } else {
        set(r, Status::ok, "may run on all " + std::to_string(c.online) + " online CPUs");
    }
}

void check_quota(const CheckInput& in, CheckResult& r) {
    const auto& c = in.facts.cpu;
    if (!c.cgroup_version) {
        set(r, Status::skip, "no cgroup with a cpu controller is visible");
        return;
    }
    ev(r, "cgroup", "v" + std::to_string(*c.cgroup_version) + " " + c.cgroup_dir);
    if (!c.leaf_quota) {
        set(r, Status::ok, "no CPU quota on this process's cgroup");
        return;
    }
    ev(r, "quota", cpus_text(*c.leaf_quota) + " CPUs");
    set(r, Status::info,
        "cgroup CPU quota " + cpus_text(*c.leaf_quota) + " CPUs: using " + std::to_string(c.effective) +
            " worker thread(s) for " + std::to_string(c.online) + " online CPUs");
}

void check_quota_ancestors(const CheckInput& in, CheckResult& r) {
    const auto& c = in.facts.cpu;
    if (!c.cgroup_version) {
        set(r, Status::skip, "no cgroup with a cpu controller is visible");
        return;
    }
    if (c.quota && (!c.leaf_quota || *c.quota < *c.leaf_quota)) {
        ev(r, "tightest", cpus_text(*c.quota) + " CPUs (" + c.quota_source + ")");
        set(r, Status::info,
            "a parent cgroup limits CPU to " + cpus_text(*c.quota) +
                " although the leaf allows more: the effective limit is " + std::to_string(c.effective));
    } else {
        set(r, Status::ok, "no parent cgroup is tighter than the leaf");
    }
}

void check_memory(const CheckInput& in, CheckResult& r) {
    const auto& m = in.facts.memory;
    if (m.total_bytes) {
        ev(r, "MemTotal", util::format_bytes(*m.total_bytes));
    }
    if (m.cgroup_limit) {
        ev(r, "cgroup limit", util::format_bytes(*m.cgroup_limit) + " (" + m.cgroup_limit_source + ")");
    }
    if (!m.total_bytes && !m.cgroup_limit) {
        set(r, Status::skip, "memory size is unknown (/proc/meminfo unreadable)");
    } else if (m.cgroup_limit && *m.cgroup_limit < (std::uint64_t{256} << 20)) {
        set(r, Status::warn, "cgroup memory limit " + util::format_bytes(*m.cgroup_limit) + " is very small",
            "docker update --memory 1g <container>   (or raise memory.max of the cgroup)");
    } else if (m.cgroup_limit && (!m.total_bytes || *m.cgroup_limit < *m.total_bytes)) {
        set(r, Status::info,
            "cgroup memory limit " + util::format_bytes(*m.cgroup_limit) +
                (m.total_bytes ? " (host " + util::format_bytes(*m.total_bytes) + ")" : std::string()));
    } else {
        set(r, Status::ok, util::format_bytes(*m.total_bytes) + " of memory, no cgroup limit");
    }
}

void check_tasks(const CheckInput& in, CheckResult& r) {
    const auto& p = in.facts.pids;
    const auto& nproc = in.facts.rlimits.nproc;
    ev(r, "pids.max",
       p.cgroup_limit ? std::to_string(*p.cgroup_limit) + " (" + p.cgroup_limit_source + ")" : "max");
    ev(r, "RLIMIT_NPROC", nproc.known ? limit_text(nproc.soft) : "(unknown)");
    if (p.cgroup_limit && *p.cgroup_limit < 128) {
        set(r, Status::warn,
            "pids.max = " + std::to_string(*p.cgroup_limit) + ": thread creation may fail with EAGAIN",
            "docker update --pids-limit 4096 <container>   (or raise pids.max of the cgroup)");
    } else if (nproc.known && nproc.soft && *nproc.soft < 256) {
        set(r, Status::warn,
            "RLIMIT_NPROC " + std::to_string(*nproc.soft) + " is low: thread creation may fail",
            "ulimit -u 4096");
    } else {
        set(r, Status::ok,
            p.cgroup_limit ? "pids.max = " + std::to_string(*p.cgroup_limit) : "no task limit");
    }
}

void check_overrides(const CheckInput& in, CheckResult& r) {
    std::vector<std::string> active;
    if (!in.options.requested_backend_source.empty()) {
        active.push_back("I/O backend " + std::string(core::to_string(in.options.requested_backend)) +
                         " (from " + in.options.requested_backend_source + ")");
    }
    if (in.facts.overrides.os) {
        active.push_back("ZSYNCCTL_OS=" + in.facts.identity.os);
    }
    if (in.facts.overrides.arch) {
        active.push_back("ZSYNCCTL_ARCH=" + in.facts.identity.arch);
    }
    for (const auto& a : active) {
        ev(r, "override", a);
    }
    if (active.empty()) {
        set(r, Status::ok, "no overrides: every setting is the default");
    } else {
        set(r, Status::info, "overrides active: " + util::join(active, ", "));
    }
}

void check_root(const CheckInput& in, CheckResult& r) {
    if (in.facts.overrides.root) {
        ev(r, "root", in.facts.overrides.root_dir);
        set(r, Status::info, "readings come from " + in.facts.overrides.root_dir + ", not the live system");
    } else {
        set(r, Status::ok, "readings come from the live system (/)");
    }
}

void check_homebrew_arch(const CheckInput& in, CheckResult& r) {
    const auto& brew = in.options.homebrew;
    if (brew.installs.empty()) {
        set(r, Status::skip, "no Homebrew installation found");
        return;
    }
    const pkg::HomebrewFindings::Install* native = nullptr;
    const pkg::HomebrewFindings::Install* foreign = nullptr;
    for (const auto& i : brew.installs) {
        ev(r, "brew " + i.prefix, i.native ? "native" : i.mismatch);
        if (i.native && native == nullptr) {
            native = &i;
        } else if (!i.native && foreign == nullptr) {
            foreign = &i;
        }
    }
    if (foreign == nullptr) {
        set(r, Status::ok, "Homebrew at " + brew.installs.front().prefix + " matches this machine's arch");
    } else if (native != nullptr) {
        set(r, Status::warn,
            "Homebrew at " + foreign->prefix + " does not match this machine (" + foreign->mismatch +
                "); the native one at " + native->prefix + " is used",
            "eval \"$(" + native->prefix + "/bin/brew shellenv)\"   # put the native brew first on PATH");
    } else {
        set(r, Status::warn,
            "the only Homebrew, at " + foreign->prefix + ", does not match this machine (" +
                foreign->mismatch + ")",
            "/bin/bash -c \"$(curl -fsSL "
            "https://raw.githubusercontent.com/Homebrew/install/HEAD/install.sh)\"   "
            "# install the native Homebrew");
    }
}

void check_homebrew_multiple(const CheckInput& in, CheckResult& r) {
    const auto& brew = in.options.homebrew;
    if (brew.installs.empty()) {
        set(r, Status::skip, "no Homebrew installation found");
        return;
    }
    if (!brew.multiple()) {
        set(r, Status::ok, "one Homebrew prefix: " + brew.installs.front().prefix);
        return;
    }
    std::vector<std::string> prefixes;
    std::string preferred = brew.installs.front().prefix;
    for (const auto& i : brew.installs) {
        prefixes.push_back(i.prefix);
        if (i.preferred) {
            preferred = i.prefix;
        }
    }
    set(r, Status::warn,
        std::to_string(prefixes.size()) + " Homebrew prefixes (" + util::join(prefixes, ", ") +
            "): formulae and PATH order can disagree",
        "eval \"$(" + preferred + "/bin/brew shellenv)\"   # use " + preferred + " first");
}

void check_recommendation(const CheckInput& in, CheckResult& r) {
    const auto& rec = in.recommendation;
    ev(r, "reason", rec.reason);
    for (const auto& f : rec.findings) {
        ev(r, "config." + f.field, f.message);
    }
    std::string summary = "recommended: " + std::string(core::to_string(rec.execution_model)) + ", " +
                          std::string(core::to_string(rec.io_backend)) + ", " + std::to_string(rec.threads) +
                          " thread(s)";
    const auto& u = in.facts.io_uring;
    if (in.options.requested_backend == core::IoBackend::io_uring &&
        !(u.usable && in.options.io_uring_compiled_in)) {
        set(r, Status::fail,
            "io_uring was requested (" + in.options.requested_backend_source + ") but " +
                (in.options.io_uring_compiled_in ? "it is not usable here: " + u.reason
                                                 : std::string("this build has no io_uring support")),
            "zsyncctl --io-backend auto ...   (or unset ZSYNCCTL_IO_BACKEND)");
        return;
    }
    for (const auto& f : rec.findings) {
        if (f.severity == core::ConfigFinding::Severity::error) {
            set(r, Status::fail, summary + "; the config is refused: " + f.message, f.fix);
            return;
        }
    }
    set(r, Status::ok, summary);
}

const std::vector<CheckDef>& definitions() {
    static const std::vector<CheckDef> defs{
        {{"platform.arch", "platform", "binary arch vs kernel arch (emulation)"}, check_arch},
        {{"platform.os", "platform", "distribution from os-release"}, check_os},
        {{"platform.kernel", "platform", "kernel release vs the supported minimum"}, check_kernel},
        {{"env.virt", "platform", "container, WSL, gVisor or VM"}, check_virt},
        {{"iouring.sysctl", "io_uring", "kernel.io_uring_disabled sysctl"}, check_iouring_sysctl},
        {{"iouring.setup", "io_uring",
          "io_uring_setup works, else why not (errno, sysctl, seccomp, memlock)"},
         check_iouring_setup},
        {{"iouring.memlock", "io_uring", "RLIMIT_MEMLOCK on kernels that charge rings to it (< 5.12)"},
         check_iouring_memlock},
        {{"iouring.opcodes", "io_uring", "IORING_REGISTER_PROBE lists the opcodes the runtime needs"},
         check_iouring_opcodes},
        {{"reactor.create", "io", "the OS reactor (epoll/kqueue/IOCP) can be created"}, check_reactor},
        {{"limits.nofile", "limits", "RLIMIT_NOFILE soft/hard"}, check_nofile},
        {{"cpu.affinity", "cpu", "sched_getaffinity vs online CPUs"}, check_affinity},
        {{"cpu.quota", "cpu", "cgroup v1/v2 CPU quota of this process's cgroup"}, check_quota},
        {{"cpu.quota.ancestors", "cpu", "a parent cgroup tighter than the leaf"}, check_quota_ancestors},
        {{"memory.limit", "limits", "cgroup memory limit vs MemTotal"}, check_memory},
        {{"tasks.limit", "limits", "pids.max and RLIMIT_NPROC"}, check_tasks},
        {{"config.overrides", "config", "settings that differ from the defaults, with their source"},
         check_overrides},
        {{"doctor.root", "config", "--root / ZSYNCCTL_ROOT redirects the readings"}, check_root},
        {{"pkg.homebrew.arch", "packages", "a Homebrew built for another arch (Intel brew on Apple Silicon)"},
         check_homebrew_arch},
        {{"pkg.homebrew.multiple", "packages", "more than one Homebrew prefix"}, check_homebrew_multiple},
        {{"runtime.recommendation", "runtime", "Config::optimal() for these facts, and validate()"},
         check_recommendation},
    };
    return defs;
}

} // namespace

const std::vector<CheckInfo>& check_catalog() {
    static const std::vector<CheckInfo> catalog = [] {
        std::vector<CheckInfo> list;
        for (const auto& d : definitions()) {
            list.push_back(d.info);
        }
        return list;
    }();
    return catalog;
}

void add_package_managers(const pkg::DetectContext& context, const pkg::Detection& detection,
                          DoctorOptions& options) {
    for (const auto& d : detection.managers) {
        PackageManagerFact fact;
        fact.name = std::string(d.manager->id);
        fact.path = d.executable.empty() ? d.prefix : d.executable;
        fact.kind = std::string(pkg::to_string(d.manager->kind));
        pkg::ManagerPaths paths = pkg::resolve_paths(context, d);
        if (!paths.prefix.empty()) {
            fact.paths.emplace_back("prefix", paths.prefix);
        }
        for (const auto& [label, dirs] :
             {std::pair{"bin", &paths.bin}, std::pair{"lib", &paths.lib},
              std::pair{"include", &paths.include}, std::pair{"pkg_config", &paths.pkg_config}}) {
            for (const auto& dir : *dirs) {
                fact.paths.emplace_back(label, dir);
            }
        }
        options.package_managers.push_back(std::move(fact));
    }
    options.homebrew = detection.homebrew;
}

Recommendation recommend(const HostFacts& facts, const DoctorOptions& options) {
    Recommendation rec;
    core::Config config = core::Config::optimal();
    std::size_t workers =
        std::min<std::size_t>(std::max(1u, facts.cpu.effective), core::Config::k_optimal_cap);
    std::string reason = std::to_string(facts.cpu.effective) + " effective CPU(s)";
    if (facts.pids.cgroup_limit && *facts.pids.cgroup_limit / 4 < workers) {
        workers = std::max<std::size_t>(1, *facts.pids.cgroup_limit / 4);
        reason += ", capped by pids.max " + std::to_string(*facts.pids.cgroup_limit);
    }
    config.workers = workers;
    config.execution_model =
        workers <= 1 ? core::ExecutionModel::blocking : core::ExecutionModel::thread_pool;
    bool uring = facts.io_uring.usable && options.io_uring_compiled_in;
    config.io_backend = uring ? core::IoBackend::io_uring : core::IoBackend::epoll;
    reason += uring ? "; io_uring usable"
                    : (options.io_uring_compiled_in ? "; io_uring not usable" : "; built without io_uring");
    rec.execution_model = config.execution_model;
    rec.io_backend = config.io_backend;
    rec.threads = workers;
    rec.reason = reason;
    rec.findings = config.validate();
    return rec;
}

util::Result<void> validate_check_ids(const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
        bool known = std::any_of(definitions().begin(), definitions().end(),
                                 [&](const CheckDef& d) { return d.info.id == id; });
        if (!known) {
            std::vector<std::string> valid;
            for (const auto& d : definitions()) {
                valid.emplace_back(d.info.id);
            }
            return util::fail(util::ErrorKind::invalid_input,
                              "unknown check '" + util::sanitize_for_display(id) + "'",
                              "valid checks: " + util::join(valid, ", "));
        }
    }
    return util::ok();
}

util::Result<Report> run_doctor(HostFacts facts, const DoctorOptions& options) {
    if (auto valid = validate_check_ids(options.only); !valid) {
        return util::fail(valid.error());
    }
    auto start = std::chrono::steady_clock::now();
    Report report;
    report.facts = std::move(facts);
    report.package_managers = options.package_managers;
    report.recommendation = recommend(report.facts, options);
    CheckInput input{report.facts, options, report.recommendation};
    for (const auto& def : definitions()) {
        if (!options.only.empty() &&
            std::find(options.only.begin(), options.only.end(), def.info.id) == options.only.end()) {
            continue;
        }
        CheckResult result;
        result.id = std::string(def.info.id);
        result.category = std::string(def.info.category);
        auto check_start = std::chrono::steady_clock::now();
        try {
            def.run(input, result);
        } catch (const std::exception& e) {
            result.status = Status::fail;
            result.summary = std::string("the check itself failed: ") + e.what();
            result.fix = "please report this with `zsyncctl doctor -v --json`";
        } catch (...) {
            result.status = Status::fail;
            result.summary = "the check itself failed with an unknown exception";
            result.fix = "please report this with `zsyncctl doctor -v --json`";
        }
        result.duration_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - check_start).count();
        report.checks.push_back(std::move(result));
    }
    report.duration_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return report;
}

} // namespace zsyncctl::doctor
