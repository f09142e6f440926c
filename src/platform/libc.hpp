#pragma once

#include <string>
#include <string_view>

#include "util/root.hpp"

namespace zsyncctl::platform {

/// The C library of the root's userland. Plain data.
struct LibcInfo {
    std::string name;    // "glibc", "musl", or empty when unknown
    std::string version; // "2.36"; empty when unknown
    std::string source;  // where it was found ("gnu_get_libc_version", "/lib/ld-musl-x86_64.so.1", ...)
};

/// Extracts the version from a glibc banner ("... release version 2.36."); empty when absent.
std::string glibc_version_from_banner(std::string_view bytes);

/// Detects the libc: for the host, the glibc this process runs on (gnu_get_libc_version) or musl's
/// loader; inside another root, musl's loader (/lib/ld-musl-*.so.1) or a libc.so.6 whose banner names
/// the glibc version. Reads only; never runs the loader.
LibcInfo read_libc(const util::Root& root);

} // namespace zsyncctl::platform
