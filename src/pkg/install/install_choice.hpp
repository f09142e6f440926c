#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/runtime.hpp"
#include "pkg/install/install_plan.hpp"
#include "pkg/search/search.hpp"
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

/// The state of find_managers_with's search, for a status board: per searched manager (in `searched`
/// order) its report merged over the names (the first name's failure, else ok with every name's hits;
/// the longest elapsed time), whether every name's search of it has returned, and the time since the
/// search started.
struct ManagerSearchProgress {
    std::vector<ManagerReport> reports;
    std::vector<bool> finished;
    std::int64_t elapsed_ms = 0;
};

/// Looks every name up, as an exact name, with every detected manager that can perform `operation`
/// (pkg/search.hpp, all names at once, on `runtime`), and returns the managers that have all of them. For
/// remove, only the managers that report every name installed. `only`, when set, names the managers to
/// search instead of every detected one (those of them that can perform the operation; none: an empty
/// result). Blocking; any thread. `progress`, when set, is called on the calling thread about every 80 ms
/// and whenever a manager returns, and once at the end. Fails with not_found when no detected manager can
/// perform the operation (without `only`), or the search's own errors.
util::Result<ManagerSearchResult>
find_managers_with(const std::vector<std::string>& names, Operation operation, const util::Root& root,
                   bool use_cache, std::chrono::milliseconds timeout, core::Runtime& runtime,
                   const std::function<void(const ManagerSearchProgress&)>& progress = {},
                   const std::vector<std::string>* only = nullptr);

} // namespace zsyncctl::pkg
