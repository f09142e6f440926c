#include "pkg/registry/registry_parts.hpp"

namespace zsyncctl::pkg::registry_parts {

std::span<const RegistryEntry> app_managers() {
    static const RegistryEntry k_entries[] = {
        {"snap",
         [](std::string_view id) {
             return Manager{
                 .id = id,
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
             };
         }},
        {"flatpak",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "Flatpak",
                 .kind = K::app,
                 .platforms = Platform::linux_os,
                 .executables = {"flatpak"},
                 .well_known = {"/usr/bin/flatpak"},
                 .markers = {"{env:FLATPAK_SYSTEM_DIR}", "/var/lib/flatpak", "{env:FLATPAK_USER_DIR}",
                             "{home}/.local/share/flatpak"},
                 .install_privilege = P::polkit,
                 .prefix = {"/var/lib/flatpak"},
                 .bin = {"/var/lib/flatpak/exports/bin", "{home}/.local/share/flatpak/exports/bin"},
                 .version_argv = {"{exe}", "--version"},
                 .search =
                     {
                         .method = SearchMethod::command,
                         .argv = {"{exe}", "search", "{query}"},
                         .parser = "flatpak",
                         // flatpak search reads the appstream data of the enabled remotes of every
                         // installation: the [remote "NAME"] groups of each installation's repo/config
                         // (xa.disable=true: off). Extra installations (installations.d) and static remotes.d
                         // files are not followed.
                         .repository_config =
                             {
                                 .main_section = "core",
                                 .config_sections_are_repositories = true,
                                 .dropin_dirs = {"/etc/flatpak/installations.d", "/etc/flatpak/remotes.d",
                                                 "/usr/share/flatpak/remotes.d"},
                                 .installations = {{"{env:FLATPAK_USER_DIR}", "{home}/.local/share/flatpak"},
                                                   {"{env:FLATPAK_SYSTEM_DIR}", "/var/lib/flatpak"}},
                                 .installation_file = "repo/config",
                                 .installation_dropins = {"repo/remotes.d"},
                                 .section_prefix = "remote \"",
                                 .disabled_key = "xa.disable",
                                 .search_reads_installed = false,
                             },
                     },
                 .install =
                     {
                         .install_prefix = {"flatpak", "install", "--noninteractive", "-y"},
                         .remove_prefix = {"flatpak", "uninstall", "--noninteractive", "-y"},
                         // Without an installation option flatpak update looks in every installation and
                         // updates each ref where it is installed: pkg upgrade adds the installation option
                         // of the rows it upgrades (InventoryFacts::installations), one run per installation.
                         // Masked refs are left out by flatpak itself.
                         .upgrade_prefix = {"flatpak", "update", "--noninteractive"},
                         .upgrade_all_prefix = {"flatpak", "update", "--noninteractive"},
                         .refresh_prefix = {"flatpak", "update", "--appstream"},
                         // Asked with stdin at /dev/null, flatpak prints its transaction and answers "n".
                         .simulate_upgrade_prefix = {"flatpak", "update"},
                         .simulate_upgrade_all_prefix = {"flatpak", "update"},
                         .simulation = SimulationFormat::flatpak_table,
                     },
                 .inventory =
                     {
                         .method = InventoryMethod::native_flatpak,
                         // "{installation}" is the installation's option; the remote's name is appended.
                         .outdated_argv = {"{installation}", "remote-ls", "--updates", "--cached",
                                           "--columns=ref,commit,version,download-size"},
                         .installations =
                             {
                                 {.name = "user",
                                  .option = "--user",
                                  .dirs = {"{env:FLATPAK_USER_DIR}", "{home}/.local/share/flatpak"}},
                                 {.name = "system",
                                  .option = "--system",
                                  .dirs = {"{env:FLATPAK_SYSTEM_DIR}", "/var/lib/flatpak"}},
                             },
                         .cached_option = "--cached",
                     },
             };
         }},
        {"mas",
         [](std::string_view id) {
             return Manager{
                 .id = id,
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
             };
         }},
        {"scoop",
         [](std::string_view id) {
             return Manager{
                 .id = id,
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
             };
         }},
        {"winget",
         [](std::string_view id) {
             return Manager{
                 .id = id,
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
             };
         }},
    };
    return k_entries;
}

} // namespace zsyncctl::pkg::registry_parts
