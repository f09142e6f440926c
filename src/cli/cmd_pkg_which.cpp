#include <CLI/CLI.hpp>

#include <memory>

#include "cli/cmd_pkg_list_report.hpp"

namespace zsyncctl::cli {

void register_pkg_which(CLI::App& pkg, Context& context) {
    auto options = std::make_shared<InventoryOptions>();
    auto* cmd = add_inventory_command(pkg, context, pkg::InventoryKind::which, "which",
                                      "Which installed package ships a command or a file",
                                      "apt/dpkg: dpkg's file lists (/var/lib/dpkg/info/*.list), exact paths "
                                      "as dpkg -S matches them; pacman: the local db's files (pacman -Qo); "
                                      "dnf/yum/zypper: the rpm database (rpm -qf). Nothing is run.\n"
                                      "When no installed package of a manager ships it: the packages that "
                                      "could be installed from apt's Contents indexes (apt-file's "
                                      "/var/lib/apt/lists/*_Contents-*) or pacman's file databases (pacman "
                                      "-Fy), shown apart ('could be installed from', JSON \"providers\").\n"
                                      "Exit status: 0 found, 1 no installed package ships it (even when one "
                                      "could be installed), 2 usage error, "
                                      "3 a manager could not be read, "
                                      "130 interrupted.",
                                      options);
    cmd->add_option("query", options->query,
                    "A path (/usr/bin/ls) or a command name, looked up in /usr/local/sbin, /usr/local/bin, "
                    "/usr/sbin, /usr/bin, /sbin and /bin")
        ->required();
}

} // namespace zsyncctl::cli
