#include "cli/search_installed.hpp"

#include "pkg/inventory/installed_count.hpp"

namespace zsyncctl::cli {

std::function<std::optional<std::size_t>(const pkg::Manager&)> installed_counter(const util::Root& root) {
    return [root](const pkg::Manager& manager) {
        return pkg::installed_package_count(manager, root);
    };
}

} // namespace zsyncctl::cli
