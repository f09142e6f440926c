#include "cli/cli11.hpp"
#include <nlohmann/json.hpp>

#include <algorithm>
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
#include "cli/upgrade_multi.hpp"
#include "pkg/install/install_plan.hpp"
#include "pkg/inventory/inventory.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

struct UpgradeArgs {
    std::vector<std::string> names;
    bool all = false;
    std::vector<std::string> managers;
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
    request.runtime = &context.runtime();
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
// outdated (not skipped), in detection order; none: nothing to do.
std::vector<std::string> choose_upgrade_managers(Context& context, const std::vector<std::string>& names) {
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
    return with_upgrades;
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

// One installation's run of a manager that keeps several (flatpak's user and system ones): its option and the
// names of the rows it holds (empty with --all).
struct InstallationRun {
    std::string option;
    std::vector<std::string> names;
    std::string installation; // its name ("user", "system")
};

// The installations whose rows of `report` are planned (`planned`: names, or empty for --all), in the
// registry's order, each with its option and its own names: a row is upgraded where it is installed, never
// in another installation that has the same ref. Empty for a manager with one installation.
std::vector<InstallationRun> installation_runs(const pkg::Manager& entry, const pkg::InventoryReport& report,
                                               const std::vector<std::string>& planned) {
    std::vector<InstallationRun> runs;
    for (const pkg::InstallationFacts& inst : entry.inventory.installations) {
        InstallationRun run{std::string(inst.option), {}, std::string(inst.name)};
        bool any = false;
        for (const auto& p : report.outdated) {
            if (p.installation != inst.name || !p.skip_reason.empty()) {
                continue;
            }
            if (planned.empty()) {
                any = true;
            }
            for (const std::string& name : planned) {
                if (names_package(name, p) &&
                    std::find(run.names.begin(), run.names.end(), name) == run.names.end()) {
                    run.names.push_back(name);
                    any = true;
                }
            }
        }
        if (any) {
            runs.push_back(std::move(run));
        }
    }
    return runs;
}

// Held, pinned or ignored packages are shown as skipped (added to `skipped`), and a name asking for one
// is left out: the manager's own upgrade-all keeps them back, but by name it would take them. Returns the
// names to plan (all of `names`; empty with --all; NAME@CANDIDATE for a manager with an
// upgrade_candidate_separator), or nullopt when names were given and none of them is upgradable with
// `manager`.
std::optional<std::vector<std::string>> planned_names(Context& context, const std::string& manager,
                                                      const std::vector<std::string>& names,
                                                      nlohmann::json& skipped,
                                                      std::vector<InstallationRun>* runs = nullptr) {
    const pkg::Manager* entry = pkg::find_manager(manager);
    std::vector<std::string> planned = names;
    if (entry == nullptr || entry->inventory.method == pkg::InventoryMethod::none) {
        return planned;
    }
    auto reports = outdated_reports(context, {manager});
    if (reports.empty() || reports.front().status != pkg::InventoryStatus::ok) {
        if (names.empty() && entry->install.upgrade_all_prefix.empty() && !reports.empty()) {
            // No upgrade-all of its own (pip): the outdated names are the plan, and they are not known.
            raise(util::make_error(util::ErrorKind::command_failed,
                                   manager + " cannot tell what is outdated: " + reports.front().error,
                                   reports.front().hint));
        }
        return planned;
    }
    const auto& report = reports.front();
    std::vector<std::string> upgradable;
    for (const auto* p : wanted(report, names)) {
        if (!p->skip_reason.empty()) {
            skipped.push_back({{"name", p->name},
                               {"installed_version", p->installed},
                               {"candidate", p->candidate},
                               {"skip_reason", p->skip_reason}});
            context.out.info("skipping " + util::sanitize_for_display(p->name) + " (" + p->skip_reason +
                             "): " + util::sanitize_for_display(p->installed) + " stays" +
                             (p->candidate.empty()
                                  ? std::string()
                                  : ", " + util::sanitize_for_display(p->candidate) + " is not installed"));
        }
    }
    for (const std::string& name : names) {
        bool found = false;
        bool is_skipped = false;
        bool open_in_an_installation = false; // flatpak: masked in one installation, not in the other
        for (const auto& p : report.outdated) {
            if (names_package(name, p)) {
                found = true;
                is_skipped = is_skipped || !p.skip_reason.empty();
                open_in_an_installation =
                    open_in_an_installation || (p.skip_reason.empty() && !p.installation.empty());
            }
        }
        is_skipped = is_skipped && !open_in_an_installation;
        if (!found) {
            context.out.info(util::sanitize_for_display(name) + " is up to date or not installed (" +
                             manager + ")");
        } else if (!is_skipped) {
            upgradable.push_back(name);
        }
    }
    if (!names.empty()) {
        if (upgradable.empty()) {
            return std::nullopt;
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
            return std::nullopt;
        }
    }
    if (std::string_view separator = entry->install.upgrade_candidate_separator; !separator.empty()) {
        // npm: NAME@VERSION, the candidate shown here, not whatever the registry says when the run starts.
        for (std::string& name : planned) {
            for (const auto& p : report.outdated) {
                if (names_package(name, p) && !p.candidate.empty()) {
                    name += std::string(separator) + p.candidate;
                    break;
                }
            }
        }
    }
    if (runs != nullptr) {
        *runs = installation_runs(*entry, report, planned);
    }
    return planned;
}

// Several managers: one plan each, shown together, agreed to once, run by lock family (upgrade_multi).
ExitCode run_several(Context& context, const std::vector<std::string>& managers,
                     const std::vector<std::string>& names, const RunConsent& consent, JsonState& json) {
    std::vector<UpgradePart> parts;
    for (const std::string& manager : managers) {
        nlohmann::json skipped = nlohmann::json::array();
        auto planned = planned_names(context, manager, names, skipped);
        if (!planned) {
            context.out.info("nothing to upgrade with " + manager);
            continue;
        }
        UpgradePart part;
        part.options.prompts = pkg::Prompts::answer_defaults; // several managers cannot share the terminal
        part.plan = make_plan(context, manager, pkg::Operation::upgrade, *planned, part.options);
        parts.push_back(std::move(part));
    }
    if (parts.empty()) {
        return nothing_to_upgrade(context, "", names, nlohmann::json::array(), json);
    }
    return run_multi_upgrade(context, std::move(parts), consent);
}

ExitCode run_upgrade(Context& context, const UpgradeArgs& args, JsonState& json) {
    if (args.names.empty() && !args.all) {
        raise_usage("name the packages to upgrade, or pass --all", "zsyncctl pkg outdated shows them");
    }
    if (!args.names.empty() && args.all) {
        raise_usage("--all upgrades everything: give it no package names");
    }
    std::vector<std::string> names;
    std::vector<std::string> managers;
    for (const std::string& given : args.managers) {
        for (std::string_view part : util::split(given, ',')) {
            std::string m(part);
            if (!m.empty() && std::find(managers.begin(), managers.end(), m) == managers.end()) {
                managers.push_back(m);
            }
        }
    }
    std::optional<std::string> prefix;
    for (const std::string& text : args.names) {
        auto r = pkg::parse_package_request(text);
        if (!r) {
            raise(std::move(r).error());
        }
        if (r->manager) {
            if (prefix && *r->manager != *prefix) {
                raise_usage("the names ask for different managers (" + *prefix + " and " + *r->manager + ")",
                            "run one command per manager");
            }
            if (!managers.empty() && (managers.size() > 1 || managers.front() != *r->manager)) {
                raise_usage("the names ask for different managers (" + util::join(managers, ", ") + " and " +
                                *r->manager + ")",
                            "run one command per manager");
            }
            prefix = r->manager;
        }
        names.push_back(r->name);
    }
    bool from_prefix = managers.empty() && prefix.has_value();
    if (from_prefix) {
        managers = {*prefix};
    }
    for (const std::string& manager : managers) {
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
    RunConsent consent{args.consent.yes, args.consent.dry_run, ask_user};
    std::string chosen_by = from_prefix ? "prefix" : "option";
    if (managers.empty()) {
        managers = choose_upgrade_managers(context, names);
        if (managers.empty()) {
            return nothing_to_upgrade(context, "", names, nlohmann::json::array(), json);
        }
        chosen_by = "search";
        if (!context.options.json) {
            context.out.info(managers.size() == 1
                                 ? "using " + managers.front() + ": the only detected manager with upgrades"
                                 : "using " + util::join(managers, ", ") +
                                       ": the detected managers with upgrades");
        }
    }
    if (managers.size() > 1) {
        return run_several(context, managers, names, consent, json);
    }
    const std::string& manager = managers.front();
    nlohmann::json skipped = nlohmann::json::array();
    std::vector<InstallationRun> runs;
    auto planned = planned_names(context, manager, names, skipped, &runs);
    if (!planned) {
        return nothing_to_upgrade(context, manager, names, skipped, json);
    }

    pkg::PlanOptions plan_options;
    plan_options.prompts = ask_user ? pkg::Prompts::ask_terminal : pkg::Prompts::answer_defaults;
    if (runs.size() == 1) {
        plan_options.scope_args = {runs.front().option};
        planned = runs.front().names;
    } else if (runs.size() > 1) {
        // Outdated in several installations: one run each, with its option, shown and agreed to together.
        std::vector<UpgradePart> parts;
        for (const InstallationRun& run : runs) {
            UpgradePart part;
            part.options.prompts = pkg::Prompts::answer_defaults;
            part.options.scope_args = {run.option};
            part.installation = run.installation;
            part.plan = make_plan(context, manager, pkg::Operation::upgrade, run.names, part.options);
            parts.push_back(std::move(part));
        }
        return run_multi_upgrade(context, std::move(parts), consent);
    }
    pkg::InstallPlan plan = make_plan(context, manager, pkg::Operation::upgrade, *planned, plan_options);
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
    return run_plan(context, choice, plan, plan_options, consent, json);
}

} // namespace

void register_pkg_upgrade(CLI::App& pkg, Context& context) {
    auto* cmd = pkg.add_subcommand("upgrade", "Upgrade installed packages with their manager, with progress");
    auto args = std::make_shared<UpgradeArgs>();
    complete_with(cmd->add_option("names", args->names,
                                  "Installed packages to upgrade; MANAGER:NAME picks the manager (apt:curl)"),
                  "install-names");
    cmd->add_flag("-a,--all", args->all, "Upgrade everything upgradable with the manager's own upgrade-all");
    complete_with(
        cmd->add_option("-m,--manager", args->managers,
                        "The package managers to use, repeated or comma-separated (without it: every "
                        "detected manager that has upgrades)")
            ->option_text("M")
            ->allow_extra_args(false), // -m apt curl: curl is a name, not a second manager
        "upgrade-managers");
    add_run_flags(*cmd, args->consent);
    cmd->footer(
        "apt: apt-get upgrade (--all) or apt-get install --only-upgrade NAMES; pacman: pacman -Su (--all) "
        "or\n"
        "pacman -S --needed NAMES (never -y: zsyncctl pkg refresh syncs); zypper: zypper --no-refresh\n"
        "update [NAMES]; dnf: dnf upgrade [NAMES] on its cached metadata; pip: pip install --upgrade, one\n"
        "name at a time (--all: every outdated name); npm: npm install --global NAME@VERSION... at the\n"
        "candidates pkg outdated showed (--all: every outdated name); cargo: cargo install --locked\n"
        "NAME@VERSION... the same way (git/path installs and chosen features skipped); gem: gem update "
        "[NAMES];\n"
        "apk: apk upgrade [NAMES] (world pins and fixed versions kept).\n"
        "The manager's simulation shows the transaction before anything changes (gem has none); held\n"
        "(apt-mark hold), phased, ignored (IgnorePkg), locked (zypper addlock), excluded (dnf excludepkgs),\n"
        "pinned (PIP_CONSTRAINT) and linked (npm link) packages are shown as skipped and are not upgraded;\n"
        "a name that is not outdated is left out.\n"
        "Several managers (-m apt -m pacman, or none named and several have upgrades): every simulation is\n"
        "shown and agreed to once, sudo asks once; managers sharing a lock (apt, dpkg, nala) run one after\n"
        "another, the others at the same time, on a per-manager board (plain lines when not a terminal).\n"
        "Exit status: 0 done (or nothing to upgrade), 1 a manager failed, 2 usage or no consent (no\n"
        "terminal and no --yes), 130/143/129 interrupted (every running manager gets SIGINT and is waited\n"
        "for). --json: as pkg install, with one manager only.");
    set_run_action(*cmd, context, pkg::Operation::upgrade,
                   [&context, args](JsonState& json) { return run_upgrade(context, *args, json); });
}

} // namespace zsyncctl::cli
