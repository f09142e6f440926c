#include "pkg/inventory/installed_count.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include "pkg/inventory/inventory.hpp"
#include "pkg/inventory/rpm_db.hpp"
#include "pkg/inventory/rpm_macros.hpp"

namespace zsyncctl::pkg {

std::optional<std::size_t> installed_package_count(const Manager& manager, const util::Root& root) {
    const InventoryMethod method = manager.inventory.method;
    if (method == InventoryMethod::native_rpm || method == InventoryMethod::zypper_xml ||
        method == InventoryMethod::rpm_dnf) {
        std::size_t total = 0;
        // rpm's own %_dbpath too (it may be none of the registry's directories), each directory once.
        std::string why;
        std::vector<std::string> dirs = rpm_database_directories(root, manager.inventory.databases, why);
        for (std::string_view dir : manager.inventory.databases) {
            if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) {
                dirs.emplace_back(dir);
            }
        }
        for (std::string_view dir : dirs) {
            std::string note;
            auto headers = read_rpm_database(root, {dir}, RpmFiles::skip, &note);
            if (headers && !note.empty()) {
                return std::nullopt; // rows left out, or changes still in the -wal file: the manager knows
            }
            if (headers) {
                total += headers->size();
            } else if (headers.error().kind != util::ErrorKind::not_found) {
                return std::nullopt;
            }
        }
        return total;
    }
    InventoryRequest request;
    request.kind = InventoryKind::list;
    request.root = root;
    request.managers = {std::string(manager.id)};
    auto reports = run_inventory(request, core::CancellationToken());
    if (!reports || reports->size() != 1 || reports->front().status != InventoryStatus::ok) {
        return std::nullopt;
    }
    return reports->front().packages.size();
}

} // namespace zsyncctl::pkg
