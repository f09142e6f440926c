#pragma once

#include <cstddef>
#include <functional>
#include <optional>

#include "pkg/registry/registry.hpp"
#include "util/root.hpp"

namespace zsyncctl::cli {

/// The search requests' SearchRequest::installed_count for `root`: pkg::installed_package_count (the
/// inventory's native reading, never fewer than the manager sees). Safe on any thread.
std::function<std::optional<std::size_t>(const pkg::Manager&)> installed_counter(const util::Root& root);

} // namespace zsyncctl::cli
