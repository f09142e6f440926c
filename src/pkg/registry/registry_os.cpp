#include "pkg/registry/registry_parts.hpp"

namespace zsyncctl::pkg::registry_parts {

// Homebrew, MacPorts, FreeBSD's pkg and Chocolatey: the whole-OS managers of the other platforms, after
// the Linux distributions' in the table.
std::span<const RegistryEntry> os_managers() {
    static const RegistryEntry k_entries[] = {
        {"homebrew",
         [](std::string_view id) {
             return Manager{
                 // Detection of Homebrew is special (several prefixes, one entry each): see homebrew.cpp.
                 .id = id,
                 .display_name = "Homebrew",
                 .platforms = Platform::linux_os | Platform::macos,
                 .executables = {"brew"},
                 .well_known = {"{env:HOMEBREW_PREFIX}/bin/brew", "/opt/homebrew/bin/brew",
                                "/usr/local/bin/brew", "/home/linuxbrew/.linuxbrew/bin/brew",
                                "{home}/.linuxbrew/bin/brew"},
                 .markers = {"{prefix}/Cellar", "{prefix}/Caskroom"},
                 .detection = DetectionStyle::per_prefix,
                 .install_privilege = P::user, // brew refuses to run as root
                 .lock_group = "homebrew",
                 .bin = {"{prefix}/bin", "{prefix}/sbin"},
                 .lib = k_prefix_lib,
                 .include = k_prefix_include,
                 .pkg_config = k_prefix_pc,
                 .keg_only_paths = true,
                 .version_argv = {"{exe}", "--version"},
                 .search = {.method = SearchMethod::native_homebrew},
                 .install =
                     {
                         .install_prefix = {"brew", "install"},
                         .remove_prefix = {"brew", "uninstall"},
                         .refuses_root = true,
                         .progress = ProgressStyle::brew_steps,
                         .env = {{"HOMEBREW_NO_AUTO_UPDATE", "1"},
                                 {"HOMEBREW_NO_ANALYTICS", "1"},
                                 {"HOMEBREW_NO_ENV_HINTS", "1"}},
                     },
                 .inventory = {.method = InventoryMethod::native_homebrew},
             };
         }},
        {"macports",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "MacPorts",
                 .platforms = Platform::macos,
                 .executables = {"port"},
                 .well_known = {"/opt/local/bin/port"},
                 .markers = {"/opt/local/var/macports/registry/registry.db"},
                 .lock_group = "macports-registry",
                 .prefix = {"/opt/local"},
                 .bin = {"{prefix}/bin", "{prefix}/sbin"},
                 .lib = k_prefix_lib,
                 .include = k_prefix_include,
                 .pkg_config = {"{prefix}/lib/pkgconfig", "{prefix}/share/pkgconfig"},
                 .version_argv = {"{exe}", "version"},
                 .search =
                     {
                         .method = SearchMethod::command,
                         .argv = {"{exe}", "-N", "search", "{query}"},
                         .parser = "macports",
                         .no_match_exit_codes = {1},
                     },
                 .install =
                     {
                         .install_prefix = {"port", "-N", "install"},
                         .remove_prefix = {"port", "-N", "uninstall"},
                     },
             };
         }},
        {"pkg",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "pkg (FreeBSD)",
                 .platforms = Platform::freebsd,
                 .executables = {"pkg"},
                 .well_known = {"/usr/sbin/pkg"},
                 .markers = {"/var/db/pkg/local.sqlite"},
                 .lock_group = "pkg-db",
                 .prefix = {"/usr/local"},
                 .bin = {"{prefix}/bin", "{prefix}/sbin"},
                 .lib = k_prefix_lib,
                 .include = k_prefix_include,
                 .pkg_config = {"{prefix}/libdata/pkgconfig"},
                 .version_argv = {"{exe}", "--version"},
                 .search =
                     {
                         .method = SearchMethod::command,
                         .argv = {"{exe}", "search", "{query}"},
                         .parser = "freebsd-pkg",
                         .no_match_exit_codes = {1},
                     },
                 .install =
                     {
                         .install_prefix = {"pkg", "install", "-y"},
                         .remove_prefix = {"pkg", "delete", "-y"},
                         .progress = ProgressStyle::counted_steps,
                     },
             };
         }},
        {"chocolatey",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "Chocolatey",
                 .platforms = Platform::windows,
                 .executables = {"choco"},
                 .well_known = {"{env:ChocolateyInstall}/bin/choco.exe",
                                "/ProgramData/chocolatey/bin/choco.exe"},
                 .markers = {"{env:ChocolateyInstall}/lib", "/ProgramData/chocolatey/lib"},
                 .lock_group = "chocolatey",
                 .prefix = {"{env:ChocolateyInstall}", "/ProgramData/chocolatey"},
                 .bin = k_prefix_bin,
                 .lib = k_prefix_lib,
                 .version_argv = {"{exe}", "--version"},
                 .search =
                     {
                         .method = SearchMethod::command,
                         .argv = {"{exe}", "search", "{query}", "--limit-output"},
                         .parser = "choco",
                     },
                 .install =
                     {
                         .install_prefix = {"choco", "install"},
                         .install_suffix = {"--yes", "--limit-output", "--no-progress", "--no-color"},
                         .remove_prefix = {"choco", "uninstall"},
                         .remove_suffix = {"--yes", "--limit-output", "--no-color"},
                     },
                 // choco outdated with useEnhancedExitCodes: 2 means outdated packages; upgrade/install: 1641
                 // and 3010 are success with a reboot started or needed.
                 .exit_codes = {{"outdated", 2, 2, ExitMeaning::found, "outdated packages were found"},
                                {"", 1641, 1641, ExitMeaning::done_notice, "a reboot was started"},
                                {"", 3010, 3010, ExitMeaning::done_notice, "a reboot is needed"}},
             };
         }},
    };
    return k_entries;
}

} // namespace zsyncctl::pkg::registry_parts
