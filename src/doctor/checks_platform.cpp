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

void check_arch(const CheckInput& in, CheckResult& r) {
    const auto& id = in.facts.identity;
    ev(r, "binary arch", id.arch);
    ev(r, "kernel arch", id.kernel_arch);
    if (id.arch_overridden) {
        set(r, Status::skip,
            "ZSYNCCTL_ARCH=" + id.arch + " stands for both the binary and the kernel: no emulation to check");
    } else if (id.arch == "unknown" || id.kernel_arch.empty()) {
        set(r, Status::skip, "the architecture is unknown");
    } else if (id.arch != id.kernel_arch && !(id.arch == "x86" && id.kernel_arch == "x86_64")) {
        set(r, Status::warn,
            "zsyncctl (" + id.arch + ") runs emulated on the kernel's " + id.kernel_arch +
                ": slower, and io_uring may be missing",
            "install the " + id.kernel_arch + " build of zsyncctl");
    } else {
        set(r, Status::ok, "native " + id.arch + " binary, " + id.kernel_arch + " kernel");
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

} // namespace zsyncctl::doctor::detail
