#include "platform/libc.hpp"

#include <array>
#include <filesystem>

#if defined(__GLIBC__)
#include <gnu/libc-version.h>
#endif

#include "util/strings.hpp"

namespace zsyncctl::platform {

std::string glibc_version_from_banner(std::string_view bytes) {
    constexpr std::string_view k_marker = "release version ";
    auto at = bytes.find("GNU C Library");
    while (at != std::string_view::npos) {
        auto end = bytes.find('\0', at);
        std::string_view banner = bytes.substr(at, end == std::string_view::npos ? 200 : end - at);
        if (auto v = banner.find(k_marker); v != std::string_view::npos) {
            std::string version;
            for (char c : banner.substr(v + k_marker.size())) {
                if ((c >= '0' && c <= '9') || c == '.') {
                    version.push_back(c);
                } else {
                    break;
                }
            }
            while (!version.empty() && version.back() == '.') {
                version.pop_back();
            }
            if (!version.empty()) {
                return version;
            }
        }
        at = bytes.find("GNU C Library", at + 1);
    }
    return {};
}

namespace {

constexpr std::array<const char*, 4> k_lib_dirs{"/lib", "/usr/lib", "/lib64", "/usr/lib64"};

std::string find_musl_loader(const util::Root& root) {
    for (const char* dir : k_lib_dirs) {
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(root.resolve(dir), ec)) {
            std::string name = entry.path().filename().string();
            if (name.starts_with("ld-musl-") && name.ends_with(".so.1")) {
                return std::string(dir) + "/" + name;
            }
        }
    }
    return {};
}

std::string find_glibc(const util::Root& root) {
    std::vector<std::string> candidates;
    for (const char* dir : k_lib_dirs) {
        candidates.push_back(std::string(dir) + "/libc.so.6");
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(root.resolve(dir), ec)) {
            std::string name = entry.path().filename().string();
            if (name.ends_with("-linux-gnu") || name.ends_with("-linux-gnueabihf")) {
                candidates.push_back(std::string(dir) + "/" + name + "/libc.so.6");
            }
        }
    }
    for (const auto& path : candidates) {
        if (root.exists(path)) {
            return path;
        }
    }
    return {};
}

} // namespace

LibcInfo read_libc(const util::Root& root) {
    LibcInfo info;
#if defined(__GLIBC__)
    if (root.is_host()) {
        info.name = "glibc";
        info.version = ::gnu_get_libc_version();
        info.source = "gnu_get_libc_version";
        return info;
    }
#endif
    if (std::string loader = find_musl_loader(root); !loader.empty()) {
        info.name = "musl";
        info.source = loader;
        return info;
    }
    if (std::string libc = find_glibc(root); !libc.empty()) {
        info.name = "glibc";
        info.source = libc;
        if (auto bytes = root.read(libc, 8u << 20)) {
            info.version = glibc_version_from_banner(*bytes);
        }
    }
    return info;
}

} // namespace zsyncctl::platform
