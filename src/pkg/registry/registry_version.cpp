#include "pkg/registry/registry_parts.hpp"

namespace zsyncctl::pkg::registry_parts {

std::span<const RegistryEntry> version_managers() {
    static const RegistryEntry k_entries[] = {
        {"rustup",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "rustup",
                 .kind = K::version_manager,
                 .executables = {"rustup"},
                 .well_known = {"{env:CARGO_HOME}/bin/rustup", "{home}/.cargo/bin/rustup"},
                 .markers = {"{env:RUSTUP_HOME}/settings.toml", "{home}/.rustup/settings.toml"},
                 .install_privilege = P::user,
                 .prefix = {"{env:RUSTUP_HOME}", "{home}/.rustup"},
                 .bin = {"{env:CARGO_HOME}/bin", "{home}/.cargo/bin"},
                 .version_argv = {"{exe}", "--version"},
             };
         }},
        {"sdkman",
         [](std::string_view id) {
             return Manager{
                 // A shell function: sourced from sdkman-init.sh, no executable to find.
                 .id = id,
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
                         .why_not = "sdkman's `sdk` is a shell function, not an executable; run `sdk install "
                                    "NAME` in "
                                    "a shell where sdkman-init.sh is sourced",
                     },
             };
         }},
        {"asdf",
         [](std::string_view id) {
             return Manager{
                 .id = id,
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
             };
         }},
        {"mise",
         [](std::string_view id) {
             return Manager{
                 .id = id,
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
             };
         }},
        {"pyenv",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "pyenv",
                 .kind = K::version_manager,
                 .platforms = Platform::unix_like,
                 .executables = {"pyenv"},
                 .well_known = {"{env:PYENV_ROOT}/bin/pyenv", "{home}/.pyenv/bin/pyenv"},
                 .install_privilege = P::user,
                 .prefix = {"{env:PYENV_ROOT}", "{home}/.pyenv"},
                 .bin = {"{prefix}/shims", "{prefix}/bin"},
                 .version_argv = {"{exe}", "--version"},
             };
         }},
        {"rbenv",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "rbenv",
                 .kind = K::version_manager,
                 .platforms = Platform::unix_like,
                 .executables = {"rbenv"},
                 .well_known = {"{env:RBENV_ROOT}/bin/rbenv", "{home}/.rbenv/bin/rbenv"},
                 .install_privilege = P::user,
                 .prefix = {"{env:RBENV_ROOT}", "{home}/.rbenv"},
                 .bin = {"{prefix}/shims", "{prefix}/bin"},
                 .version_argv = {"{exe}", "--version"},
             };
         }},
        {"nvm",
         [](std::string_view id) {
             return Manager{
                 // A shell function like sdkman; its version lives in package.json, not worth parsing here.
                 .id = id,
                 .display_name = "nvm",
                 .kind = K::version_manager,
                 .platforms = Platform::unix_like,
                 .markers = {"{env:NVM_DIR}/nvm.sh", "{home}/.nvm/nvm.sh"},
                 .detected_by_marker = true,
                 .install_privilege = P::user,
                 .prefix = {"{env:NVM_DIR}", "{home}/.nvm"},
             };
         }},
        {"volta",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "Volta",
                 .kind = K::version_manager,
                 .executables = {"volta"},
                 .well_known = {"{env:VOLTA_HOME}/bin/volta", "{home}/.volta/bin/volta"},
                 .install_privilege = P::user,
                 .prefix = {"{env:VOLTA_HOME}", "{home}/.volta"},
                 .bin = k_prefix_bin,
                 .version_argv = {"{exe}", "--version"},
             };
         }},
        {"fnm",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "fnm",
                 .kind = K::version_manager,
                 .executables = {"fnm"},
                 .well_known = {"{home}/.local/share/fnm/fnm", "{home}/.fnm/fnm"},
                 .install_privilege = P::user,
                 .version_argv = {"{exe}", "--version"},
             };
         }},
    };
    return k_entries;
}

} // namespace zsyncctl::pkg::registry_parts
