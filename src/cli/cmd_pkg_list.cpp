#include <CLI/CLI.hpp>

#include <memory>

#include "cli/cmd_pkg_list_report.hpp"
#include "cli/completion.hpp"

namespace zsyncctl::cli {

void add_inventory_options(CLI::App& cmd, InventoryOptions& options) {
    complete_with(cmd.add_option("-m,--manager", options.managers,
                                 "Only this manager (one per -m, repeatable, or comma-separated)")
                      ->type_name("M")
                      ->allow_extra_args(false),
                  "detected-managers");
    cmd.add_flag("--json-lines", options.json_lines,
                 "One JSON object per package, then one {\"type\":\"status\"} object per manager");
}

void register_pkg_list(CLI::App& pkg, Context& context) {
    auto options = std::make_shared<InventoryOptions>();
    auto* cmd = pkg.add_subcommand("list", "Installed packages of every detected manager, read from their "
                                           "databases (dpkg status, pacman's local db)");
    add_inventory_options(*cmd, *options);
    cmd->footer("apt/dpkg: every package dpkg-query -W lists (states included: ii, rc, iU, hi), with "
                "apt's explicit/automatic mark and dpkg's hold. pacman: the local db, explicit or "
                "dependency, IgnorePkg/IgnoreGroup shown as held. Nothing is run, nothing refreshed.\n"
                "Exit status: 0 listed, 2 usage error, 3 a manager could not be listed, 130 interrupted.");
    cmd->final_callback([&context, options] {
        context.set_action([&context, options] {
            return run_inventory_command(context, pkg::InventoryKind::list, *options);
        });
    });
}

} // namespace zsyncctl::cli
