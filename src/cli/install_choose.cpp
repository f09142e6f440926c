#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/context.hpp"
#include "cli/install_run.hpp"
#include "cli/prompt.hpp"
#include "cli/search_board.hpp"
#include "pkg/install/install_choice.hpp"
#include "pkg/install/install_plan.hpp"
#include "util/strings.hpp"

// Which manager an install or remove goes to: --manager, a M:NAME prefix, or a search of every manager.

namespace zsyncctl::cli {

namespace {

// No manager named: the names are looked up, as exact names, with every detected manager. One has them
// all: it is used. Several: a terminal user picks one (`ask`), anyone else gets exit 2 and the list.
std::optional<ManagerChoice> choose_by_search(Context& context, const std::vector<std::string>& names,
                                              pkg::Operation op, bool ask, bool arch_qualified,
                                              JsonState& json) {
    std::string wanted = util::join(names, " ");
    if (!context.options.json && !context.options.quiet) {
        context.out.info("looking for " + wanted + " with every package manager detected here ...");
    }
    // On a terminal the search shows the same per-manager board as `pkg search` while it runs.
    std::optional<SearchBoard> board;
    std::function<void(const pkg::ManagerSearchProgress&)> progress;
    if (!context.options.json && !context.options.quiet && context.out.stderr_is_tty()) {
        board.emplace(context.out);
        progress = [&board](const pkg::ManagerSearchProgress& p) {
            board->draw(p.reports, p.finished, p.elapsed_ms);
        };
    }
    auto found = pkg::find_managers_with(names, op, context.root(), !context.options.no_cache,
                                         std::chrono::seconds(20), context.runtime(), progress);
    if (!found) {
        raise(std::move(found).error());
    }
    if (arch_qualified) { // "libc6:i386": only managers whose names take an architecture qualifier
        std::erase_if(found->candidates, [](const pkg::ManagerCandidate& c) {
            const pkg::Manager* m = pkg::find_manager(c.manager);
            return m == nullptr || m->install.arch_separator.empty();
        });
    }
    std::vector<std::string> candidates;
    for (const auto& c : found->candidates) {
        candidates.push_back(c.manager);
    }
    auto describe = [&](const pkg::ManagerCandidate& c) {
        std::string text = c.manager;
        std::vector<std::string> versions;
        for (const auto& v : c.versions) {
            if (!v.empty()) {
                versions.push_back(v);
            }
        }
        if (!versions.empty()) {
            text += " (" + util::sanitize_for_display(util::join(versions, ", ")) + ")";
        }
        if (c.all_installed) {
            text += " [installed]";
        }
        return text;
    };
    if (found->candidates.empty()) {
        std::string hint = "searched: " + util::join(found->searched, ", ");
        if (op == pkg::Operation::remove) {
            raise(util::make_error(util::ErrorKind::not_found,
                                   "no detected package manager has " +
                                       std::string(names.size() == 1 ? "" : "all of ") + wanted +
                                       " installed; nothing removed",
                                   hint));
        }
        if (!found->failures.empty()) {
            hint += "; could not search: " + util::sanitize_for_display(util::join(found->failures, "; "));
        }
        raise(util::make_error(util::ErrorKind::not_found,
                               "no detected package manager has " +
                                   std::string(names.size() == 1 ? "" : "all of ") + wanted,
                               hint));
    }
    if (found->candidates.size() == 1) {
        const auto& only = found->candidates.front();
        if (!context.options.json) {
            context.out.info("using " + only.manager + ": the only detected manager that has " + wanted +
                             " (" + describe(only) + ")");
        }
        return ManagerChoice{only.manager, "search", candidates};
    }
    if (!ask) {
        json.error_extra = {{"names", names}, {"candidates", candidates}};
        raise_usage("several package managers have " + wanted + ": " + util::join(candidates, ", "),
                    "pick one with --manager M or write M:NAME");
    }
    std::fprintf(stderr, "Several package managers have %s:\n", wanted.c_str());
    for (std::size_t i = 0; i < found->candidates.size(); ++i) {
        std::fprintf(stderr, "  %zu) %s\n", i + 1, describe(found->candidates[i]).c_str());
    }
    auto picked = ask_number(found->candidates.size(), context.runtime().token());
    if (!picked) {
        return std::nullopt;
    }
    return ManagerChoice{found->candidates[*picked].manager, "search", candidates, true};
}

} // namespace

// Chooses the manager: --manager wins, then a manager:name prefix (all prefixes must agree), then a search.
// nullopt: the user declined to choose.
std::optional<ManagerChoice> choose_manager(Context& context, const std::string& manager_option,
                                            const std::vector<pkg::PackageRequest>& reqs, pkg::Operation op,
                                            bool ask, JsonState& json) {
    std::optional<std::string> from_prefix;
    for (const auto& r : reqs) {
        if (r.manager) {
            if (from_prefix && *from_prefix != *r.manager) {
                raise_usage("the names ask for different managers (" + *from_prefix + " and " + *r.manager +
                                ")",
                            "run one command per manager");
            }
            from_prefix = r.manager;
        }
    }
    if (!manager_option.empty()) {
        if (pkg::find_installable_manager(manager_option) == nullptr) {
            bool known = pkg::find_manager(manager_option) != nullptr;
            raise_usage(
                known ? manager_option + " cannot " + std::string(pkg::to_string(op)) + " packages by name"
                      : "unknown package manager '" + util::sanitize_for_display(manager_option) + "'",
                "managers that can " + std::string(pkg::to_string(op)) + ": " + managers_that_can_text(op));
        }
        if (from_prefix && *from_prefix != manager_option) {
            context.out.warning("--manager " + manager_option + " wins over the '" + *from_prefix +
                                ":' prefix");
        }
        return ManagerChoice{manager_option, "option", {}};
    }
    if (from_prefix) {
        return ManagerChoice{*from_prefix, "prefix", {}};
    }
    std::vector<std::string> names;
    bool arch_qualified = false;
    for (const auto& r : reqs) {
        names.push_back(r.base_name);
        arch_qualified = arch_qualified || !r.arch.empty();
    }
    return choose_by_search(context, names, op, ask, arch_qualified, json);
}

} // namespace zsyncctl::cli
