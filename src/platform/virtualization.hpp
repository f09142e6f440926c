#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/root.hpp"

namespace zsyncctl::platform {

/// Container / VM / WSL detection in systemd-detect-virt's order, done in-process. Plain data.
struct VirtualizationFacts {
    std::optional<std::string> container; // "docker", "podman", "kubernetes", "lxc", "systemd-nspawn", ...
    std::string container_source;         // the marker that decided it ("/.dockerenv", ...)
    std::optional<int> wsl;               // 1 or 2
    bool gvisor = false;                  // gVisor's fake kernel markers
    std::optional<std::string> vm;        // "kvm", "qemu", "vmware", "microsoft", "xen", "oracle", ...
    std::string vm_source;
};

/// WSL version from a kernel release: "-Microsoft" (WSL1) -> 1, "microsoft-standard"/"WSL2" -> 2.
std::optional<int> wsl_from_release(std::string_view release);

/// Container name from the /proc/self/cgroup text heuristics (kubepods, docker, lxc, libpod).
std::optional<std::string> container_from_cgroup(std::string_view cgroup_text);

/// VM name from DMI sys_vendor / product_name / bios_vendor values; nullopt when they name no hypervisor.
std::optional<std::string> vm_from_dmi(std::string_view sys_vendor, std::string_view product_name,
                                       std::string_view bios_vendor);

/// Detects through `root`: OpenVZ, WSL (from `kernel_release`), proot, /run/host/container-manager,
/// /run/systemd/container, container= in /proc/1/environ, /run/.containerenv, /.dockerenv (last: it leaks
/// into images), then cgroup path heuristics and KUBERNETES_SERVICE_HOST; gVisor from /proc/version; VMs
/// from DMI, /sys/hypervisor/type and (host root only) the CPUID hypervisor leaf.
VirtualizationFacts read_virtualization(const util::Root& root, std::string_view kernel_release,
                                        std::string_view proc_version);

} // namespace zsyncctl::platform
