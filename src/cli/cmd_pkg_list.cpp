#include "cli/cli11.hpp"

#include <memory>

#include "cli/cmd_pkg_list_report.hpp"
#include "cli/completion.hpp"

namespace zsyncctl::cli {

CLI::App* add_inventory_command(CLI::App& pkg, Context& context, pkg::InventoryKind kind,
                                const std::string& name, const std::string& description,
                                const std::string& footer, const std::shared_ptr<InventoryOptions>& options) {
    auto* cmd = pkg.add_subcommand(name, description);
    complete_with(cmd->add_option("-m,--manager", options->managers,
                                  "Only this manager (one per -m, repeatable, or comma-separated)")
                      ->type_name("M")
                      ->allow_extra_args(false),
                  "detected-managers");
    cmd->add_flag("--json-lines", options->json_lines,
                  "One JSON object per package, then one {\"type\":\"status\"} object per manager");
    cmd->footer(footer);
    cmd->final_callback([&context, kind, options] {
        context.set_action(
            [&context, kind, options] { return run_inventory_command(context, kind, *options); });
    });
    return cmd;
}

void register_pkg_list(CLI::App& pkg, Context& context) {
    add_inventory_command(
        pkg, context, pkg::InventoryKind::list, "list",
        "Installed packages of every detected manager, read from their databases (dpkg "
        "status, pacman's local db, npm's global node_modules, pip's dist-info, gemspecs)",
        "apt/dpkg: every package dpkg-query -W lists (states included: ii, rc, iU, hi), with "
        "apt's explicit/automatic mark and dpkg's hold. pacman: the local db, explicit or "
        "dependency, IgnorePkg/IgnoreGroup shown as held. npm: the package.json of each global package "
        "(NAME and @SCOPE/NAME) under the prefix's lib/node_modules, as npm ls -g --depth=0 (the prefix "
        "as pkg paths npm shows it, NPM_CONFIG_PREFIX first). pip: the dist-info/egg-info metadata of the "
        "site directories of the interpreter pip runs, as pip list. gem: the gemspec file names under "
        "GEM_PATH (else gem environment gempath) and the default gems, as gem list --local. flatpak: the "
        "deploy file of each active ref of the user and system installations (FLATPAK_USER_DIR, "
        "FLATPAK_SYSTEM_DIR), as flatpak list, masked refs held. Nothing else "
        "is run, nothing refreshed.\n"
        "Exit status: 0 listed, 2 usage error, 3 a manager could not be listed, 130/143/129/131 stopped\n"
        "by SIGINT/SIGTERM/SIGHUP/SIGQUIT, 141 the reader of stdout left.",
        std::make_shared<InventoryOptions>());
}

} // namespace zsyncctl::cli
