#pragma once

#include <nlohmann/json.hpp>

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
                                  const std::string& query = {});

/// Runs `pkg list` or `pkg outdated` and prints its report in the one shape of the inventory commands: a
/// table per manager on stdout (failures and notes on stderr), --json one document, --json-lines one
/// record per package then one status record per manager. Returns the documented exit status (list: 0,
/// 3 could not list; outdated: 0 none, 100 some, 3 could not check; 130 interrupted). Raises a usage
/// error for an unknown manager.
ExitCode run_inventory_command(Context& context, pkg::InventoryKind kind, const InventoryOptions& options);

} // namespace zsyncctl::cli
