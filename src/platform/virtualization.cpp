#include "platform/virtualization.hpp"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "platform/proc_status.hpp"
#include "util/strings.hpp"

namespace zsyncctl::platform {

std::optional<int> wsl_from_release(std::string_view release) {
    if (release.find("Microsoft") != std::string_view::npos) {
        return 1; // WSL1 releases look like "4.4.0-19041-Microsoft"
    }
    if (release.find("microsoft-standard") != std::string_view::npos ||
        release.find("WSL2") != std::string_view::npos || release.find("WSL") != std::string_view::npos) {
        return 2; // "5.15.153.1-microsoft-standard-WSL2"
    }
    return std::nullopt;
}

std::optional<std::string> container_from_cgroup(std::string_view text) {
    if (text.find("kubepods") != std::string_view::npos) {
        return "kubernetes";
    }
    if (text.find("/libpod-") != std::string_view::npos || text.find("/machine.slice/libpod") != text.npos) {
        return "podman";
    }
    if (text.find("/docker/") != std::string_view::npos || text.find("/docker-") != std::string_view::npos) {
        return "docker";
    }
    if (text.find("/lxc/") != std::string_view::npos || text.find("/lxc.payload") != text.npos) {
        return "lxc";
    }
    return std::nullopt;
}

std::optional<std::string> vm_from_dmi(std::string_view sys_vendor, std::string_view product_name,
                                       std::string_view bios_vendor) {
    struct Entry {
        const char* needle;
        const char* name;
    };
    static constexpr Entry k_table[] = {
        {"KVM", "kvm"},
        {"Amazon EC2", "amazon"},
        {"QEMU", "qemu"},
        {"VMware", "vmware"},
        {"VMW", "vmware"},
        {"innotek GmbH", "oracle"},
        {"VirtualBox", "oracle"},
        {"Oracle Corporation", "oracle"},
        {"Xen", "xen"},
        {"Bochs", "bochs"},
        {"Parallels", "parallels"},
        {"BHYVE", "bhyve"},
        {"Hyper-V", "microsoft"},
        {"Apple Virtualization", "apple"},
        {"Google Compute Engine", "google"},
    };
    for (std::string_view value : {sys_vendor, product_name, bios_vendor}) {
        for (const auto& e : k_table) {
            if (value.find(e.needle) != std::string_view::npos) {
                return std::string(e.name);
            }
        }
    }
    if (sys_vendor.find("Microsoft Corporation") != std::string_view::npos &&
        product_name.find("Virtual Machine") != std::string_view::npos) {
        return "microsoft";
    }
    return std::nullopt;
}

namespace {

std::string read_trimmed(const util::Root& root, const std::string& path) {
    auto text = root.read(path, 4096);
    return text ? util::sanitize_for_display(util::trim(*text)) : std::string();
}

std::optional<std::string> vm_from_cpuid() {
#if defined(__x86_64__) || defined(__i386__)
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0 || (ecx & (1u << 31)) == 0) {
        return std::nullopt;
    }
    __cpuid(0x40000000, eax, ebx, ecx, edx);
    char sig[13] = {};
    std::memcpy(sig, &ebx, 4);
    std::memcpy(sig + 4, &ecx, 4);
    std::memcpy(sig + 8, &edx, 4);
    std::string_view s(sig);
    if (s == "KVMKVMKVM") {
        return "kvm";
    }
    if (s == "Microsoft Hv") {
        return "microsoft";
    }
    if (s == "VMwareVMware") {
        return "vmware";
    }
    if (s == "XenVMMXenVMM") {
        return "xen";
    }
    if (s == "TCGTCGTCGTCG") {
        return "qemu";
    }
    if (s == "VBoxVBoxVBox") {
        return "oracle";
    }
    if (s == "ACRNACRNACRN") {
        return "acrn";
    }
    return "vm-other";
#else
    return std::nullopt;
#endif
}

void set_container(VirtualizationFacts& v, std::string name, std::string source) {
    if (!v.container) {
        v.container = std::move(name);
        v.container_source = std::move(source);
    }
}

// systemd's names for the values of container= / /run/systemd/container.
std::string normalise_container(std::string_view value) {
    std::string v = util::to_lower(util::trim(value));
    if (v == "oci") {
        return "docker";
    }
    if (v == "lxc-libvirt") {
        return "lxc";
    }
    return v;
}

} // namespace

