#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include "cli/completion.hpp"
#include "cli/context.hpp"
#include "cli/exit_code.hpp"
#include "cli/install_run.hpp"
#include "cli/json.hpp"
#include "pkg/install/install_plan.hpp"
#include "pkg/inventory/inventory.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

struct UpgradeArgs {
    std::vector<std::string> names;
    bool all = false;
    std::string manager;
    RunConsent consent;
};

// What `pkg outdated` finds for `managers` (empty: every detected one), read natively; raises an
// interruption, never a manager's failure (its report says it).
std::vector<pkg::InventoryReport> outdated_reports(Context& context, std::vector<std::string> managers) {
    pkg::InventoryRequest request;
    request.kind = pkg::InventoryKind::outdated;
    request.root = context.root();
    request.managers = std::move(managers);
    request.use_cache = !context.options.no_cache;
    auto run = pkg::run_inventory(request, context.runtime().token());
    if (!run) {
        raise(std::move(run).error());
    }
    if (context.runtime().token().is_cancelled()) {
        raise(util::make_error(util::ErrorKind::interrupted, "interrupted; nothing was run"));
    }
    return std::move(*run);
}

// True when `outdated` is the package `name` asks for ("libc6", "libc6:i386").
bool names_package(const std::string& name, const pkg::OutdatedPackage& outdated) {
    if (name == outdated.name) {
        return true;
    }
    auto colon = name.find(':');
    return colon != std::string::npos && name.substr(0, colon) == outdated.name &&
           (outdated.architecture.empty() || name.substr(colon + 1) == outdated.architecture);
}

// The packages of `report` the names ask for (all of them without names).
std::vector<const pkg::OutdatedPackage*> wanted(const pkg::InventoryReport& report,
                                                const std::vector<std::string>& names) {
    std::vector<const pkg::OutdatedPackage*> out;
    for (const auto& p : report.outdated) {
        bool asked = names.empty();
        for (const std::string& name : names) {
            asked = asked || names_package(name, p);
        }
        if (asked) {
            out.push_back(&p);
        }
    }
    return out;
}

// Without --manager: the detected managers that can upgrade and have something the names ask for
// outdated. One is used; several are a usage error naming them (one manager per run); none: nothing to do.
std::optional<std::string> choose_upgrade_manager(Context& context, const std::vector<std::string>& names) {
    std::vector<std::string> with_upgrades;
    for (const auto& report : outdated_reports(context, {})) {
        const pkg::Manager* m = pkg::find_installable_manager(report.manager);
        if (m == nullptr || !pkg::can_perform(*m, pkg::Operation::upgrade) ||
            report.status != pkg::InventoryStatus::ok) {
            continue;
        }
        for (const auto* p : wanted(report, names)) {
            if (p->skip_reason.empty()) {
                with_upgrades.push_back(report.manager);
                break;
            }
        }
    }
    if (with_upgrades.empty()) {
        return std::nullopt;
    }
    if (with_upgrades.size() > 1) {
        raise_usage("several package managers have upgrades: " + util::join(with_upgrades, ", "),
                    "upgrade with one at a time: --manager M");
    }
    return with_upgrades.front();
}

// Nothing to run: the text line, or with --json the one "done" event (with what was skipped).
ExitCode nothing_to_upgrade(Context& context, const std::string& manager,
                            const std::vector<std::string>& names, const nlohmann::json& skipped,
                            JsonState& json) {
    if (!context.options.json) {
        context.out.info("nothing to upgrade" + (manager.empty() ? std::string() : " with " + manager));
        return ExitCode::success;
    }
    nlohmann::json done = {{"event", "done"},
                           {"manager", manager.empty() ? nlohmann::json(nullptr) : nlohmann::json(manager)},
                           {"operation", "upgrade"},
                           {"names", names},
                           {"exit_code", 0},
                           {"success", true},
                           {"interrupted", false},
                           {"changed", false},
                           {"result", "up_to_date"},
                           {"skipped", skipped}};
    context.out.line(json_text(done, JsonLayout::line));
    context.out.flush();
    json.finished = true;
    return ExitCode::success;
}

