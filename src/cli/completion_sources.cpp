#include <algorithm>
#include <array>
#include <chrono>
#include <set>

#include "cli/completion.hpp"
#include "cli/context.hpp"
#include "doctor/doctor.hpp"
#include "pkg/detect/detect.hpp"
#include "pkg/install/install_plan.hpp"
#include "pkg/registry/registry.hpp"
#include "pkg/search/backend.hpp"
#include "pkg/search/search.hpp"

namespace zsyncctl::cli {

namespace {

std::vector<std::string> shell_names(Context&, std::string_view) {
    std::vector<std::string> out;
    for (std::string_view s : completion_shells()) {
        out.emplace_back(s);
    }
    return out;
}

std::vector<std::string> search_managers(Context&, std::string_view) {
    std::vector<std::string> out;
    for (const pkg::Manager* m : pkg::search_managers()) {
        out.emplace_back(m->id);
    }
    return out;
}

// What `pkg install --manager` (or `pkg remove --manager`) accepts: entries that can do it.
std::vector<std::string> managers_that_can(pkg::Operation operation) {
    std::vector<std::string> out;
    for (const pkg::Manager* m : pkg::installable_managers()) {
        if (pkg::can_perform(*m, operation)) {
            out.emplace_back(m->id);
        }
    }
    return out;
}

std::vector<std::string> install_managers(Context&, std::string_view) {
    return managers_that_can(pkg::Operation::install);
}

std::vector<std::string> remove_managers(Context&, std::string_view) {
    return managers_that_can(pkg::Operation::remove);
}

std::vector<std::string> upgrade_managers(Context&, std::string_view) {
    return managers_that_can(pkg::Operation::upgrade);
}

std::vector<std::string> refresh_managers(Context&, std::string_view) {
    return managers_that_can(pkg::Operation::refresh);
}

pkg::Detection detection(Context& context) {
    auto detect_context = pkg::DetectContext::current(context.root());
    return pkg::detect_managers(detect_context,
                                context.options.no_cache ? pkg::UseCache::no : pkg::UseCache::yes);
}

// The managers detection finds here (what `pkg paths MANAGER` accepts without "not detected").
std::vector<std::string> detected_managers(Context& context, std::string_view) {
    std::vector<std::string> out;
    for (const pkg::DetectedManager& d : detection(context).managers) {
        std::string id(d.manager->id);
        if (std::find(out.begin(), out.end(), id) == out.end()) {
            out.push_back(std::move(id));
        }
    }
    return out;
}

// Managers whose packages are read from local files (apt lists, pacman sync databases). Homebrew's
// reader may download its API, which a key press must not do.
bool local_index(const pkg::Manager& m) {
    return m.search.method == pkg::SearchMethod::native_apt ||
           m.search.method == pkg::SearchMethod::native_pacman;
}

// Package names for `pkg install WORD`: without a ':', the "manager:" prefixes of the detected managers
// that can install; after "manager:", for a manager read natively (its index, no process, no network
// process), the names starting with the rest.
std::vector<std::string> install_names(Context& context, std::string_view word) {
    std::vector<std::string> out;
    pkg::Detection found = detection(context);
    auto colon = word.find(':');
    if (colon == std::string_view::npos) {
        for (const pkg::DetectedManager& d : found.managers) {
            const pkg::Manager* m = pkg::find_installable_manager(d.manager->id);
            if (m == nullptr || !pkg::can_perform(*m, pkg::Operation::install)) {
                continue; // dpkg, nala: known, but they cannot install by name
            }
            std::string prefix = std::string(d.manager->id) + ":";
            if (std::find(out.begin(), out.end(), prefix) == out.end()) {
                out.push_back(std::move(prefix));
            }
        }
        return out;
    }
    std::string_view id = word.substr(0, colon);
    std::string_view name = word.substr(colon + 1);
    const pkg::Manager* manager = pkg::find_installable_manager(id);
    if (manager == nullptr || !local_index(*manager) || name.empty()) {
        return out;
    }
    auto detected = found.find(id);
    pkg::BackendEnv env;
    env.runtime = &context.runtime();
    env.root = context.root();
    env.use_cache = !context.options.no_cache;
    env.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    auto backend = pkg::make_search_backend(*manager, detected.empty() ? nullptr : detected.front(), env);
    if (!backend->present()) {
        return out;
    }
    pkg::SearchQuery query;
    query.text = std::string(name);
    auto outcome = backend->search(query, context.runtime().token()).wait_for(std::chrono::seconds(5));
    if (!outcome || outcome->status != pkg::ManagerStatus::ok) {
        return out;
    }
    std::set<std::string> names;
    for (const pkg::SearchHit& hit : outcome->hits) {
        if (hit.name.compare(0, name.size(), name) == 0) {
            names.insert(std::string(id) + ":" + hit.name);
        }
    }
    out.assign(names.begin(), names.end());
    return out;
}

std::vector<std::string> doctor_checks(Context&, std::string_view) {
    std::vector<std::string> out;
    for (const doctor::CheckInfo& c : doctor::check_catalog()) {
        out.emplace_back(c.id);
    }
    return out;
}

// The named value sources behind `zsyncctl __complete <kind> [WORD]`, one line each. A command attaches
// one to an option or positional with complete_with(option, "<kind>").
constexpr std::array k_value_sources{
    ValueSource{"shells", "shells `zsyncctl completion` writes scripts for", &shell_names},
    ValueSource{"search-managers", "managers `pkg search --manager` accepts", &search_managers},
    ValueSource{"install-managers", "managers `pkg install --manager` accepts", &install_managers},
    ValueSource{"remove-managers", "managers `pkg remove --manager` accepts", &remove_managers},
    ValueSource{"upgrade-managers", "managers `pkg upgrade --manager` accepts", &upgrade_managers},
    ValueSource{"refresh-managers", "managers `pkg refresh --manager` accepts", &refresh_managers},
    ValueSource{"detected-managers", "the managers detected here", &detected_managers},
    ValueSource{"install-names", "MANAGER: prefixes, then package names from a native index", &install_names},
    ValueSource{"doctor-checks", "doctor check ids", &doctor_checks},
};

} // namespace

std::span<const ValueSource> value_sources() {
    return k_value_sources;
}

} // namespace zsyncctl::cli
