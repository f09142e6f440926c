#pragma once

#include <string_view>

namespace zsyncctl::cli {

/// Facts fixed at build time, for --version and `zsyncctl version`.
struct BuildInfo {
    std::string_view version;
    std::string_view git_revision; // "unknown" outside a git checkout
    std::string_view compiler;
    std::string_view build_type;
    bool io_uring; // liburing support compiled in
};

/// The facts of this binary.
const BuildInfo& build_info();

} // namespace zsyncctl::cli
