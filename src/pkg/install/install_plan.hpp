#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pkg/registry/registry.hpp"
#include "util/result.hpp"

namespace zsyncctl::pkg {

/// What a plan does to the named packages.
/// What a plan does to the named packages; upgrade without names upgrades everything upgradable; refresh
/// (no names) updates the manager's metadata.
enum class Operation { install, remove, upgrade, refresh };

/// Who answers a manager's questions (dpkg's conffile prompt, debconf): the manager's non-interactive
/// defaults, or the user on the terminal (the manager then runs on a pseudo-terminal; apt only).
enum class Prompts { answer_defaults, ask_terminal };

/// Stable lowercase name of a progress style ("apt_status_fd"); never fails.
std::string_view to_string(ProgressStyle style);

/// Stable lowercase name of an operation ("install" / "remove" / "upgrade" / "refresh"); never fails.
std::string_view to_string(Operation operation);

/// Every registry entry with install facts (has_install_facts), in registry order. Never fails.
std::vector<const Manager*> installable_managers();

/// The registry entry `id` when it has install facts, or nullptr (unknown, or not offered by install).
const Manager* find_installable_manager(std::string_view id);

/// True when `manager` can perform `operation` by package name (it has that command line); upgrade: by name
/// or as a whole (upgrade_prefix or upgrade_all_prefix); refresh: refresh_prefix.
bool can_perform(const Manager& manager, Operation operation);

/// A package name given on the command line, split into an optional manager prefix ("apt:curl") and an
/// optional architecture qualifier ("libc6:i386", for managers with an InstallFacts::arch_separator).
struct PackageRequest {
    std::optional<std::string> manager; // from "manager:name" when the prefix is a registry id
    std::string name;                   // what the manager gets ("libc6:i386")
    std::string base_name;              // the name without the qualifier, as searched ("libc6")
    std::string arch;                   // the qualifier ("i386"), empty when none
};

/// Checks one package name: fails with invalid_input when it is empty, starts with '-', or contains
/// whitespace, control characters, non-ASCII bytes or characters no manager accepts in a name (shell
/// metacharacters such as ; $ ` | & < > ' " ( ) \ * ? ! { } #). The message names the offending character.
util::Result<void> validate_package_name(std::string_view name);

/// Splits "manager:name" when the prefix is a registry id (so "libc6:i386" stays one apt name), then a
/// ":arch" qualifier ("libc6:i386", "apt:libc6:i386") when the manager has an arch_separator (or none is
/// named) and the part after it looks like an architecture, and validates the name; fails with
/// invalid_input as validate_package_name does, and for an empty prefix (":sl").
util::Result<PackageRequest> parse_package_request(std::string_view text);

/// One command of a plan: argv (argv[0] is the manager's executable name or path).
struct PlannedCommand {
    std::vector<std::string> argv;
};

/// Everything a run needs, decided before anything runs; printed by --dry-run.
struct InstallPlan {
    std::string manager;
    Operation operation = Operation::install;
    std::vector<std::string> names;       // empty for an upgrade of everything upgradable
    std::vector<PlannedCommand> commands; // in order; usually one
    bool needs_root = false;
    bool refuses_root = false;
    std::string lock_group;
    ProgressStyle progress = ProgressStyle::last_line;
    std::vector<std::pair<std::string, std::string>> env;
    /// The manager asks questions on a terminal (InstallFacts::asks_on_terminal).
    bool asks_on_terminal = false;
    /// Set when nobody answers, unless the caller's environment already has it (InstallFacts::frontend_env).
    std::pair<std::string, std::string> frontend_env;
    /// The manager's own simulation of the same names (InstallFacts::simulate_*_prefix), run unprivileged
    /// before anything changes; nullopt when the manager has none.
    std::optional<PlannedCommand> simulation;
    SimulationFormat simulation_format = SimulationFormat::none;
};

/// Extra knobs of a plan that come from the command line and the environment rather than the registry.
struct PlanOptions {
    /// The manager's executable to put in argv[0] (a detected path); empty keeps the table's name.
    std::string executable;
    /// Settings ("Key=Value") each passed with the manager's InstallFacts::setting_option (apt "-o"), from
    /// its settings_env (ZSYNCCTL_APT_OPTIONS); ignored for managers without a setting option.
    std::vector<std::string> settings;
    /// Non-empty: operate on the system installed under this directory with the manager's root_args.
    std::string root;
    /// ask_terminal (managers that ask on a terminal): the registry's forced answers are dropped (so the
    /// manager asks) and its ask_terminal_args added.
    Prompts prompts = Prompts::answer_defaults;
    /// A manager that runs as the user installs into a root-owned prefix (npm's /usr): it needs root.
    bool prefix_owned_by_root = false;
    /// Options that select one installation of a manager that keeps several (flatpak's --user), after the
    /// command's prefix and before the names, in the run and its simulation alike.
    std::vector<std::string> scope_args;
};

/// What the plan is about, for messages: the names, or "every upgradable package" for an upgrade of all.
std::string plan_subject(const InstallPlan& plan);

/// Builds the plan for `operation` of `names` (already validated) with manager `id`; an upgrade without
/// names is the manager's own upgrade of everything (unsupported when it has none). Fails with
/// invalid_input for an unknown manager, unsupported when the manager cannot do the operation by name (the
/// hint names InstallFacts::use_instead with the names, "apt:sl") or
/// cannot operate on another root (options.root set, no InstallFacts::root_args; the hint names the
/// managers that can).
util::Result<InstallPlan> build_plan(std::string_view id, Operation operation,
                                     const std::vector<std::string>& names, const PlanOptions& options = {});

/// The managers in the registry that can perform `operation` by name and whose names take an architecture
/// qualifier (InstallFacts::arch_separator), comma-separated.
std::string managers_with_arch_qualifier(Operation operation);

/// The managers that can install under another root (InstallFacts::root_args), comma-separated.
std::string managers_with_root_option();

/// Splits settings text from a manager's settings_env (ZSYNCCTL_APT_OPTIONS: settings separated by
/// newlines or spaces, each "Key=Value") into settings; fails with invalid_input naming `env_name` when one
/// has no '=' or starts with '-'.
util::Result<std::vector<std::string>>
parse_manager_settings(std::string_view text, std::string_view env_name = "ZSYNCCTL_APT_OPTIONS");

} // namespace zsyncctl::pkg
