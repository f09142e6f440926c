#include "platform/host.hpp"

#include <cstdlib>
#include <sys/utsname.h>

#include "util/strings.hpp"

namespace zsyncctl::platform {

namespace {
#if defined(__x86_64__)
constexpr const char* k_build_arch = "x86_64";
#elif defined(__aarch64__)
constexpr const char* k_build_arch = "arm64";
#elif defined(__i386__)
constexpr const char* k_build_arch = "x86";
#elif defined(__arm__)
constexpr const char* k_build_arch = "arm";
#elif defined(__riscv) && __riscv_xlen == 64
constexpr const char* k_build_arch = "riscv64";
#else
constexpr const char* k_build_arch = "unknown";
#endif

#if defined(__linux__)
constexpr const char* k_build_os = "linux";
#elif defined(__APPLE__)
constexpr const char* k_build_os = "macos";
#elif defined(_WIN32)
constexpr const char* k_build_os = "windows";
#elif defined(__FreeBSD__)
constexpr const char* k_build_os = "freebsd";
#else
constexpr const char* k_build_os = "unknown";
#endif
} // namespace

std::string normalize_arch(std::string_view arch) {
    std::string a = util::to_lower(util::trim(arch));
    if (a == "amd64" || a == "x64" || a == "x86-64") {
        return "x86_64";
    }
    if (a == "aarch64" || a == "arm64e") {
        return "arm64";
    }
    if (a == "i386" || a == "i486" || a == "i586" || a == "i686") {
        return "x86";
    }
    return a;
}

std::string normalize_os(std::string_view os) {
    std::string o = util::to_lower(util::trim(os));
    if (o == "darwin" || o == "macosx" || o == "osx" || o == "mac") {
        return "macos";
    }
    if (o == "win32" || o == "win64" || o == "win") {
        return "windows";
    }
    return o;
}

bool is_known_os(std::string_view os) {
    for (std::string_view known : {"linux", "macos", "windows", "freebsd", "openbsd", "netbsd"}) {
        if (os == known) {
            return true;
        }
    }
    return false;
}

bool is_known_arch(std::string_view arch) {
    for (std::string_view known :
         {"x86_64", "arm64", "x86", "arm", "riscv64", "ppc64le", "s390x", "loongarch64"}) {
        if (arch == known) {
            return true;
        }
    }
    return false;
}

HostIdentity host_identity() {
    HostIdentity id;
    id.os = k_build_os;
    id.arch = k_build_arch;
    struct utsname u {};
    id.kernel_arch = ::uname(&u) == 0 ? normalize_arch(u.machine) : id.arch;
    if (const char* os = std::getenv("ZSYNCCTL_OS"); os != nullptr && os[0] != '\0') {
        id.os = normalize_os(os);
        id.os_overridden = true;
    }
    if (const char* arch = std::getenv("ZSYNCCTL_ARCH"); arch != nullptr && arch[0] != '\0') {
        id.arch = normalize_arch(arch);
        id.kernel_arch = id.arch;
        id.arch_overridden = true;
    }
    return id;
}

} // namespace zsyncctl::platform
