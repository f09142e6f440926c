#include "pkg/registry/registry.hpp"

#include <algorithm>

namespace zsyncctl::pkg {

namespace {

using K = ManagerKind;
using P = InstallPrivilege;

// Debian multiarch and the FHS defaults shared by the distribution managers.
const std::vector<std::string_view> k_deb_lib{"/usr/lib/{multiarch}", "/usr/lib"};
const std::vector<std::string_view> k_deb_pc{"/usr/lib/{multiarch}/pkgconfig", "/usr/lib/pkgconfig",
                                             "/usr/share/pkgconfig"};
const std::vector<std::string_view> k_rpm_lib{"/usr/lib64", "/usr/lib"};
const std::vector<std::string_view> k_rpm_pc{"/usr/lib64/pkgconfig", "/usr/lib/pkgconfig",
                                             "/usr/share/pkgconfig"};
const std::vector<std::string_view> k_usr_bin{"/usr/bin", "/usr/sbin"};
const std::vector<std::string_view> k_usr_lib{"/usr/lib"};
const std::vector<std::string_view> k_usr_include{"/usr/include"};
const std::vector<std::string_view> k_usr_pc{"/usr/lib/pkgconfig", "/usr/share/pkgconfig"};
const std::vector<std::string_view> k_prefix_bin{"{prefix}/bin"};
const std::vector<std::string_view> k_prefix_lib{"{prefix}/lib"};
const std::vector<std::string_view> k_prefix_include{"{prefix}/include"};
const std::vector<std::string_view> k_prefix_pc{"{prefix}/lib/pkgconfig", "{prefix}/share/pkgconfig"};

// Search commands and their non-interactive flags follow each tool's documentation and the command lines
// mpm (kdeldycke/meta-package-manager) runs; see ../shared/reference/managers.md. Shared by several entries:
// dnf and yum are one CLI and take dnf's metadata lock while searching.
const SearchFacts k_dnf_search{
    .method = SearchMethod::command,
    .argv = {"{exe}", "--quiet", "--assumeno", "search", "{query}"},
    .parser = "dnf",
    .lock_group = "rpmdb",
    .no_match_exit_codes = {1},
};
// AUR helpers answer -Ss like pacman.
const SearchFacts k_aur_helper_search{
    .method = SearchMethod::command,
    .argv = {"{exe}", "--color", "never", "-Ss", "{query}"},
    .parser = "pacman-ss",
    .no_match_exit_codes = {1},
};
const SearchFacts k_pypi_search{
    .method = SearchMethod::unsupported,
    .reason = "PyPI has no search API since 2020 (pypa/pip#5216)",
};

// Install and remove command lines are non-interactive (managers.md and each manager's manual); the names
// go between prefix and suffix.
std::vector<Manager> build_registry() {
    std::vector<Manager> table = {
        // ---- system ----
        {
            .id = "apt",
            .display_name = "APT",
            .platforms = Platform::linux_os,
            // apt-get first: `apt` itself warns that it has no stable CLI interface.
            .executables = {"apt-get", "apt"},
            .well_known = {"/usr/bin/apt-get"},
            .markers = {"/var/lib/dpkg/status", "/etc/apt/sources.list", "/etc/apt/sources.list.d"},
            .lock_group = "dpkg",
            .prefix = {"/usr"},
            .bin = k_usr_bin,
            .lib = k_deb_lib,
            .include = k_usr_include,
            .pkg_config = k_deb_pc,
            .version_argv = {"{exe}", "--version"},
            .search = {.method = SearchMethod::native_apt},
            .install =
                {
                    // Conffile questions are answered the way dpkg would by default (keep the local file when
                    // it was changed, take the new one otherwise), so a run never stops at a prompt nobody
                    // sees.
                    .install_prefix = {"apt-get", "-y", "-q", "-o", "Dpkg::Options::=--force-confdef", "-o",
                                       "Dpkg::Options::=--force-confold", "install"},
                    .remove_prefix = {"apt-get", "-y", "-q", "remove"},
                    .progress = ProgressStyle::apt_status_fd,
                },
        },
        {
            .id = "dpkg",
            .display_name = "dpkg",
            .platforms = Platform::linux_os,
            .executables = {"dpkg"},
            .well_known = {"/usr/bin/dpkg"},
            .markers = {"/var/lib/dpkg/status"},
            .lock_group = "dpkg",
            .prefix = {"/usr"},
            .bin = k_usr_bin,
            .lib = k_deb_lib,
            .include = k_usr_include,
            .pkg_config = k_deb_pc,
            .version_argv = {"{exe}", "--version"},
        },
        {
            .id = "nala",
            .display_name = "Nala",
            .platforms = Platform::linux_os,
            .executables = {"nala"},
            .well_known = {"/usr/bin/nala"},
            .markers = {"/var/lib/dpkg/status"},
            .lock_group = "dpkg", // a libapt front-end: same lock as apt
            .prefix = {"/usr"},
            .bin = k_usr_bin,
            .lib = k_deb_lib,
            .include = k_usr_include,
            .pkg_config = k_deb_pc,
            .version_argv = {"{exe}", "--version"},
        },
        {
            .id = "dnf",
            .display_name = "DNF",
            .platforms = Platform::linux_os,
            .executables = {"dnf", "dnf5"},
            .well_known = {"/usr/bin/dnf"},
            .markers = {"/var/lib/rpm/rpmdb.sqlite", "/var/lib/dnf", "/etc/dnf/dnf.conf"},
            .lock_group = "rpmdb",
            .prefix = {"/usr"},
            .bin = k_usr_bin,
            .lib = k_rpm_lib,
            .include = k_usr_include,
            .pkg_config = k_rpm_pc,
            .version_argv = {"{exe}", "--version"},
            .search = k_dnf_search,
            .install =
                {
                    .install_prefix = {"dnf", "-y", "install"},
                    .remove_prefix = {"dnf", "-y", "remove"},
                    .progress = ProgressStyle::counted_steps,
                },
        },
        {
            .id = "yum",
            .display_name = "Yum",
            .platforms = Platform::linux_os,
            .executables = {"yum"},
            .well_known = {"/usr/bin/yum"},
            .markers = {"/etc/yum.conf", "/var/lib/rpm"},
            .lock_group = "rpmdb",
            .prefix = {"/usr"},
            .bin = k_usr_bin,
            .lib = k_rpm_lib,
            .include = k_usr_include,
            .pkg_config = k_rpm_pc,
            .version_argv = {"{exe}", "--version"},
            .search = k_dnf_search,
            .install =
                {
                    .install_prefix = {"yum", "-y", "install"},
                    .remove_prefix = {"yum", "-y", "remove"},
                    .progress = ProgressStyle::counted_steps,
                },
        },
        {
            .id = "zypper",
            .display_name = "Zypper",
            .platforms = Platform::linux_os,
            .executables = {"zypper"},
            .well_known = {"/usr/bin/zypper"},
            // openSUSE moved the rpm db to /usr/lib/sysimage/rpm.
            .markers = {"/etc/zypp/zypp.conf", "/usr/lib/sysimage/rpm", "/var/lib/rpm"},
            .lock_group = "rpmdb",
            .prefix = {"/usr"},
            .bin = k_usr_bin,
            .lib = k_rpm_lib,
            .include = k_usr_include,
            .pkg_config = k_rpm_pc,
            .version_argv = {"{exe}", "--version"},
            .search =
                {
                    .method = SearchMethod::command,
                    .argv = {"{exe}", "--no-color", "--no-abbrev", "--non-interactive", "--no-cd",
                             "--no-refresh", "--xmlout", "search", "--details", "--type", "package",
                             "{query}"},
                    .parser = "zypper-xml",
                    .lock_group = "zypp",
                    .no_match_exit_codes = {104},
                },
            .install =
                {
                    .install_prefix = {"zypper", "--non-interactive", "--no-color", "install",
                                       "--auto-agree-with-licenses"},
                    .remove_prefix = {"zypper", "--non-interactive", "--no-color", "remove"},
                    .progress = ProgressStyle::counted_steps,
                },
        },
        {
            .id = "rpm",
            .display_name = "RPM",
            .platforms = Platform::linux_os,
            .executables = {"rpm"},
            .well_known = {"/usr/bin/rpm", "/bin/rpm"},
            .markers = {"/var/lib/rpm/rpmdb.sqlite", "/var/lib/rpm/Packages", "/usr/lib/sysimage/rpm"},
            .lock_group = "rpmdb",
            .prefix = {"/usr"},
            .bin = k_usr_bin,
            .lib = k_rpm_lib,
            .include = k_usr_include,
            .pkg_config = k_rpm_pc,
            .version_argv = {"{exe}", "--version"},
        },
        {
            .id = "pacman",
            .display_name = "pacman",
            .platforms = Platform::linux_os,
            .executables = {"pacman"},
            .well_known = {"/usr/bin/pacman"},
            .markers = {"/var/lib/pacman/local", "/etc/pacman.conf"},
            .lock_group = "pacman-db",
            .prefix = {"/usr"},
            .bin = k_usr_bin,
            .lib = k_usr_lib,
            .include = k_usr_include,
            .pkg_config = k_usr_pc,
            .version_argv = {"{exe}", "--version"},
            .search = {.method = SearchMethod::native_pacman},
            .install =
                {
                    .install_prefix = {"pacman", "--sync", "--noconfirm", "--needed", "--color", "never"},
                    .remove_prefix = {"pacman", "--remove", "--noconfirm", "--color", "never"},
                    .progress = ProgressStyle::counted_steps,
                },
        },
        {
            .id = "yay",
            .display_name = "yay (AUR helper)",
            .platforms = Platform::linux_os,
            .executables = {"yay"},
            .well_known = {"/usr/bin/yay"},
            .markers = {"/var/lib/pacman/local"},
            // AUR helpers refuse to run as root and call sudo pacman themselves.
            .install_privilege = P::user,
            .lock_group = "pacman-db",
            .prefix = {"/usr"},
            .bin = k_usr_bin,
            .lib = k_usr_lib,
            .include = k_usr_include,
            .pkg_config = k_usr_pc,
            .version_argv = {"{exe}", "--version"},
            .search = k_aur_helper_search,
        },
        {
            .id = "paru",
            .display_name = "paru (AUR helper)",
            .platforms = Platform::linux_os,
            .executables = {"paru"},
            .well_known = {"/usr/bin/paru"},
            .markers = {"/var/lib/pacman/local"},
            .install_privilege = P::user,
            .lock_group = "pacman-db",
            .prefix = {"/usr"},
            .bin = k_usr_bin,
            .lib = k_usr_lib,
            .include = k_usr_include,
            .pkg_config = k_usr_pc,
            .version_argv = {"{exe}", "--version"},
            .search = k_aur_helper_search,
        },
        {
            .id = "apk",
            .display_name = "apk-tools",
            .platforms = Platform::linux_os,
            .executables = {"apk"},
            .well_known = {"/sbin/apk", "/usr/bin/apk"},
            .markers = {"/lib/apk/db/installed", "/etc/apk/repositories"},
            .lock_group = "apk-db",
            .prefix = {"/usr"},
            .bin = k_usr_bin,
            .lib = {"/usr/lib", "/lib"},
            .include = k_usr_include,
            .pkg_config = k_usr_pc,
            .version_argv = {"{exe}", "--version"},
            .search =
                {
                    .method = SearchMethod::command,
                    .argv = {"{exe}", "--no-progress", "search", "--verbose", "{query}"},
                    .parser = "apk",
                },
            .install =
                {
                    .install_prefix = {"apk", "--no-progress", "add"},
                    .remove_prefix = {"apk", "--no-progress", "del"},
                    .progress = ProgressStyle::counted_steps,
                },
        },
        {
            .id = "xbps",
            .display_name = "XBPS",
            .platforms = Platform::linux_os,
            .executables = {"xbps-install", "xbps-query"},
            .well_known = {"/usr/bin/xbps-install"},
            .markers = {"/var/db/xbps"},
            .lock_group = "xbps-db",
            .prefix = {"/usr"},
            .bin = k_usr_bin,
            .lib = k_usr_lib,
            .include = k_usr_include,
            .pkg_config = k_usr_pc,
            .version_argv = {"{exe}", "--version"},
            .search =
                {
                    .method = SearchMethod::command,
                    .executables = {"xbps-query"},
                    .argv = {"{exe}", "-Rs", "{query}"},
                    .parser = "xbps",
                    .no_match_exit_codes = {2},
                },
            .install =
                {
                    .install_prefix = {"xbps-install", "--yes"},
                    .remove_prefix = {"xbps-remove", "--yes"},
                },
        },
        {
            .id = "portage",
            .display_name = "Portage",
            .platforms = Platform::linux_os,
            .executables = {"emerge"},
            .well_known = {"/usr/bin/emerge"},
            .markers = {"/var/db/pkg", "/etc/portage"},
            .lock_group = "portage-vdb",
            .prefix = {"/usr"},
            .bin = k_usr_bin,
            .lib = {"/usr/lib64", "/usr/lib"},
            .include = k_usr_include,
            .pkg_config = {"/usr/lib64/pkgconfig", "/usr/share/pkgconfig"},
            .version_argv = {"{exe}", "--version"},
            .install =
                {
                    .install_prefix = {"emerge", "--ask=n", "--quiet-build=y"},
                    .remove_prefix = {"emerge", "--ask=n", "--depclean"},
                },
        },
        {
            .id = "eopkg",
            .display_name = "eopkg (Solus)",
            .platforms = Platform::linux_os,
            .executables = {"eopkg"},
            .well_known = {"/usr/bin/eopkg"},
            .markers = {"/var/lib/eopkg"},
            .lock_group = "eopkg-db",
            .prefix = {"/usr"},
            .bin = k_usr_bin,
            .lib = {"/usr/lib64", "/usr/lib"},
            .include = k_usr_include,
            .pkg_config = {"/usr/lib64/pkgconfig", "/usr/share/pkgconfig"},
            .version_argv = {"{exe}", "--version"},
        },
        {
            .id = "opkg",
            .display_name = "opkg",
            .platforms = Platform::linux_os,
            .executables = {"opkg"},
            .well_known = {"/bin/opkg", "/usr/bin/opkg"},
            .markers = {"/usr/lib/opkg/status", "/var/lib/opkg"},
            .lock_group = "opkg-db",
            .prefix = {"/usr"},
            .bin = k_usr_bin,
            .lib = k_usr_lib,
            .include = k_usr_include,
            .pkg_config = k_usr_pc,
            .version_argv = {"{exe}", "--version"},
        },
        {
            .id = "nix",
            .display_name = "Nix",
            .platforms = Platform::linux_os | Platform::macos,
            .executables = {"nix-env", "nix"},
            .well_known = {"{home}/.nix-profile/bin/nix-env", "/nix/var/nix/profiles/default/bin/nix-env",
                           "/run/current-system/sw/bin/nix-env"},
            .markers = {"/nix/store", "/nix/var/nix/db/db.sqlite"},
            // Profiles are per user and the store is shared safely through the daemon.
            .install_privilege = P::user,
            .prefix = {"{home}/.nix-profile", "/nix/var/nix/profiles/default"},
            .bin = {"{prefix}/bin", "/nix/var/nix/profiles/default/bin", "/run/current-system/sw/bin"},
            .lib = k_prefix_lib,
            .include = k_prefix_include,
            .pkg_config = {"{prefix}/lib/pkgconfig", "{prefix}/share/pkgconfig"},
            .version_argv = {"{exe}", "--version"},
            .search =
                {
                    .method = SearchMethod::command,
                    .executables = {"nix"},
                    .argv = {"{exe}", "--extra-experimental-features", "nix-command flakes", "search",
                             "nixpkgs", "{query}", "--json"},
                    .parser = "nix-json",
                    .no_match_exit_codes = {1},
                },
            .install =
                {
                    .install_prefix = {"nix-env", "--install"},
                    .remove_prefix = {"nix-env", "--uninstall"},
                },
        },
        {
            .id = "guix",
            .display_name = "GNU Guix",
            .platforms = Platform::linux_os,
            .executables = {"guix"},
            .well_known = {"{home}/.config/guix/current/bin/guix",
                           "/var/guix/profiles/per-user/root/current-guix/bin/guix"},
            .markers = {"/gnu/store", "/var/guix"},
            .install_privilege = P::user,
            .prefix = {"{home}/.guix-profile"},
            .bin = k_prefix_bin,
            .lib = k_prefix_lib,
            .include = k_prefix_include,
            .pkg_config = {"{prefix}/lib/pkgconfig"},
            .version_argv = {"{exe}", "--version"},
            .search =
                {
                    .method = SearchMethod::command,
                    .argv = {"{exe}", "search", "{query}"},
                    .parser = "guix",
                    .no_match_exit_codes = {1},
                },
            .install =
                {
                    .install_prefix = {"guix", "install"},
                    .remove_prefix = {"guix", "remove"},
                },
        },
        {
            // Detection of Homebrew is special (several prefixes, one entry each): see homebrew.cpp.
            .id = "homebrew",
            .display_name = "Homebrew",
            .platforms = Platform::linux_os | Platform::macos,
            .executables = {"brew"},
            .well_known = {"{env:HOMEBREW_PREFIX}/bin/brew", "/opt/homebrew/bin/brew", "/usr/local/bin/brew",
                           "/home/linuxbrew/.linuxbrew/bin/brew", "{home}/.linuxbrew/bin/brew"},
            .markers = {"{prefix}/Cellar", "{prefix}/Caskroom"},
            .install_privilege = P::user, // brew refuses to run as root
            .lock_group = "homebrew",
            .bin = {"{prefix}/bin", "{prefix}/sbin"},
            .lib = k_prefix_lib,
            .include = k_prefix_include,
            .pkg_config = k_prefix_pc,
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
        },
        {
            .id = "macports",
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
        },
        {
            .id = "pkg",
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
        },
        {
            .id = "chocolatey",
            .display_name = "Chocolatey",
            .platforms = Platform::windows,
            .executables = {"choco"},
            .well_known = {"{env:ChocolateyInstall}/bin/choco.exe", "/ProgramData/chocolatey/bin/choco.exe"},
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
        },
        // ---- apps ----
        {
            .id = "snap",
            .display_name = "Snap",
            .kind = K::app,
            .platforms = Platform::linux_os,
            .executables = {"snap"},
            .well_known = {"/usr/bin/snap"},
            .markers = {"/var/lib/snapd/state.json", "/snap"},
            .lock_group = "snapd", // snapd serialises changes itself
            .prefix = {"/snap"},
            .bin = {"/snap/bin", "/var/lib/snapd/snap/bin"},
            .version_argv = {"{exe}", "version"},
            .search =
                {
                    .method = SearchMethod::command,
                    .argv = {"{exe}", "find", "{query}", "--color=never"},
                    .parser = "snap",
                },
            .install =
                {
                    .install_prefix = {"snap", "install"},
                    .remove_prefix = {"snap", "remove"},
                },
        },
        {
            .id = "flatpak",
            .display_name = "Flatpak",
            .kind = K::app,
            .platforms = Platform::linux_os,
            .executables = {"flatpak"},
            .well_known = {"/usr/bin/flatpak"},
            .markers = {"/var/lib/flatpak", "{home}/.local/share/flatpak"},
            .install_privilege = P::polkit,
            .prefix = {"/var/lib/flatpak"},
            .bin = {"/var/lib/flatpak/exports/bin", "{home}/.local/share/flatpak/exports/bin"},
            .version_argv = {"{exe}", "--version"},
            .search =
                {
                    .method = SearchMethod::command,
                    .argv = {"{exe}", "search", "{query}"},
                    .parser = "flatpak",
                },
            .install =
                {
                    .install_prefix = {"flatpak", "install", "--noninteractive", "-y"},
                    .remove_prefix = {"flatpak", "uninstall", "--noninteractive", "-y"},
                },
        },
        {
            .id = "mas",
            .display_name = "Mac App Store CLI",
            .kind = K::app,
            .platforms = Platform::macos,
            .executables = {"mas"},
            .well_known = {"/opt/homebrew/bin/mas", "/usr/local/bin/mas"},
            .install_privilege = P::user,
            .bin = k_prefix_bin,
            .version_argv = {"{exe}", "version"},
            .search =
                {
                    .method = SearchMethod::command,
                    .argv = {"{exe}", "search", "{query}"},
                    .parser = "mas",
                    .no_match_exit_codes = {1},
                },
            .install =
                {
                    .install_prefix = {"mas", "install"},
                    .remove_prefix = {"mas", "uninstall"},
                },
        },
        {
            .id = "scoop",
            .display_name = "Scoop",
            .kind = K::app,
            .platforms = Platform::windows,
            .executables = {"scoop"},
            .well_known = {"{env:SCOOP}/shims/scoop.cmd", "{home}/scoop/shims/scoop.cmd"},
            .markers = {"{env:SCOOP}/apps", "{home}/scoop/apps"},
            .install_privilege = P::user,
            .prefix = {"{env:SCOOP}", "{home}/scoop"},
            .bin = {"{prefix}/shims"},
            .version_argv = {"{exe}", "--version"},
            .search =
                {
                    .method = SearchMethod::command,
                    .argv = {"{exe}", "search", "{query}"},
                    .parser = "scoop",
                },
            .install =
                {
                    .install_prefix = {"scoop", "install"},
                    .remove_prefix = {"scoop", "uninstall"},
                },
        },
        {
            .id = "winget",
            .display_name = "WinGet",
            .kind = K::app,
            .platforms = Platform::windows,
            .executables = {"winget"},
            .well_known = {"{env:LOCALAPPDATA}/Microsoft/WindowsApps/winget.exe"},
            .install_privilege = P::user, // elevates per package through UAC when the installer asks
            .version_argv = {"{exe}", "--version"},
            .search =
                {
                    .method = SearchMethod::command,
                    .argv = {"{exe}", "search", "{query}", "--accept-source-agreements",
                             "--disable-interactivity"},
                    .parser = "winget",
                    .no_match_exit_codes =
                        {-1978335212}, // APPINSTALLER_CLI_ERROR_NO_APPLICATIONS_FOUND, 0x8A150014
                },
            .install =
                {
                    .install_prefix = {"winget", "install", "--exact", "--id"},
                    .install_suffix = {"--accept-package-agreements", "--accept-source-agreements",
                                       "--disable-interactivity"},
                    .remove_prefix = {"winget", "uninstall", "--exact", "--id"},
                    .remove_suffix = {"--accept-source-agreements", "--disable-interactivity"},
                    .one_name_per_command = true,
                },
        },
        // ---- language ----
        {
            .id = "npm",
            .display_name = "npm",
            .kind = K::language,
            .executables = {"npm"},
            .install_privilege = P::user,
            .bin = k_prefix_bin,
            .version_argv = {"{exe}", "--version"},
            .search =
                {
                    .method = SearchMethod::command,
                    .argv = {"{exe}", "search", "--json", "--no-progress", "--no-update-notifier",
                             "--no-fund", "--no-audit", "{query}"},
                    .parser = "npm-json",
                },
            .install =
                {
                    .install_prefix = {"npm", "install", "--global", "--no-progress", "--no-update-notifier",
                                       "--no-fund", "--no-audit"},
                    .remove_prefix = {"npm", "uninstall", "--global", "--no-progress",
                                      "--no-update-notifier"},
                },
        },
        {
            .id = "pnpm",
            .display_name = "pnpm",
            .kind = K::language,
            .executables = {"pnpm"},
            .well_known = {"{env:PNPM_HOME}/pnpm", "{home}/.local/share/pnpm/pnpm"},
            .install_privilege = P::user,
            .prefix = {"{env:PNPM_HOME}", "{home}/.local/share/pnpm"},
            .bin = {"{prefix}"},
            .version_argv = {"{exe}", "--version"},
            .install =
                {
                    .install_prefix = {"pnpm", "add", "--global"},
                    .remove_prefix = {"pnpm", "remove", "--global"},
                },
        },
        {
            .id = "yarn",
            .display_name = "Yarn",
            .kind = K::language,
            .executables = {"yarn", "yarnpkg"}, // Debian names it yarnpkg
            .well_known = {"{home}/.yarn/bin/yarn"},
            .install_privilege = P::user,
            .bin = {"{home}/.yarn/bin"},
            .version_argv = {"{exe}", "--version"},
            .install =
                {
                    .install_prefix = {"yarn", "global", "add", "--non-interactive"},
                    .remove_prefix = {"yarn", "global", "remove", "--non-interactive"},
                },
        },
        {
            .id = "bun",
            .display_name = "Bun",
            .kind = K::language,
            .executables = {"bun"},
            .well_known = {"{env:BUN_INSTALL}/bin/bun", "{home}/.bun/bin/bun"},
            .install_privilege = P::user,
            .prefix = {"{env:BUN_INSTALL}", "{home}/.bun"},
            .bin = k_prefix_bin,
            .version_argv = {"{exe}", "--version"},
        },
        {
            .id = "pip",
            .display_name = "pip",
            .kind = K::language,
            .executables = {"pip3", "pip"},
            .install_privilege = P::user,
            .bin = {"{home}/.local/bin"}, // where `pip install --user` puts scripts
            .version_argv = {"{exe}", "--version"},
            .search = k_pypi_search,
            .install =
                {
                    .install_prefix = {"pip", "install", "--no-input", "--disable-pip-version-check"},
                    .remove_prefix = {"pip", "uninstall", "--yes", "--disable-pip-version-check"},
                },
        },
        {
            .id = "pipx",
            .display_name = "pipx",
            .kind = K::language,
            .executables = {"pipx"},
            .well_known = {"{home}/.local/bin/pipx"},
            .install_privilege = P::user,
            .prefix = {"{env:PIPX_HOME}", "{home}/.local/share/pipx", "{home}/.local/pipx"},
            .bin = {"{env:PIPX_BIN_DIR}", "{home}/.local/bin"},
            .version_argv = {"{exe}", "--version"},
            .search = k_pypi_search,
            .install =
                {
                    .install_prefix = {"pipx", "install"},
                    .remove_prefix = {"pipx", "uninstall"},
                    .one_name_per_command = true,
                },
        },
        {
            .id = "uv",
            .display_name = "uv",
            .kind = K::language,
            .executables = {"uv"},
            .well_known = {"{home}/.local/bin/uv", "{home}/.cargo/bin/uv"},
            .install_privilege = P::user,
            .bin = {"{home}/.local/bin"},
            .version_argv = {"{exe}", "--version"},
            .search = k_pypi_search,
        },
        {
            .id = "conda",
            .display_name = "Conda",
            .kind = K::language,
            .executables = {"conda"},
            .well_known = {"{env:CONDA_EXE}", "{home}/miniforge3/bin/conda", "{home}/miniconda3/bin/conda",
                           "{home}/anaconda3/bin/conda", "/opt/conda/bin/conda"},
            .markers = {"{prefix}/conda-meta"},
            .install_privilege = P::user,
            .bin = k_prefix_bin,
            .lib = k_prefix_lib,
            .include = k_prefix_include,
            .pkg_config = {"{prefix}/lib/pkgconfig"},
            .version_argv = {"{exe}", "--version"},
            .search =
                {
                    .method = SearchMethod::command,
                    .argv = {"{exe}", "search", "--json", "{query}"},
                    .parser = "conda-json",
                    .no_match_exit_codes = {1},
                },
            .install =
                {
                    .install_prefix = {"conda", "install", "--yes"},
                    .remove_prefix = {"conda", "remove", "--yes"},
                },
        },
        {
            .id = "cargo",
            .display_name = "Cargo",
            .kind = K::language,
            .executables = {"cargo"},
            .well_known = {"{env:CARGO_HOME}/bin/cargo", "{home}/.cargo/bin/cargo"},
            .install_privilege = P::user,
            .prefix = {"{env:CARGO_HOME}", "{home}/.cargo"},
            .bin = k_prefix_bin,
            .version_argv = {"{exe}", "--version"},
            .search =
                {
                    .method = SearchMethod::command,
                    .argv = {"{exe}", "search", "--color", "never", "--quiet", "--limit", "100", "{query}"},
                    .parser = "cargo",
                },
            .install =
                {
                    .install_prefix = {"cargo", "install", "--color", "never"},
                    .remove_prefix = {"cargo", "uninstall", "--color", "never"},
                },
        },
        {
            .id = "gem",
            .display_name = "RubyGems",
            .kind = K::language,
            .executables = {"gem"},
            .install_privilege = P::user,
            .bin = k_prefix_bin,
            .version_argv = {"{exe}", "--version"},
            .search =
                {
                    .method = SearchMethod::command,
                    .argv = {"{exe}", "search", "--remote", "{query}"},
                    .parser = "gem",
                },
            .install =
                {
                    .install_prefix = {"gem", "install", "--no-document"},
                    .remove_prefix = {"gem", "uninstall", "--all", "--executables"},
                },
        },
        {
            .id = "go",
            .display_name = "Go modules",
            .kind = K::language,
            .executables = {"go"},
            .well_known = {"/usr/local/go/bin/go", "/usr/lib/go/bin/go"},
            .install_privilege = P::user,
            .prefix = {"{env:GOPATH}", "{home}/go"},
            .bin = {"{env:GOBIN}", "{prefix}/bin"}, // where `go install` puts binaries
            .version_argv = {"{exe}", "version"},
            .search =
                {
                    .method = SearchMethod::unsupported,
                    .reason = "go has no search command",
                },
            .install =
                {
                    .install_prefix = {"go", "install"},
                    .name_suffix_if_unversioned = "@latest",
                    .why_not = "go has no uninstall command; delete the binary from $(go env GOPATH)/bin",
                },
        },
        {
            .id = "composer",
            .display_name = "Composer",
            .kind = K::language,
            .executables = {"composer"},
            .install_privilege = P::user,
            .prefix = {"{env:COMPOSER_HOME}", "{home}/.config/composer", "{home}/.composer"},
            .bin = {"{prefix}/vendor/bin"},
            .version_argv = {"{exe}", "--version"},
            .install =
                {
                    .install_prefix = {"composer", "global", "require", "--no-interaction"},
                    .remove_prefix = {"composer", "global", "remove", "--no-interaction"},
                },
        },
        {
            .id = "cpanm",
            .display_name = "cpanminus",
            .kind = K::language,
            .executables = {"cpanm"},
            .install_privilege = P::user,
            .prefix = {"{home}/perl5"},
            .bin = k_prefix_bin,
            .version_argv = {"{exe}", "--version"},
        },
        {
            .id = "luarocks",
            .display_name = "LuaRocks",
            .kind = K::language,
            .executables = {"luarocks"},
            .install_privilege = P::user,
            .prefix = {"{home}/.luarocks"},
            .bin = k_prefix_bin,
            .version_argv = {"{exe}", "--version"},
        },
        {
            .id = "opam",
            .display_name = "opam",
            .kind = K::language,
            .executables = {"opam"},
            .install_privilege = P::user,
            .prefix = {"{env:OPAMROOT}", "{home}/.opam"},
            .bin = {"{prefix}/default/bin"},
            .version_argv = {"{exe}", "--version"},
        },
        {
            .id = "cabal",
            .display_name = "Cabal",
            .kind = K::language,
            .executables = {"cabal"},
            .well_known = {"{home}/.ghcup/bin/cabal"},
            .install_privilege = P::user,
            .prefix = {"{home}/.cabal"},
            .bin = {"{prefix}/bin", "{home}/.local/bin"},
            .version_argv = {"{exe}", "--numeric-version"},
        },
        {
            .id = "dotnet",
            .display_name = ".NET tools (NuGet)",
            .kind = K::language,
            .executables = {"dotnet"},
            .well_known = {"{home}/.dotnet/dotnet", "/usr/share/dotnet/dotnet",
                           "/usr/local/share/dotnet/dotnet"},
            .install_privilege = P::user,
            .prefix = {"{home}/.dotnet"},
            .bin = {"{prefix}/tools"}, // `dotnet tool install -g` puts tools here
            .version_argv = {"{exe}", "--version"},
        },
        {
            .id = "vcpkg",
            .display_name = "vcpkg",
            .kind = K::language,
            .executables = {"vcpkg"},
            .well_known = {"{env:VCPKG_ROOT}/vcpkg"},
            .install_privilege = P::user,
            .prefix = {"{env:VCPKG_ROOT}"},
            .version_argv = {"{exe}", "version"},
        },
        {
            .id = "conan",
            .display_name = "Conan",
            .kind = K::language,
            .executables = {"conan"},
            .install_privilege = P::user,
            .prefix = {"{env:CONAN_HOME}", "{home}/.conan2"},
            .version_argv = {"{exe}", "--version"},
        },
        {
            .id = "spack",
            .display_name = "Spack",
            .kind = K::language,
            .platforms = Platform::unix_like,
            .executables = {"spack"},
            .well_known = {"{env:SPACK_ROOT}/bin/spack"},
            .install_privilege = P::user,
            .version_argv = {"{exe}", "--version"},
        },
        // ---- version managers ----
        {
            .id = "rustup",
            .display_name = "rustup",
            .kind = K::version_manager,
            .executables = {"rustup"},
            .well_known = {"{env:CARGO_HOME}/bin/rustup", "{home}/.cargo/bin/rustup"},
            .markers = {"{env:RUSTUP_HOME}/settings.toml", "{home}/.rustup/settings.toml"},
            .install_privilege = P::user,
            .prefix = {"{env:RUSTUP_HOME}", "{home}/.rustup"},
            .bin = {"{env:CARGO_HOME}/bin", "{home}/.cargo/bin"},
            .version_argv = {"{exe}", "--version"},
        },
        {
            // A shell function: sourced from sdkman-init.sh, no executable to find.
            .id = "sdkman",
            .display_name = "SDKMAN!",
            .kind = K::version_manager,
            .platforms = Platform::unix_like,
            .markers = {"{env:SDKMAN_DIR}/bin/sdkman-init.sh", "{home}/.sdkman/bin/sdkman-init.sh"},
            .detected_by_marker = true,
            .install_privilege = P::user,
            .prefix = {"{env:SDKMAN_DIR}", "{home}/.sdkman"},
            .version_file = "{prefix}/var/version",
            .install =
                {
                    .why_not =
                        "sdkman's `sdk` is a shell function, not an executable; run `sdk install NAME` in "
                        "a shell where sdkman-init.sh is sourced",
                },
        },
        {
            .id = "asdf",
            .display_name = "asdf",
            .kind = K::version_manager,
            .platforms = Platform::unix_like,
            .executables = {"asdf"},
            .well_known = {"{env:ASDF_DIR}/bin/asdf", "{home}/.asdf/bin/asdf"},
            .install_privilege = P::user,
            .prefix = {"{env:ASDF_DATA_DIR}", "{home}/.asdf"},
            .bin = {"{prefix}/shims"},
            .version_argv = {"{exe}", "--version"},
            .install =
                {
                    .why_not =
                        "asdf installs a tool version through a plugin; run `asdf plugin add NAME` and "
                        "`asdf install NAME VERSION`",
                },
        },
        {
            .id = "mise",
            .display_name = "mise",
            .kind = K::version_manager,
            .executables = {"mise"},
            .well_known = {"{home}/.local/bin/mise"},
            .install_privilege = P::user,
            .prefix = {"{env:MISE_DATA_DIR}", "{home}/.local/share/mise"},
            .bin = {"{prefix}/shims"},
            .version_argv = {"{exe}", "--version"},
            .install =
                {
                    .install_prefix = {"mise", "use", "--global", "--yes"},
                    .remove_prefix = {"mise", "uninstall", "--yes"},
                },
        },
        {
            .id = "pyenv",
            .display_name = "pyenv",
            .kind = K::version_manager,
            .platforms = Platform::unix_like,
            .executables = {"pyenv"},
            .well_known = {"{env:PYENV_ROOT}/bin/pyenv", "{home}/.pyenv/bin/pyenv"},
            .install_privilege = P::user,
            .prefix = {"{env:PYENV_ROOT}", "{home}/.pyenv"},
            .bin = {"{prefix}/shims", "{prefix}/bin"},
            .version_argv = {"{exe}", "--version"},
        },
        {
            .id = "rbenv",
            .display_name = "rbenv",
            .kind = K::version_manager,
            .platforms = Platform::unix_like,
            .executables = {"rbenv"},
            .well_known = {"{env:RBENV_ROOT}/bin/rbenv", "{home}/.rbenv/bin/rbenv"},
            .install_privilege = P::user,
            .prefix = {"{env:RBENV_ROOT}", "{home}/.rbenv"},
            .bin = {"{prefix}/shims", "{prefix}/bin"},
            .version_argv = {"{exe}", "--version"},
        },
        {
            // A shell function like sdkman; its version lives in package.json, not worth parsing here.
            .id = "nvm",
            .display_name = "nvm",
            .kind = K::version_manager,
            .platforms = Platform::unix_like,
            .markers = {"{env:NVM_DIR}/nvm.sh", "{home}/.nvm/nvm.sh"},
            .detected_by_marker = true,
            .install_privilege = P::user,
            .prefix = {"{env:NVM_DIR}", "{home}/.nvm"},
        },
        {
            .id = "volta",
            .display_name = "Volta",
            .kind = K::version_manager,
            .executables = {"volta"},
            .well_known = {"{env:VOLTA_HOME}/bin/volta", "{home}/.volta/bin/volta"},
            .install_privilege = P::user,
            .prefix = {"{env:VOLTA_HOME}", "{home}/.volta"},
            .bin = k_prefix_bin,
            .version_argv = {"{exe}", "--version"},
        },
        {
            .id = "fnm",
            .display_name = "fnm",
            .kind = K::version_manager,
            .executables = {"fnm"},
            .well_known = {"{home}/.local/share/fnm/fnm", "{home}/.fnm/fnm"},
            .install_privilege = P::user,
            .version_argv = {"{exe}", "--version"},
        },
    };
    return table;
}

void mix(std::uint64_t& hash, std::string_view text) {
    for (unsigned char c : text) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    hash ^= 0xff; // field separator
    hash *= 1099511628211ull;
}

void mix(std::uint64_t& hash, const std::vector<std::string_view>& list) {
    for (auto item : list) {
        mix(hash, item);
    }
    mix(hash, "|");
}

void mix(std::uint64_t& hash, const SearchFacts& search) {
    mix(hash, std::to_string(static_cast<int>(search.method)));
    mix(hash, search.executables);
    mix(hash, search.argv);
    mix(hash, search.parser);
    mix(hash, search.env);
    mix(hash, search.lock_group);
    for (int code : search.no_match_exit_codes) {
        mix(hash, std::to_string(code));
    }
    mix(hash, search.reason);
}

void mix(std::uint64_t& hash, const InstallFacts& install) {
    mix(hash, install.install_prefix);
    mix(hash, install.install_suffix);
    mix(hash, install.remove_prefix);
    mix(hash, install.remove_suffix);
    mix(hash, install.refuses_root ? "refuses-root" : "-");
    mix(hash, install.one_name_per_command ? "one-name" : "-");
    mix(hash, install.name_suffix_if_unversioned);
    mix(hash, std::to_string(static_cast<int>(install.progress)));
    for (const auto& [name, value] : install.env) {
        mix(hash, name);
        mix(hash, value);
    }
    mix(hash, install.why_not);
}

} // namespace

std::string_view to_string(ManagerKind kind) {
    switch (kind) {
    case ManagerKind::system:
        return "system";
    case ManagerKind::language:
        return "language";
    case ManagerKind::app:
        return "app";
    case ManagerKind::version_manager:
        return "version-manager";
    }
    return "system";
}

std::uint32_t platform_bit(std::string_view os) {
    if (os == "linux") {
        return Platform::linux_os;
    }
    if (os == "macos") {
        return Platform::macos;
    }
    if (os == "windows") {
        return Platform::windows;
    }
    if (os == "freebsd") {
        return Platform::freebsd;
    }
    if (os == "openbsd") {
        return Platform::openbsd;
    }
    if (os == "netbsd") {
        return Platform::netbsd;
    }
    return 0;
}

std::vector<std::string_view> platform_names(std::uint32_t mask) {
    static constexpr std::pair<std::uint32_t, std::string_view> k_names[] = {
        {Platform::linux_os, "linux"},  {Platform::macos, "macos"},     {Platform::windows, "windows"},
        {Platform::freebsd, "freebsd"}, {Platform::openbsd, "openbsd"}, {Platform::netbsd, "netbsd"},
    };
    std::vector<std::string_view> names;
    for (const auto& [bit, name] : k_names) {
        if ((mask & bit) != 0) {
            names.push_back(name);
        }
    }
    return names;
}

std::span<const Manager> registry() {
    static const std::vector<Manager> table = build_registry();
    return table;
}

const Manager* find_manager(std::string_view id) {
    auto table = registry();
    auto it = std::find_if(table.begin(), table.end(), [&](const Manager& m) { return m.id == id; });
    return it == table.end() ? nullptr : &*it;
}

std::vector<std::string_view> manager_ids() {
    std::vector<std::string_view> ids;
    for (const auto& m : registry()) {
        ids.push_back(m.id);
    }
    return ids;
}

bool is_valid_manager_id(std::string_view id) {
    if (id.empty() || id.front() < 'a' || id.front() > 'z') {
        return false;
    }
    return std::all_of(id.begin(), id.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

bool has_install_facts(const Manager& manager) {
    return !manager.install.install_prefix.empty() || !manager.install.why_not.empty();
}

std::string_view install_lock_group(const Manager& manager) {
    return manager.lock_group.empty() ? manager.id : manager.lock_group;
}

std::uint64_t registry_fingerprint() {
    static const std::uint64_t fingerprint = [] {
        std::uint64_t hash = 14695981039346656037ull;
        for (const auto& m : registry()) {
            mix(hash, m.id);
            mix(hash, to_string(m.kind));
            mix(hash, std::to_string(m.platforms));
            mix(hash, m.executables);
            mix(hash, m.well_known);
            mix(hash, m.markers);
            mix(hash, m.detected_by_marker ? "marker" : "exe");
            mix(hash, m.prefix);
            mix(hash, std::to_string(static_cast<int>(m.install_privilege)));
            mix(hash, m.lock_group);
            mix(hash, m.search);
            mix(hash, m.install);
        }
        return hash;
    }();
    return fingerprint;
}

} // namespace zsyncctl::pkg
