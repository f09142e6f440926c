#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "pkg/registry/registry.hpp"

// The registry's table, split by manager kind (registry_<kind>.cpp); registry.cpp joins the parts in order.
// Internal to pkg/registry.

namespace zsyncctl::pkg::registry_parts {

using K = ManagerKind;
using P = InstallPrivilege;

// Debian multiarch and the FHS defaults shared by the distribution managers.
inline const std::vector<std::string_view> k_deb_lib{"/usr/lib/{multiarch}", "/usr/lib"};
inline const std::vector<std::string_view> k_deb_pc{"/usr/lib/{multiarch}/pkgconfig", "/usr/lib/pkgconfig",
                                                    "/usr/share/pkgconfig"};
inline const std::vector<std::string_view> k_rpm_lib{"/usr/lib64", "/usr/lib"};
inline const std::vector<std::string_view> k_rpm_pc{"/usr/lib64/pkgconfig", "/usr/lib/pkgconfig",
                                                    "/usr/share/pkgconfig"};
inline const std::vector<std::string_view> k_usr_bin{"/usr/bin", "/usr/sbin"};
inline const std::vector<std::string_view> k_usr_lib{"/usr/lib"};
inline const std::vector<std::string_view> k_usr_include{"/usr/include"};
inline const std::vector<std::string_view> k_usr_pc{"/usr/lib/pkgconfig", "/usr/share/pkgconfig"};
inline const std::vector<std::string_view> k_prefix_bin{"{prefix}/bin"};
inline const std::vector<std::string_view> k_prefix_lib{"{prefix}/lib"};
inline const std::vector<std::string_view> k_prefix_include{"{prefix}/include"};
inline const std::vector<std::string_view> k_prefix_pc{"{prefix}/lib/pkgconfig", "{prefix}/share/pkgconfig"};

// Search commands and their non-interactive flags follow each tool's documentation and the command lines
// mpm (kdeldycke/meta-package-manager) runs; see ../shared/reference/managers.md. Shared by several entries:
// dnf and yum are one CLI and take dnf's metadata lock while searching.
inline const SearchFacts k_dnf_search{
    .method = SearchMethod::command,
    .argv = {"{exe}", "--quiet", "--assumeno", "search", "{query}"},
    .parser = "dnf",
    .lock_group = "rpmdb",
    .no_match_exit_codes = {1},
    .repositories_argv = {"{exe}", "--quiet", "repolist", "--enabled"},
    // dnf.conf(5): reposdir defaults to these three; dnf5 adds /usr/share/dnf5/repos.d and reads drop-ins
    // that may move it. yum 3 reads /etc/yum.conf (a link to dnf.conf where yum is dnf): both are read.
    .repository_config =
        {
            .config_files = {"/etc/dnf/dnf.conf", "/etc/yum.conf"},
            .main_section = "main",
            .config_sections_are_repositories = true,
            .dirs_key = "reposdir",
            .dirs = {"/etc/yum.repos.d", "/etc/yum/repos.d", "/etc/distro.repos.d",
                     "/usr/share/dnf5/repos.d"},
            .file_suffix = ".repo",
            .enabled_key = "enabled",
            .unknown_keys = {"installroot"},
            .dropin_dirs = {"/etc/dnf/libdnf5.conf.d", "/usr/share/dnf5/libdnf.conf.d"},
        },
};
// AUR helpers answer -Ss like pacman.
inline const SearchFacts k_aur_helper_search{
    .method = SearchMethod::command,
    .argv = {"{exe}", "--color", "never", "-Ss", "{query}"},
    .parser = "pacman-ss",
    .no_match_exit_codes = {1},
};
inline const SearchFacts k_pypi_search{
    .method = SearchMethod::unsupported,
    .reason = "PyPI has no search API since 2020 (pypa/pip#5216)",
};

/// One entry of the table: its id, and the function that builds the entry with that id. An entry is built
/// only when something asks for it (registry.cpp): `pkg managers` and doctor read a cached detection and
/// build just the managers it names, not the whole table (~30 fewer heap pages touched at start-up).
struct RegistryEntry {
    std::string_view id;
    Manager (*build)(std::string_view id);
};

/// The Linux distributions' managers (and nix, guix), in table order. Never fails.
std::span<const RegistryEntry> system_managers();
/// Homebrew, MacPorts, FreeBSD's pkg and Chocolatey, in table order. Never fails.
std::span<const RegistryEntry> os_managers();
/// The app managers (snap, flatpak, mas, scoop, winget). Never fails.
std::span<const RegistryEntry> app_managers();
/// The language package managers. Never fails.
std::span<const RegistryEntry> language_managers();
/// The toolchain version managers. Never fails.
std::span<const RegistryEntry> version_managers();

} // namespace zsyncctl::pkg::registry_parts
