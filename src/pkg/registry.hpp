#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace zsyncctl::pkg {

/// What a manager manages: the OS itself, one language's libraries and tools, desktop/CLI apps, or
/// toolchain versions.
enum class ManagerKind { system, language, app, version_manager };

/// Stable lowercase name of a kind ("version-manager"); never fails.
std::string_view to_string(ManagerKind kind);

/// Operating systems an entry applies to (a bit set; names follow platform::normalize_os).
enum Platform : std::uint32_t {
    linux_os = 1u << 0,
    macos = 1u << 1,
    windows = 1u << 2,
    freebsd = 1u << 3,
    openbsd = 1u << 4,
    netbsd = 1u << 5,
    bsd = freebsd | openbsd | netbsd,
    unix_like = linux_os | macos | bsd,
    any_os = unix_like | windows,
};

/// The platform bit for an OS name from platform::host_identity() ("linux", "macos", ...); 0 when unknown.
std::uint32_t platform_bit(std::string_view os);

/// Names of the platforms in `mask`, in a fixed order ("linux", "macos", ...).
std::vector<std::string_view> platform_names(std::uint32_t mask);

/// Who may install with a manager.
enum class InstallPrivilege {
    root,  // system-wide: needs root (sudo)
    user,  // the invoking user; never run it as root (Homebrew refuses)
    polkit // asks for privileges by itself (flatpak system installs)
};

/// One manager in the registry: everything about it that is a fact, not a run-time finding.
///
/// String fields that name paths are templates, expanded by detection:
///   {home}         $HOME (the logical value; the root applies when the path is read)
///   {env:NAME}     the environment variable NAME; a template whose variable is unset or empty is skipped
///   {prefix}       the manager's prefix as resolved by detection
///   {multiarch}    the Debian multiarch triplet for the arch ("x86_64-linux-gnu")
/// Windows locations are written drive-less ("/ProgramData/chocolatey"), resolved against the root.
///
/// New per-manager facts (search argv, parser id, install argv, progress style) are added as fields with
/// default values below, and set with designated initializers in registry.cpp: the table is the single
/// source of truth for what the program knows about a manager.
struct Manager {
    std::string_view id{};           // lowercase, stable: "homebrew", "apt", ...
    std::string_view display_name{}; // "Homebrew", "APT", ...
    ManagerKind kind = ManagerKind::system;
    std::uint32_t platforms = Platform::any_os;

    /// Executable names looked up on PATH, in preference order (on Windows .exe/.cmd/.bat are tried too).
    std::vector<std::string_view> executables{};
    /// Absolute locations (templates) of the executable, tried after PATH.
    std::vector<std::string_view> well_known{};
    /// Database and marker files or directories (templates) whose presence backs the detection.
    std::vector<std::string_view> markers{};
    /// True for managers that are shell functions (sdkman, nvm): a marker alone detects them.
    bool detected_by_marker = false;

    InstallPrivilege install_privilege = InstallPrivilege::root;
    /// Managers with the same non-empty lock group take one lock and must never run at the same time.
    std::string_view lock_group{};

    /// Prefix candidates (templates); the first that expands and exists wins. Empty: the parent of the
    /// directory holding the executable found (/usr/bin/npm -> /usr).
    std::vector<std::string_view> prefix{};
    std::vector<std::string_view> bin{};
    std::vector<std::string_view> lib{};
    std::vector<std::string_view> include{};
    std::vector<std::string_view> pkg_config{};

    /// argv of the version command; "{exe}" is the executable found. Empty: no version command.
    std::vector<std::string_view> version_argv{};
    /// A file (template) holding the version, for managers without a version command (sdkman).
    std::string_view version_file{};
};

/// The whole registry, in a fixed order (system, app, language, version managers). Never fails.
std::span<const Manager> registry();

/// The entry with this id, or nullptr.
const Manager* find_manager(std::string_view id);

/// Every id in registry order (for completions and error messages).
std::vector<std::string_view> manager_ids();

/// True when `id` is a well-formed registry id: lowercase letters, digits and '-', starting with a letter.
bool is_valid_manager_id(std::string_view id);

/// A fingerprint of the table's contents (ids, executables, locations, templates), so caches built by
/// another version of the table are not reused.
std::uint64_t registry_fingerprint();

} // namespace zsyncctl::pkg
