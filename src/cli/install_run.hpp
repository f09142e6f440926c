#pragma once

#include "cli/cli11.hpp"
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/context.hpp"
#include "cli/exit_code.hpp"
#include "cli/install_view.hpp"
#include "pkg/install/install_plan.hpp"
#include "util/result.hpp"

namespace zsyncctl::cli {

/// What a --json run has printed so far, so a failure ends it with exactly one document: an error object
/// before the run, an "error" event and the "done" event once events were printed, nothing more after "done".
struct JsonState {
    bool events_started = false;
    bool finished = false;
    nlohmann::json error_extra = nlohmann::json::object();
};

/// Who agreed to a run: --yes, --dry-run, and whether the user is asked on a terminal.
struct RunConsent {
    bool yes = false;
    bool dry_run = false;
    bool ask_user = false;
};

/// The plan for `manager`: settings from the manager's environment variable, the root option under a
/// non-host --root (a manager without one is refused: exit 2, naming the managers that have one). Raises
/// the plan's error (unsupported becomes usage).
pkg::InstallPlan make_plan(Context& context, const std::string& manager, pkg::Operation op,
                           const std::vector<std::string>& names, pkg::PlanOptions& plan_options);

/// Runs a plan the way install, remove and upgrade all do: --dry-run's report, else elevation, the
/// manager's simulation (an empty transaction: nothing to do, exit 0), consent (--yes or the terminal's
/// answer; refused with exit 2 otherwise), one sudo prompt, the lock group, the simulation again, then the
/// run with progress, a log, interruption and the database's final state. Returns the exit status or
/// raises the error. Main thread.
ExitCode run_plan(Context& context, const ManagerChoice& choice, const pkg::InstallPlan& plan,
                  const pkg::PlanOptions& plan_options, const RunConsent& consent, JsonState& json);

/// Chooses the manager for `reqs`: `manager_option` (--manager) wins, then a M:NAME prefix (all prefixes
/// must agree), then a search of every detected manager for the names (a terminal user picks among
/// several when `ask`; otherwise several is exit 2). nullopt: the user declined to choose. Main thread.
std::optional<ManagerChoice> choose_manager(Context& context, const std::string& manager_option,
                                            const std::vector<pkg::PackageRequest>& reqs, pkg::Operation op,
                                            bool ask, JsonState& json);

/// The registry's managers that can perform `op` (pkg::can_perform), comma-separated, for hints.
std::string managers_that_can_text(pkg::Operation op);

/// Adds -n/--dry-run and -y/--yes, which mean the same for install, remove and upgrade.
void add_run_flags(CLI::App& cmd, RunConsent& consent);

/// Sets `cmd`'s action: `run`, and when it raises with --json, the one document that ends the run
/// (print_json_error) before the error goes on.
void set_run_action(CLI::App& cmd, Context& context, pkg::Operation op,
                    std::function<ExitCode(JsonState&)> run);

/// The one document that ends a failed --json run: before the run an error object, once events were
/// printed an "error" event and the "done" event.
void print_json_error(Context& context, const util::Error& error, pkg::Operation op, const JsonState& json);

} // namespace zsyncctl::cli
