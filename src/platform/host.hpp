#pragma once

#include <string>

namespace zsyncctl::platform {

/// Which OS and CPU this process runs as, after the test overrides. Plain data.
struct HostIdentity {
    std::string os;   // "linux", "macos", "windows", "freebsd", ... (ZSYNCCTL_OS overrides)
    std::string arch; // the binary's arch, normalised: "x86_64", "arm64", ... (ZSYNCCTL_ARCH overrides)
    std::string kernel_arch; // uname's machine, normalised; equals `arch` when overridden
    bool os_overridden = false;
    bool arch_overridden = false;
};

/// Normalises arch spellings: amd64/x64 -> x86_64, aarch64 -> arm64, i386/i686 -> x86; others unchanged.
std::string normalize_arch(std::string_view arch);

/// True for a normalised OS name zsyncctl knows: linux, macos, windows, freebsd, openbsd, netbsd.
bool is_known_os(std::string_view os);

/// True for a normalised arch name zsyncctl knows: x86_64, arm64, x86, arm, riscv64, ppc64le, s390x,
/// loongarch64.
bool is_known_arch(std::string_view arch);

/// Normalises OS spellings: darwin/macosx/osx -> macos, win32 -> windows; lower-cases; others unchanged.
std::string normalize_os(std::string_view os);

/// The host identity: compile-time OS and arch, the kernel's arch from uname, then env ZSYNCCTL_OS and
/// ZSYNCCTL_ARCH (normalised) when set. Never fails.
HostIdentity host_identity();

} // namespace zsyncctl::platform
