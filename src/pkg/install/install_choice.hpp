#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "core/runtime.hpp"
#include "pkg/install/install_plan.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// A manager that has every name asked for, and what its search said about them.
struct ManagerCandidate {
    std::string manager;
    std::vector<std::string> versions; // per name, in request order ("" when the search gave none)
    bool all_installed = false;        // every name is reported installed by this manager
};

/// What an exact-name search over the detected managers found.
struct ManagerSearchResult {
    std::vector<ManagerCandidate> candidates; // in search order (the registry's)
    std::vector<std::string> searched;        // the managers that were asked
    std::vector<std::string> failures;        // "dnf: timeout", for managers that could not answer
};

/// Looks every name up, as an exact name, with every detected manager that can perform `operation`
/// (pkg/search.hpp, all names at once, on `runtime`), and returns the managers that have all of them. For
/// remove, only the managers that report every name installed. Blocking; any thread. Fails
/// with not_found when no detected manager can perform the operation, or the search's own errors.
util::Result<ManagerSearchResult> find_managers_with(const std::vector<std::string>& names,
                                                     Operation operation, const util::Root& root,
                                                     bool use_cache, std::chrono::milliseconds timeout,
                                                     core::Runtime& runtime);

} // namespace zsyncctl::pkg
