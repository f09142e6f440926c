#pragma once

#include <string>
#include <vector>

#include "core/cancellation.hpp"
#include "core/runtime.hpp"
#include "pkg/inventory/command_path.hpp"
#include "pkg/inventory/inventory_types.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// What an inventory command reports.
enum class InventoryKind { list, outdated, which, info };

/// One `pkg list` / `pkg outdated` run.
struct InventoryRequest {
    InventoryKind kind = InventoryKind::list;
    util::Root root;                   ///< the machine whose databases are read (never executed)
    std::vector<std::string> managers; ///< registry ids; empty: every detected manager
    bool use_cache = true;             ///< the detection cache
    std::string query;                 ///< pkg which: a command name or a path; pkg info: the package name
    /// When set, the managers are read at once on its pool (the caller helps); nullptr: one after another.
    core::Runtime* runtime = nullptr;
    /// pkg which: what the query resolves to (resolve_command); run_inventory resolves it when `steps` and
    /// `paths` are both empty.
    CommandResolution which;
};

/// Fails with invalid_input (a hint listing the ids) when a named manager is not in the registry, and for
/// pkg info when the query is no package name (install's validate_package_name: empty, a leading '-',
/// whitespace, control characters, non-ASCII, shell metacharacters or wildcards).
util::Result<void> validate_inventory_request(const InventoryRequest& request);

/// One report per manager (named ones in the order given, a name given twice once; else the detected
/// managers in registry order): each manager's databases read natively by its registry inventory method;
/// a manager without one is reported unsupported, a failed read as error with its message and hint.
/// With request.runtime every manager is read at once on its pool, each report in the same place as
/// without. Checks `token` before each manager and while reading (then the rest are reported cancelled).
/// Fails only like validate_inventory_request.
util::Result<std::vector<InventoryReport>> run_inventory(const InventoryRequest& request,
                                                         const core::CancellationToken& token);

} // namespace zsyncctl::pkg