VirtualizationFacts read_virtualization(const util::Root& root, std::string_view kernel_release,
                                        std::string_view proc_version) {
    VirtualizationFacts v;
    if (root.exists("/proc/vz") && !root.exists("/proc/bc")) {
        set_container(v, "openvz", "/proc/vz");
    }
    // systemd calls WSL a container; we report it in its own field (WSL2 is really a VM).
    v.wsl = wsl_from_release(kernel_release);
    if (auto text = root.read("/proc/self/status", 65536)) {
        auto tracer = platform::parse_proc_status(*text).tracer_pid;
        if (tracer && *tracer != 0 &&
            read_trimmed(root, "/proc/" + std::to_string(*tracer) + "/comm") == "proot") {
            set_container(v, "proot", "TracerPid comm");
        }
    }
    if (std::string m = read_trimmed(root, "/run/host/container-manager"); !m.empty()) {
        set_container(v, normalise_container(m), "/run/host/container-manager");
    }
    if (std::string m = read_trimmed(root, "/run/systemd/container"); !m.empty()) {
        set_container(v, normalise_container(m), "/run/systemd/container");
    }
    if (!v.container) {
        if (auto environ = root.read("/proc/1/environ", 65536)) {
            for (std::string_view entry : util::split(*environ, '\0')) {
                if (entry.starts_with("container=") && entry.size() > 10) {
                    set_container(v, normalise_container(entry.substr(10)), "/proc/1/environ");
                }
            }
        }
    }
    if (root.exists("/run/.containerenv")) {
        set_container(v, "podman", "/run/.containerenv");
    }
    const char* k8s = std::getenv("KUBERNETES_SERVICE_HOST");
    if (root.is_host() && k8s != nullptr && k8s[0] != '\0') {
        set_container(v, "kubernetes", "KUBERNETES_SERVICE_HOST");
    }
    if (auto cgroup = root.read("/proc/self/cgroup", 65536)) {
        if (auto name = container_from_cgroup(*cgroup); name && *name == "kubernetes") {
            set_container(v, *name, "/proc/self/cgroup");
        }
    }
    if (root.exists("/.dockerenv")) {
        set_container(v, "docker", "/.dockerenv");
    }
    if (auto cgroup = root.read("/proc/self/cgroup", 65536)) {
        if (auto name = container_from_cgroup(*cgroup)) {
            set_container(v, *name, "/proc/self/cgroup");
        }
    }
    // gVisor fakes the kernel; /proc/version carries a fixed 2016 build date.
    if (proc_version.find("Sun Jan 10 15:06:54 PST 2016") != std::string_view::npos ||
        kernel_release.find("gvisor") != std::string_view::npos) {
        v.gvisor = true;
        set_container(v, "gvisor", "/proc/version");
    }
    std::string vendor = read_trimmed(root, "/sys/class/dmi/id/sys_vendor");
    std::string product = read_trimmed(root, "/sys/class/dmi/id/product_name");
    std::string bios = read_trimmed(root, "/sys/class/dmi/id/bios_vendor");
    if (auto vm = vm_from_dmi(vendor, product, bios)) {
        v.vm = vm;
        v.vm_source = "/sys/class/dmi/id";
    } else if (std::string type = read_trimmed(root, "/sys/hypervisor/type"); type == "xen") {
        v.vm = "xen";
        v.vm_source = "/sys/hypervisor/type";
    } else if (root.is_host() && !v.gvisor) {
        if (auto cpu_vm = vm_from_cpuid()) {
            v.vm = cpu_vm;
            v.vm_source = "cpuid";
        }
    }
    return v;
}

} // namespace zsyncctl::platform