ExitCode run_upgrade(Context& context, const UpgradeArgs& args, JsonState& json) {
    if (args.names.empty() && !args.all) {
        raise_usage("name the packages to upgrade, or pass --all", "zsyncctl pkg outdated shows them");
    }
    if (!args.names.empty() && args.all) {
        raise_usage("--all upgrades everything: give it no package names");
    }
    std::vector<std::string> names;
    std::string manager = args.manager;
    for (const std::string& text : args.names) {
        auto r = pkg::parse_package_request(text);
        if (!r) {
            raise(std::move(r).error());
        }
        if (r->manager) {
            if (!manager.empty() && *r->manager != manager) {
                raise_usage("the names ask for different managers (" + manager + " and " + *r->manager + ")",
                            "run one command per manager");
            }
            manager = *r->manager;
        }
        names.push_back(r->name);
    }
    if (!manager.empty()) {
        const pkg::Manager* m = pkg::find_installable_manager(manager);
        if (m == nullptr || !pkg::can_perform(*m, pkg::Operation::upgrade)) {
            raise_usage(pkg::find_manager(manager) != nullptr
                            ? manager + " cannot upgrade packages"
                            : "unknown package manager '" + util::sanitize_for_display(manager) + "'",
                        "managers that can upgrade: " + managers_that_can_text(pkg::Operation::upgrade));
        }
    }
    bool on_terminal = ::isatty(STDIN_FILENO) == 1 && context.out.stderr_is_tty() && !context.options.json;
    bool ask_user = on_terminal && !args.consent.yes;
    std::string chosen_by = args.manager.empty() && !manager.empty() ? "prefix" : "option";
    if (manager.empty()) {
        auto found = choose_upgrade_manager(context, names);
        if (!found) {
            return nothing_to_upgrade(context, "", names, nlohmann::json::array(), json);
        }
        manager = *found;
        chosen_by = "search";
        if (!context.options.json) {
            context.out.info("using " + manager + ": the only detected manager with upgrades");
        }
    }

    // Held, pinned or ignored packages are shown as skipped, and a name asking for one is left out: the
    // manager's own upgrade-all keeps them back, but by name it would take them.
    const pkg::Manager* entry = pkg::find_manager(manager);
    std::vector<std::string> planned = names;
    nlohmann::json skipped = nlohmann::json::array();
    if (entry != nullptr && entry->inventory.method != pkg::InventoryMethod::none) {
        auto reports = outdated_reports(context, {manager});
        if (!reports.empty() && reports.front().status == pkg::InventoryStatus::ok) {
            const auto& report = reports.front();
            std::vector<std::string> upgradable;
            for (const auto* p : wanted(report, names)) {
                if (!p->skip_reason.empty()) {
                    skipped.push_back({{"name", p->name},
                                       {"installed_version", p->installed},
                                       {"candidate", p->candidate},
                                       {"skip_reason", p->skip_reason}});
                    context.out.info("skipping " + util::sanitize_for_display(p->name) + " (" +
                                     p->skip_reason + "): " + util::sanitize_for_display(p->installed) +
                                     " stays, " + util::sanitize_for_display(p->candidate) +
                                     " is not installed");
                }
            }
            for (const std::string& name : names) {
                bool found = false;
                bool skipped = false;
                for (const auto& p : report.outdated) {
                    if (names_package(name, p)) {
                        found = true;
                        skipped = skipped || !p.skip_reason.empty();
                    }
                }
                if (!found) {
                    context.out.info(util::sanitize_for_display(name) + " is up to date or not installed (" +
                                     manager + ")");
                } else if (!skipped) {
                    upgradable.push_back(name);
                }
            }
            if (!names.empty()) {
                if (upgradable.empty()) {
                    return nothing_to_upgrade(context, manager, names, skipped, json);
                }
                planned = std::move(upgradable);
            } else if (entry->install.upgrade_all_prefix.empty()) {
                // No upgrade-all of its own (pip): every outdated package that is not skipped, by name.
                for (const auto& p : report.outdated) {
                    if (p.skip_reason.empty()) {
                        planned.push_back(p.name);
                    }
                }
                if (planned.empty()) {
                    return nothing_to_upgrade(context, manager, names, skipped, json);
                }
            }
        } else if (names.empty() && entry->install.upgrade_all_prefix.empty() && !reports.empty()) {
            raise(util::make_error(util::ErrorKind::command_failed,
                                   manager + " cannot tell what is outdated: " + reports.front().error,
                                   reports.front().hint));
        }
    }

    pkg::PlanOptions plan_options;
    plan_options.prompts = ask_user ? pkg::Prompts::ask_terminal : pkg::Prompts::answer_defaults;
    pkg::InstallPlan plan = make_plan(context, manager, pkg::Operation::upgrade, planned, plan_options);
    ManagerChoice choice{manager, chosen_by, {}};
    if (chosen_by == "search") {
        choice.candidates = {manager};
    }
    if (context.options.json && !args.consent.dry_run && !skipped.empty()) {
        // Part of the run's event stream, before the manager's own events.
        for (const auto& s : skipped) {
            nlohmann::json event = s;
            event["event"] = "skipped";
            event["manager"] = manager;
            context.out.line(json_text(event, JsonLayout::line));
        }
        context.out.flush();
        json.events_started = true;
    }
    return run_plan(context, choice, plan, plan_options, {args.consent.yes, args.consent.dry_run, ask_user},
                    json);
}

} // namespace

void register_pkg_upgrade(CLI::App& pkg, Context& context) {
    auto* cmd = pkg.add_subcommand("upgrade", "Upgrade installed packages with their manager, with progress");
    auto args = std::make_shared<UpgradeArgs>();
    complete_with(cmd->add_option("names", args->names,
                                  "Installed packages to upgrade; MANAGER:NAME picks the manager (apt:curl)"),
                  "install-names");
    cmd->add_flag("-a,--all", args->all, "Upgrade everything upgradable with the manager's own upgrade-all");
    complete_with(cmd->add_option("-m,--manager", args->manager,
                                  "The package manager to use (without it: the one detected manager that has "
                                  "upgrades)")
                      ->option_text("M"),
                  "upgrade-managers");
    add_run_flags(*cmd, args->consent);
    cmd->footer(
        "apt: apt-get upgrade (--all) or apt-get install --only-upgrade NAMES; pacman: pacman -Su (--all) "
        "or\n"
        "pacman -S --needed NAMES (never -y: zsyncctl pkg refresh syncs); pip: pip install --upgrade NAME, "
        "one\n"
        "package at a time (--all: each outdated one); gem: gem update [NAMES]. The manager's simulation "
        "shows\n"
        "the transaction before anything changes (pip install --dry-run --report); held (apt-mark hold),\n"
        "ignored (IgnorePkg) and pinned (a PIP_CONSTRAINT file) packages are shown as skipped and are not\n"
        "upgraded; a name that is not outdated is left out.\n"
        "Exit status: 0 done (or nothing to upgrade), 1 the manager failed, 2 usage, no consent (no\n"
        "terminal and no --yes) or several managers with upgrades and no --manager, 130/143/129\n"
        "interrupted (the manager gets SIGINT and is waited for). --json: as pkg install.");
    set_run_action(*cmd, context, pkg::Operation::upgrade,
                   [&context, args](JsonState& json) { return run_upgrade(context, *args, json); });
}

} // namespace zsyncctl::cli
