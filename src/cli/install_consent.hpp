#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/context.hpp"
#include "cli/exit_code.hpp"
#include "cli/install_view.hpp"
#include "pkg/install/install_plan.hpp"
#include "pkg/install/simulation.hpp"
#include "util/result.hpp"

namespace zsyncctl::cli {

/// sudo's path on PATH, or nullopt when there is none. Never fails otherwise.
std::optional<std::string> sudo_path();

/// Runs the plan's simulation (unprivileged, changes nothing); nullopt when the manager has none. A manager
/// that is not here fails the command (exit 1) with the manager's own words; an interrupt raises it. Main
/// thread.
std::optional<pkg::SimulationResult> simulate(Context& context, const pkg::InstallPlan& plan);

/// The error (command_failed) of a simulation that did not resolve: "apt cannot install zs-nosuch: E: ...".
util::Error unresolved_error(const pkg::InstallPlan& plan, const pkg::SimulationResult& sim);

/// Without --yes and with nobody to ask (no terminal, or --json): raises the refusal (exit 2), naming what
/// the manager would also remove. Never returns.
[[noreturn]] void refuse_without_consent(Context& context, const pkg::InstallPlan& plan,
                                         const std::vector<std::string>& taken_along);

/// The question on the terminal: the manager's transaction from `sim` (or that it cannot show one), what a
/// removal takes along, then "Install NAMES with M? [Y/n]" ("[y/N]" when it takes other packages along or
/// nothing could be shown for a removal). True when the user agreed; false when declined, at end of input
/// or when the command's token is cancelled. Main thread.
bool ask_consent(Context& context, const pkg::InstallPlan& plan, const pkg::SimulationResult* sim,
                 const std::vector<std::string>& taken_along);

/// What recheck_consent() found.
enum class Recheck {
    run,          ///< the transaction is the one agreed to (or the new one was agreed to)
    declined,     ///< it changed and the user said no
    nothing_to_do ///< it changed to nothing (done meanwhile by someone else)
};

/// Right before the real run, after the lock: the simulation again. The repository or the system may have
/// changed while the question was open, and the manager's yes-flag would then do something the user never
/// saw. A different transaction is shown with what changed and asked again on a terminal (repeatedly, while
/// it keeps changing); without a terminal it raises the refusal (exit 2) with the difference. `agreed` is
/// updated to what was agreed last. Raises unresolved_error() when the manager no longer resolves the names.
/// Main thread.
Recheck recheck_consent(Context& context, const pkg::InstallPlan& plan, pkg::SimulationResult& agreed);

/// --dry-run: prints the plan, the final argvs and the manager's simulation (text or --json, on one line
/// with `one_line`: one plan of several); exit 1 when the manager is missing or cannot resolve the names
/// (the error is printed), else 0. Main thread.
ExitCode install_dry_run(Context& context, const pkg::InstallPlan& plan, const ManagerChoice& choice,
                         const pkg::PlanOptions& plan_options, bool user_answers, bool one_line = false);

} // namespace zsyncctl::cli
