#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <vector>

#include "cli/context.hpp"
#include "cli/install_run.hpp"
#include "cli/prompt.hpp"
#include "cli/search_board.hpp"
#include "pkg/detect/detect.hpp"
#include "pkg/install/install_choice.hpp"
#include "pkg/install/install_plan.hpp"
#include "pkg/inventory/inventory.hpp"
#include "pkg/search/search_types.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

// Which manager an install or remove goes to: --manager, a M:NAME prefix, or a search of every manager.

namespace zsyncctl::cli {

namespace {

// For a removal: the detected managers that can remove by name whose databases zsyncctl reads (pkg list's
// inventory) say which of them have every name installed; that is offline, and it knows packages no
// repository has (pip's and gem's, which have no usable search here; a .deb installed from a file). The
// other managers that can remove are asked by search, whose hits say what is installed. Both in the
// detected order, in find_managers_with's shape.
util::Result<pkg::ManagerSearchResult>
find_installed(Context& context, const std::vector<pkg::PackageRequest>& reqs,
               const std::function<void(const pkg::ManagerSearchProgress&)>& progress) {
    auto detect_context = pkg::DetectContext::current(context.root());
    auto detection = pkg::detect_managers(detect_context,
                                          context.options.no_cache ? pkg::UseCache::no : pkg::UseCache::yes);
    std::vector<std::string> order; // every detected manager that can remove by name, once
    std::vector<std::string> read;  // of them, those whose installed packages are read natively
    std::vector<std::string> asked; // the rest, asked by search
    for (const auto& d : detection.managers) {
        std::string id(d.manager->id);
        const pkg::Manager* manager = pkg::find_installable_manager(id);
        if (manager == nullptr || !pkg::can_perform(*manager, pkg::Operation::remove) ||
            std::find(order.begin(), order.end(), id) != order.end()) {
            continue;
        }
        order.push_back(id);
        (manager->inventory.method != pkg::InventoryMethod::none ? read : asked).push_back(id);
    }
    pkg::ManagerSearchResult result;
    if (order.empty()) {
        return util::fail(util::ErrorKind::not_found,
                          "no package manager that can remove by name was detected here",
                          "name one with --manager M or M:NAME");
    }
    std::vector<pkg::ManagerCandidate> from_databases;
    if (!read.empty()) {
        pkg::InventoryRequest request;
        request.kind = pkg::InventoryKind::list;
        request.root = context.root();
        request.managers = read;
        request.use_cache = !context.options.no_cache;
        request.runtime = &context.runtime();
        auto reports = pkg::run_inventory(request, context.runtime().token());
        if (!reports) {
            return util::fail(std::move(reports).error());
        }
        for (const auto& report : *reports) {
            if (report.status != pkg::InventoryStatus::ok) {
                result.failures.push_back(
                    report.manager + ": " +
                    (report.error.empty() ? std::string(pkg::to_string(report.status)) : report.error));
                continue;
            }
            pkg::ManagerCandidate candidate{report.manager, {}, true};
            for (const auto& r : reqs) {
                auto it = std::find_if(
                    report.packages.begin(), report.packages.end(), [&r](const pkg::InstalledPackage& p) {
                        return p.present &&
                               pkg::query_matches({r.base_name, pkg::MatchMode::exact, 0}, p.name, {}) &&
                               (r.arch.empty() || p.architecture == r.arch);
                    });
                if (it == report.packages.end()) {
                    break;
                }
                candidate.versions.push_back(it->version);
            }
            if (candidate.versions.size() == reqs.size()) {
                from_databases.push_back(std::move(candidate));
            }
        }
    }
    pkg::ManagerSearchResult searched;
    if (!asked.empty()) {
        std::vector<std::string> names;
        for (const auto& r : reqs) {
            names.push_back(r.base_name);
        }
        auto found =
            pkg::find_managers_with(names, pkg::Operation::remove, context.root(), !context.options.no_cache,
                                    std::chrono::seconds(20), context.runtime(), progress, &asked);
        if (!found) {
            return util::fail(std::move(found).error());
        }
        searched = std::move(*found);
    }
    for (const std::string& id : order) {
        for (auto* list : {&from_databases, &searched.candidates}) {
            for (auto& c : *list) {
                if (c.manager == id) {
                    result.candidates.push_back(std::move(c));
                }
            }
        }
    }
    result.searched = order;
    result.failures.insert(result.failures.end(), searched.failures.begin(), searched.failures.end());
    return result;
}

// No manager named: the names are looked up, as exact names, with every detected manager (for a removal,
// among what each has installed: find_installed). One has them all: it is used. Several: a terminal user
// picks one (`ask`), anyone else gets exit 2 and the list.
std::optional<ManagerChoice> choose_by_search(Context& context, const std::vector<pkg::PackageRequest>& reqs,
                                              pkg::Operation op, bool ask, JsonState& json) {
    std::vector<std::string> names;
    bool arch_qualified = false;
    for (const auto& r : reqs) {
        names.push_back(r.base_name);
        arch_qualified = arch_qualified || !r.arch.empty();
    }
    std::string wanted = util::join(names, " ");
    if (!context.options.json && !context.options.quiet) {
        context.out.info(op == pkg::Operation::remove
                             ? "looking for " + wanted +
                                   " among what every package manager here has installed ..."
                             : "looking for " + wanted + " with every package manager detected here ...");
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
    auto found = op == pkg::Operation::remove
                     ? find_installed(context, reqs, progress)
                     : pkg::find_managers_with(names, op, context.root(), !context.options.no_cache,
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
            if (!found->failures.empty()) {
                hint += "; could not read: " + util::sanitize_for_display(util::join(found->failures, "; "));
            }
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

// A name written as a path ("./x.deb", "../x.rpm", "/tmp/x.whl": apt's own rule for a file) is a package
// file, not a name to search for: what the file is names the manager that installs it, and the path is
// never sent to a registry. Names with a '/' inside (npm's @scope/name, flatpak refs) are names.
bool is_package_path(const std::string& name) {
    return name.starts_with("/") || name.starts_with("./") || name.starts_with("../");
}

// The managers that install a file of this kind by its path, in preference order; empty when none here
// does (pacman takes files with -U, not the -S zsyncctl runs).
std::vector<std::string_view> managers_for_file(std::string_view path) {
    if (path.ends_with(".deb")) {
        return {"apt"};
    }
    if (path.ends_with(".rpm")) {
        return {"dnf", "yum", "zypper"};
    }
    if (path.ends_with(".whl")) {
        return {"pip"};
    }
    if (path.ends_with(".gem")) {
        return {"gem"};
    }
    return {};
}

// Package files: the detected manager their kind names (one kind for all of them). nullopt when no name is
// a path.
std::optional<ManagerChoice> choose_by_file(Context& context, const std::vector<pkg::PackageRequest>& reqs,
                                            pkg::Operation op) {
    bool any = false;
    for (const auto& r : reqs) {
        any = any || is_package_path(r.name);
    }
    if (!any) {
        return std::nullopt;
    }
    std::optional<std::vector<std::string_view>> kinds;
    for (const auto& r : reqs) {
        std::string shown = util::sanitize_for_display(r.name);
        if (op != pkg::Operation::install || !is_package_path(r.name)) {
            raise_usage(op != pkg::Operation::install
                            ? "'" + shown + "' is a path: only pkg install takes package files"
                            : "package files and package names cannot be mixed in one install",
                        "name the package, or install the files with a command of their own");
        }
        struct stat st {};
        if (::stat(r.name.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
            raise_usage("no package file " + shown, "give the path of a .deb, .rpm, .whl or .gem file");
        }
        auto managers = managers_for_file(r.name);
        if (managers.empty()) {
            raise_usage("zsyncctl does not know which manager installs " + shown,
                        "name it: --manager M (apt takes .deb, dnf/yum/zypper .rpm, pip .whl, gem .gem)");
        }
        if (kinds && *kinds != managers) {
            raise_usage("the package files are of different kinds",
                        "install each kind with a command of its own");
        }
        kinds = managers;
    }
    auto detection = pkg::detect_managers(pkg::DetectContext::current(context.root()),
                                          context.options.no_cache ? pkg::UseCache::no : pkg::UseCache::yes);
    for (std::string_view id : *kinds) {
        if (!detection.find(id).empty() && pkg::find_installable_manager(id) != nullptr) {
            if (!context.options.json) {
                context.out.info("using " + std::string(id) + ": it installs " +
                                 util::sanitize_for_display(reqs.front().name) +
                                 (reqs.size() > 1 ? " and the other files" : ""));
            }
            return ManagerChoice{std::string(id), "file", {std::string(id)}};
        }
    }
    std::vector<std::string> wanted(kinds->begin(), kinds->end());
    raise(util::make_error(util::ErrorKind::not_found,
                           "no manager that installs " + util::sanitize_for_display(reqs.front().name) +
                               " was detected here (" + util::join(wanted, ", ") + ")",
                           "install it with that manager, or name another with --manager M"));
}

} // namespace

// Chooses the manager: --manager wins, then a manager:name prefix (all prefixes must agree), then a search.
// nullopt: the user declined to choose.
std::optional<ManagerChoice> choose_manager(Context& context, const std::string& manager_option,
                                            const std::vector<pkg::PackageRequest>& reqs, pkg::Operation op,
                                            bool ask, JsonState& json) {
    // As root a package file runs its scripts as root: one another user controls (the file, or a directory
    // on the way they could swap it in) could be replaced between the simulation shown and the run.
    if (::geteuid() == 0) {
        for (const auto& r : reqs) {
            if (!is_package_path(r.name)) {
                continue;
            }
            std::error_code ec;
            auto full = std::filesystem::absolute(r.name, ec);
            struct stat st {};
            bool writable = ::stat(r.name.c_str(), &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
            if (ec || writable || !util::root_may_trust(full)) {
                raise_usage(
                    "refusing to install " + util::sanitize_for_display(r.name) +
                        " as root: another user controls the file or a directory on its way, or may write it",
                    "copy it where only root can write (for example /root) and install that copy");
            }
        }
    }
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
    if (auto by_file = choose_by_file(context, reqs, op)) {
        return by_file;
    }
    return choose_by_search(context, reqs, op, ask, json);
}

} // namespace zsyncctl::cli
