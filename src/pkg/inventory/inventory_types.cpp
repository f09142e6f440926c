#include "pkg/inventory/inventory_types.hpp"

namespace zsyncctl::pkg {

std::string_view to_string(InventoryStatus status) {
    switch (status) {
    case InventoryStatus::ok:
        return "ok";
    case InventoryStatus::error:
        return "error";
    case InventoryStatus::unsupported:
        return "unsupported";
    case InventoryStatus::skipped:
        return "skipped";
    case InventoryStatus::cancelled:
        return "cancelled";
    }
    return "error";
}

std::string_view to_string(InstallReason reason) {
    switch (reason) {
    case InstallReason::explicit_install:
        return "explicit";
    case InstallReason::dependency:
        return "dependency";
    case InstallReason::unknown:
        return "unknown";
    }
    return "unknown";
}

} // namespace zsyncctl::pkg
