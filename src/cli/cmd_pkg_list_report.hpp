#pragma once

#include "cli/cli11.hpp"
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/context.hpp"
#include "pkg/inventory/inventory.hpp"

namespace zsyncctl::cli {

/// The options `pkg list` and `pkg outdated` share.
struct InventoryOptions {
    std::vector<std::string> managers; ///< -m values, each possibly comma-separated
    bool json_lines = false;
    std::string query; ///< pkg which: a command or a path
};

/// The JSON schema version of `pkg list --json` and `pkg outdated --json` (and their --json-lines
/// records); raised when a field changes meaning or goes away.
inline constexpr int k_inventory_schema_version = 1;

/// The --json document of `pkg list`, `pkg outdated` or `pkg which` (`query`) for the inventory's reports:
/// what the command prints and what `zsyncctl serve` answers on /v1/list and /v1/outdated.
nlohmann::json inventory_document(pkg::InventoryKind kind, const std::vector<pkg::InventoryReport>& reports,
                                  const std::string& query = {},
                                  const pkg::CommandResolution* which = nullptr);

/// inventory_document's text (json_text, pretty) written a piece at a time: `emit` gets blocks of about
/// 64 KiB, each a run of whole lines without its last newline (what Output::line takes), one package,
/// outdated package or owner at a time, never the whole document (nor its tree) in memory.
void stream_inventory_document(pkg::InventoryKind kind, const std::vector<pkg::InventoryReport>& reports,
                               const std::string& query, const pkg::CommandResolution* which,
                               const std::function<void(const std::string&)>& emit);

// True when `r` is a low-level tool whose database another report of the run read successfully (dpkg after
// apt, rpm after dnf: one lock group, one database), so it has nothing more to say.
bool read_by_another(const pkg::InventoryReport& r, const std::vector<pkg::InventoryReport>& reports);

// The line for a manager that did not answer: "MANAGER: STATUS (ERROR); HINT", the error left out when it
// only repeats the status (a cancelled reader says "cancelled").
std::string inventory_status_line(const pkg::InventoryReport& r);

/// The "resolved" object of `pkg which --json` (cmd_pkg_which.cpp): the file PATH found, whether PATH found
/// it, each step (links, a pyenv shim), the shim and the note; paths sanitized.
nlohmann::json which_resolution_json(const pkg::CommandResolution& which);

/// Prints `pkg which`'s text report (cmd_pkg_which.cpp): what the query resolves to when a command or a
/// link was followed, the owners per manager; only when nobody owns it the managers that were asked
/// (with what could install it) in one line each; errors always; notes, and the managers that own
/// nothing, with -v.
void print_which_report(const Output& out, const std::vector<pkg::InventoryReport>& reports,
                        const pkg::CommandResolution& which);

/// The --json document of `pkg info NAME` (`query`) for the inventory's reports: what the command prints
/// and what `zsyncctl serve` answers on /v1/info. Never fails.
nlohmann::json info_document(const std::vector<pkg::InventoryReport>& reports, const std::string& query);

/// Runs `pkg list` or `pkg outdated` and prints its report in the one shape of the inventory commands: a
/// table per manager on stdout (failures and notes on stderr), --json one document, --json-lines one
/// record per package then one status record per manager. Returns the documented exit status (list: 0,
/// 3 could not list; outdated: 0 none, 100 some, 3 could not check; 130 interrupted). Raises a usage
/// error for an unknown manager.
ExitCode run_inventory_command(Context& context, pkg::InventoryKind kind, const InventoryOptions& options);

/// Prints `pkg info`'s reports (cmd_pkg_info.cpp) in the inventory commands' shape and returns its exit
/// status: 0 some manager knows the package, 1 none does, 3 a manager could not be read (or, `named`, one
/// named with -m cannot be read yet), 130 interrupted.
ExitCode print_info_report(Context& context, const std::vector<pkg::InventoryReport>& reports, bool named,
                           const InventoryOptions& options);

/// Adds the inventory subcommand `name` of `pkg` (list, outdated, which): its -m and --json-lines options,
/// `footer`, and the action that runs run_inventory_command(kind) with `options`. Returns the subcommand
/// (which adds its own positional).
CLI::App* add_inventory_command(CLI::App& pkg, Context& context, pkg::InventoryKind kind,
                                const std::string& name, const std::string& description,
                                const std::string& footer, const std::shared_ptr<InventoryOptions>& options);

} // namespace zsyncctl::cli
