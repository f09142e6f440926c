#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

namespace zsyncctl::util {

/// The one seam through which every read of /etc, /proc, /sys, /usr, /opt, /var, /run and $HOME goes.
/// The host root is "/"; `--root DIR` (or env ZSYNCCTL_ROOT) makes every absolute path resolve inside DIR,
/// so tests and `--root /mnt/image` read fixture trees. Immutable; safe to share between threads.
class Root {
public:
    /// The host root "/".
    Root() = default;
    /// A root at `dir` (made absolute); "/" or an empty path means the host.
    explicit Root(std::filesystem::path dir);

    /// The root named by `option` if given, else env ZSYNCCTL_ROOT, else the host.
    static Root from_option_or_env(const std::optional<std::string>& option);

    /// True when this is the host root "/" (no redirection).
    bool is_host() const { return m_dir.empty(); }
    /// The root directory ("/" for the host).
    std::filesystem::path dir() const { return is_host() ? std::filesystem::path("/") : m_dir; }

    /// Maps an absolute path ("/etc/os-release") into the root; relative paths are returned unchanged.
    std::filesystem::path resolve(std::string_view absolute) const;

    /// Reads a file inside the root (see util::read_file for errors).
    Result<std::string> read(std::string_view absolute, std::size_t max_bytes = 16u << 20) const;

    /// True when the path exists inside the root (following symlinks).
    bool exists(std::string_view absolute) const;

    /// $HOME as seen inside this root (the env value resolved into it); nullopt when HOME is unset.
    std::optional<std::filesystem::path> home() const;

private:
    std::filesystem::path m_dir; // empty for the host
};

} // namespace zsyncctl::util
