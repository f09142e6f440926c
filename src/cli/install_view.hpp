#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "cli/output.hpp"
#include "pkg/install/install.hpp"
#include "pkg/install/install_plan.hpp"
#include "pkg/install/simulation.hpp"

namespace zsyncctl::cli {

/// `argv` for display: each argument sanitized and shell-quoted when needed (nothing is run by a shell).
std::string display_argv(const std::vector<std::string>& argv);

/// How the manager was chosen, for the text, the plan and the JSON.
struct ManagerChoice {
    std::string manager;
    std::string chosen_by;               // "option", "prefix" or "search"
    std::vector<std::string> candidates; // with "search": the managers that had every name
    bool user_picked = false;            // the user chose it from a numbered list
};

/// What --dry-run shows: the plan, the final argvs and how it would be elevated.
struct DryRunView {
    const pkg::InstallPlan& plan;
    const ManagerChoice& choice;
    std::vector<std::vector<std::string>> argvs{};
    std::vector<std::pair<std::string, std::string>> env{};
    std::string elevation{};       // "none", "sudo" or "unavailable"
    std::string elevation_error{}; // why it is unavailable
    bool user_answers = false;     // the manager's questions would be asked on this terminal
    /// The manager's own simulation (nullptr: it has none); simulation_error: why it could not run or
    /// resolve, which makes the dry run fail.
    const pkg::SimulationResult* simulation = nullptr;
    std::string simulation_error{};
    bool one_line = false; ///< --json: the document on one line, one of several (an upgrade over managers)
};

/// The transaction as text lines for a terminal ("  install  zs-hello (1.0), zs-dep (1.0)"), sanitized;
/// empty for an empty transaction.
std::vector<std::string> transaction_lines(const pkg::Transaction& transaction);

/// What changed from `agreed` to `now`, sanitized, one line per package: "  + install zs-dep (1.0)" for a
/// change that is new, "  - install zs-app (1.0)" for one that is gone; empty when they are the same.
std::vector<std::string> transaction_changes(const pkg::Transaction& agreed, const pkg::Transaction& now);

/// The transaction as JSON: {"install":[{"name","version"}],"upgrade":[{"name","version","old_version"}],
/// "remove":[{"name","old_version"}],"kept_back":[{"name"}]}.
nlohmann::json transaction_json(const pkg::Transaction& transaction);

/// The packages of `transaction.remove` that are not among `names` (the ones a removal takes along).
std::vector<std::string> removed_beyond(const pkg::Transaction& transaction,
                                        const std::vector<std::string>& names);

/// Prints the dry run as one JSON document (--json) or as aligned text lines on stdout.
void print_dry_run(const Output& out, bool json, const DryRunView& view);

/// The JSON "error" event of a run that did not succeed: who failed how, with the manager's error lines.
nlohmann::json failure_event(const pkg::InstallPlan& plan, const pkg::InstallOutcome& outcome);

/// The JSON "done" event of a run: exit code, success, interruption, result, signal, log, error lines.
nlohmann::json done_event(const pkg::InstallPlan& plan, const pkg::InstallOutcome& outcome,
                          const std::string& log_path);

/// The JSON "done" event of a run (--json), one line on stdout; a failed run's "error" event comes first.
void print_done_event(const Output& out, const pkg::InstallPlan& plan, const pkg::InstallOutcome& outcome,
                      const std::string& log_path);

/// The JSON "done" event of a run that changed nothing (the simulation's transaction was empty): `result` is
/// "already_installed" or "not_installed".
void print_unchanged_done_event(const Output& out, const pkg::InstallPlan& plan, const std::string& result,
                                const std::vector<std::string>& messages);

/// After a failed run: the manager's errors and its last output lines on stderr (unless quiet).
void print_failure_details(const Output& out, bool json, bool quiet, const pkg::InstallPlan& plan,
                           const pkg::InstallOutcome& outcome);

/// One line for a RunNotice: a lock another program holds ("waiting for the dpkg lock held by PID N ..."),
/// a transaction finishing after an interrupt, what a second interrupt does; sanitized. Never fails.
std::string describe_notice(const pkg::RunNotice& notice, const pkg::InstallPlan& plan);

/// The message of an interrupted run: what the manager did with the interrupt and, where the registry says
/// how to ask, the packages' true final state ("zs-slow installed; the package database is consistent").
std::string describe_interruption(const pkg::InstallPlan& plan, const pkg::InstallOutcome& outcome);

} // namespace zsyncctl::cli
