#include "pkg/registry/registry_parts.hpp"

namespace zsyncctl::pkg::registry_parts {

std::span<const RegistryEntry> language_managers() {
    static const RegistryEntry k_entries[] = {
        {"npm",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "npm",
                 .kind = K::language,
                 .executables = {"npm"},
                 .install_privilege = P::user,
                 // npm's global prefix: its environment setting, else the prefix npm was installed under.
                 .prefix = {"{env:NPM_CONFIG_PREFIX}", "{env:npm_config_prefix}"},
                 .bin = k_prefix_bin,
                 .version_argv = {"{exe}", "--version"},
                 .search =
                     {
                         .method = SearchMethod::command,
                         .argv = {"{exe}", "search", "--json", "--no-progress", "--no-update-notifier",
                                  "--no-fund", "--no-audit", "{query}"},
                         .parser = "npm-json",
                         .registry_host = "registry.npmjs.org",
                     },
                 .install =
                     {
                         .install_prefix = {"npm", "install", "--global", "--no-progress",
                                            "--no-update-notifier", "--no-fund", "--no-audit"},
                         .remove_prefix = {"npm", "uninstall", "--global", "--no-progress",
                                           "--no-update-notifier"},
                         // `npm install -g NAME@VERSION`, all names in one reify (npm rolls every change back
                         // when it fails or gets SIGINT, even mid-postinstall), at the candidate `pkg
                         // outdated` showed: `npm update -g` picks its own version at run time.
                         // --loglevel=http prints a line per fetch: the progress lines. Never
                         // --foreground-scripts: with it, SIGINT ends npm mid-postinstall with no rollback
                         // (npm 11.19: the new version half set up, the old one left in
                         // node_modules/.NAME-*). No upgrade-all: `npm update -g` also leaves linked packages
                         // alone, and --all takes the outdated names that are not skipped ("linked"), like
                         // pip.
                         .upgrade_prefix = {"npm", "install", "--global", "--no-progress",
                                            "--no-update-notifier", "--no-fund", "--no-audit",
                                            "--loglevel=http"},
                         .upgrade_candidate_separator = "@",
                         // npm 11 prints the same add/change/remove lines as the run's reify would do, and
                         // changes nothing.
                         .simulate_upgrade_prefix = {"npm", "install", "--global", "--dry-run",
                                                     "--no-progress", "--no-update-notifier", "--no-fund",
                                                     "--no-audit"},
                         .simulation = SimulationFormat::npm_dry_run,
                         // No lock_files: npm takes no lock on the global prefix (two `npm -g` at once race);
                         // zsyncctl's own run lock (group "npm") keeps its runs one at a time.
                         // @npmcli/arborist's signal-handling.js: the first signal starts the rollback of the
                         // reify and removes the listeners ("if signal hits twice, we just terminate").
                         .rolls_back_on_interrupt = true,
                     },
                 .inventory = {.method = InventoryMethod::native_npm},
                 // npm outdated exits 1 when some package is outdated (npm/cli#1109; 7.x briefly returned 0).
                 .exit_codes = {{"outdated", 1, 1, ExitMeaning::found, "outdated packages were found"}},
             };
         }},
        {"pnpm",
         [](std::string_view id) {
             return Manager{
                 .id = id,
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
             };
         }},
        {"yarn",
         [](std::string_view id) {
             return Manager{
                 .id = id,
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
             };
         }},
        {"bun",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "Bun",
                 .kind = K::language,
                 .executables = {"bun"},
                 .well_known = {"{env:BUN_INSTALL}/bin/bun", "{home}/.bun/bin/bun"},
                 .install_privilege = P::user,
                 .prefix = {"{env:BUN_INSTALL}", "{home}/.bun"},
                 .bin = k_prefix_bin,
                 .version_argv = {"{exe}", "--version"},
             };
         }},
        {"pip",
         [](std::string_view id) {
             return Manager{
                 .id = id,
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
                         // pip has no upgrade-all (pypa/pip#59): `pkg upgrade --all` upgrades each outdated
                         // package on its own, one command per name.
                         .upgrade_prefix = {"pip", "install", "--upgrade", "--no-input",
                                            "--disable-pip-version-check"},
                         .upgrade_one_name_per_command = true,
                         .env = {{"PIP_ROOT_USER_ACTION", "ignore"}},
                         // pip >= 22.2: resolves and reports, installs nothing; --quiet keeps stdout the
                         // JSON.
                         .simulate_upgrade_prefix = {"pip", "install", "--dry-run", "--upgrade", "--report",
                                                     "-", "--quiet", "--no-input",
                                                     "--disable-pip-version-check"},
                         .simulation = SimulationFormat::pip_report,
                     },
                 .inventory = {.method = InventoryMethod::native_pip},
             };
         }},
        {"pipx",
         [](std::string_view id) {
             return Manager{
                 .id = id,
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
             };
         }},
        {"uv",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "uv",
                 .kind = K::language,
                 .executables = {"uv"},
                 .well_known = {"{home}/.local/bin/uv", "{home}/.cargo/bin/uv"},
                 .install_privilege = P::user,
                 .bin = {"{home}/.local/bin"},
                 .version_argv = {"{exe}", "--version"},
                 .search = k_pypi_search,
             };
         }},
        {"conda",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "Conda",
                 .kind = K::language,
                 .executables = {"conda"},
                 .well_known = {"{env:CONDA_EXE}", "{home}/miniforge3/bin/conda",
                                "{home}/miniconda3/bin/conda", "{home}/anaconda3/bin/conda",
                                "/opt/conda/bin/conda"},
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
                         .registry_host = "conda.anaconda.org",
                     },
                 .install =
                     {
                         .install_prefix = {"conda", "install", "--yes"},
                         .remove_prefix = {"conda", "remove", "--yes"},
                     },
             };
         }},
        {"cargo",
         [](std::string_view id) {
             return Manager{
                 .id = id,
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
                         .argv = {"{exe}", "search", "--color", "never", "--quiet", "--limit", "100",
                                  "{query}"},
                         .parser = "cargo",
                         // Offline, cargo's default retries and 30 s timeout took a search 10.8 s; without
                         // them 28 ms.
                         .env = {"CARGO_NET_RETRY=0", "CARGO_HTTP_TIMEOUT=5"},
                         .registry_host = "crates.io",
                     },
                 .install =
                     {
                         .install_prefix = {"cargo", "install", "--color", "never"},
                         .remove_prefix = {"cargo", "uninstall", "--color", "never"},
                         // `cargo install NAME@VERSION` at the candidate pkg outdated showed (cargo replaces
                         // the installed version), --locked: the Cargo.lock the crate was published with, as
                         // its author tested it (without it cargo resolves every dependency anew, and a
                         // semver- compatible release of one can break the build). No upgrade-all: --all
                         // takes the outdated names that are not skipped (git/path installs, chosen
                         // features).
                         .upgrade_prefix = {"cargo", "install", "--color", "never", "--locked"},
                         .upgrade_candidate_separator = "@",
                     },
                 .inventory = {.method = InventoryMethod::native_cargo},
             };
         }},
        {"gem",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "RubyGems",
                 .kind = K::language,
                 .executables = {"gem"},
                 .install_privilege = P::user,
                 .bin = k_prefix_bin,
                 // Debian's rubygems installs into /var/lib/gems/X.Y.0 with executables in /usr/local/bin, a
                 // GEM_HOME into $GEM_HOME(/bin): only gem itself knows, so `pkg paths` asks it.
                 .paths_query = {.argv = {"{exe}", "environment"},
                                 .prefix_key = "INSTALLATION DIRECTORY",
                                 .bin_key = "EXECUTABLE DIRECTORY"},
                 .version_argv = {"{exe}", "--version"},
                 .search =
                     {
                         .method = SearchMethod::command,
                         .argv = {"{exe}", "search", "--remote", "{query}"},
                         .parser = "gem",
                         .registry_host = "rubygems.org",
                     },
                 .install =
                     {
                         .install_prefix = {"gem", "install", "--no-document"},
                         .remove_prefix = {"gem", "uninstall", "--all", "--executables"},
                         .upgrade_prefix = {"gem", "update", "--no-document"},
                         .upgrade_all_prefix = {"gem", "update", "--no-document"},
                     },
                 .inventory = {.method = InventoryMethod::native_gem},
             };
         }},
        {"go",
         [](std::string_view id) {
             return Manager{
                 .id = id,
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
                         .why_not =
                             "go has no uninstall command; delete the binary from $(go env GOPATH)/bin",
                     },
             };
         }},
        {"composer",
         [](std::string_view id) {
             return Manager{
                 .id = id,
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
             };
         }},
        {"cpanm",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "cpanminus",
                 .kind = K::language,
                 .executables = {"cpanm"},
                 .install_privilege = P::user,
                 .prefix = {"{home}/perl5"},
                 .bin = k_prefix_bin,
                 .version_argv = {"{exe}", "--version"},
             };
         }},
        {"luarocks",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "LuaRocks",
                 .kind = K::language,
                 .executables = {"luarocks"},
                 .install_privilege = P::user,
                 .prefix = {"{home}/.luarocks"},
                 .bin = k_prefix_bin,
                 .version_argv = {"{exe}", "--version"},
             };
         }},
        {"opam",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "opam",
                 .kind = K::language,
                 .executables = {"opam"},
                 .install_privilege = P::user,
                 .prefix = {"{env:OPAMROOT}", "{home}/.opam"},
                 .bin = {"{prefix}/default/bin"},
                 .version_argv = {"{exe}", "--version"},
             };
         }},
        {"cabal",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "Cabal",
                 .kind = K::language,
                 .executables = {"cabal"},
                 .well_known = {"{home}/.ghcup/bin/cabal"},
                 .install_privilege = P::user,
                 .prefix = {"{home}/.cabal"},
                 .bin = {"{prefix}/bin", "{home}/.local/bin"},
                 .version_argv = {"{exe}", "--numeric-version"},
             };
         }},
        {"dotnet",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = ".NET tools (NuGet)",
                 .kind = K::language,
                 .executables = {"dotnet"},
                 .well_known = {"{home}/.dotnet/dotnet", "/usr/share/dotnet/dotnet",
                                "/usr/local/share/dotnet/dotnet"},
                 .install_privilege = P::user,
                 .prefix = {"{home}/.dotnet"},
                 .bin = {"{prefix}/tools"}, // `dotnet tool install -g` puts tools here
                 .version_argv = {"{exe}", "--version"},
             };
         }},
        {"vcpkg",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "vcpkg",
                 .kind = K::language,
                 .executables = {"vcpkg"},
                 .well_known = {"{env:VCPKG_ROOT}/vcpkg"},
                 .install_privilege = P::user,
                 .prefix = {"{env:VCPKG_ROOT}"},
                 .version_argv = {"{exe}", "version"},
             };
         }},
        {"conan",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "Conan",
                 .kind = K::language,
                 .executables = {"conan"},
                 .install_privilege = P::user,
                 .prefix = {"{env:CONAN_HOME}", "{home}/.conan2"},
                 .version_argv = {"{exe}", "--version"},
             };
         }},
        {"spack",
         [](std::string_view id) {
             return Manager{
                 .id = id,
                 .display_name = "Spack",
                 .kind = K::language,
                 .platforms = Platform::unix_like,
                 .executables = {"spack"},
                 .well_known = {"{env:SPACK_ROOT}/bin/spack"},
                 .install_privilege = P::user,
                 .version_argv = {"{exe}", "--version"},
             };
         }},
    };
    return k_entries;
}

} // namespace zsyncctl::pkg::registry_parts
