#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/root.hpp"

namespace zsyncctl::platform {

/// A kernel version triple parsed from a release string. Plain data.
struct KernelVersion {
    unsigned major = 0;
    unsigned minor = 0;
    unsigned patch = 0;

    friend auto operator<=>(const KernelVersion&, const KernelVersion&) = default;
};

/// The running kernel (or the root's, read from its /proc). Plain data.
struct KernelInfo {
    std::string release;                  // "6.1.0-18-amd64"; empty when unknown
    std::optional<KernelVersion> version; // parsed from `release`
    std::string version_text;             // /proc/sys/kernel/version ("#1 SMP PREEMPT_DYNAMIC ...")
    std::string proc_version;             // /proc/version (gVisor shows a fixed date there)
    std::string source;                   // "/proc/sys/kernel/osrelease" or "uname"
};

/// Parses the leading "X.Y[.Z]" of a release like "5.14.0-362.el9.x86_64"; nullopt without X.Y.
std::optional<KernelVersion> parse_kernel_version(std::string_view release);

/// "X.Y.Z".
std::string to_string(const KernelVersion& version);

/// Reads /proc/sys/kernel/osrelease through `root`, falling back to uname() only for the host root.
KernelInfo read_kernel(const util::Root& root);

} // namespace zsyncctl::platform
