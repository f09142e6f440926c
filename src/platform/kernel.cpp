#include "platform/kernel.hpp"

#include <sys/utsname.h>

#include "util/strings.hpp"

namespace zsyncctl::platform {

std::optional<KernelVersion> parse_kernel_version(std::string_view release) {
    release = util::trim(release);
    unsigned parts[3] = {0, 0, 0};
    int index = 0;
    bool digits = false;
    for (char c : release) {
        if (c >= '0' && c <= '9') {
            if (parts[index] > 100000) {
                return std::nullopt;
            }
            parts[index] = parts[index] * 10 + static_cast<unsigned>(c - '0');
            digits = true;
        } else if (c == '.' && digits && index < 2) {
            ++index;
            digits = false;
        } else {
            break;
        }
    }
    if (index == 0 || (index == 1 && !digits)) {
        return std::nullopt;
    }
    return KernelVersion{parts[0], parts[1], parts[2]};
}

std::string to_string(const KernelVersion& version) {
    return std::to_string(version.major) + "." + std::to_string(version.minor) + "." +
           std::to_string(version.patch);
}

KernelInfo read_kernel(const util::Root& root) {
    KernelInfo info;
    if (auto text = root.read("/proc/sys/kernel/osrelease", 4096)) {
        info.release = std::string(util::trim(*text));
        info.source = "/proc/sys/kernel/osrelease";
    }
    if (info.release.empty() && root.is_host()) {
        struct utsname u {};
        if (::uname(&u) == 0) {
            info.release = u.release;
            info.source = "uname";
        }
    }
    info.release = util::sanitize_for_display(info.release);
    info.version = parse_kernel_version(info.release);
    if (auto text = root.read("/proc/sys/kernel/version", 4096)) {
        info.version_text = util::sanitize_for_display(util::trim(*text));
    }
    if (auto text = root.read("/proc/version", 4096)) {
        info.proc_version = util::sanitize_for_display(util::trim(*text));
    }
    return info;
}

} // namespace zsyncctl::platform
