#pragma once

#include <string>
#include <vector>

#include "cli/context.hpp"
#include "cli/exit_code.hpp"
#include "cli/install_run.hpp"
#include "pkg/install/install_plan.hpp"

namespace zsyncctl::cli {

/// One manager's share of `pkg upgrade` over several managers: its plan (answering the manager's
/// questions with their defaults: several managers cannot share one terminal) and the options it was
/// made with.
struct UpgradePart {
    pkg::InstallPlan plan;
    pkg::PlanOptions options;
    std::string installation; ///< one of the manager's installations (flatpak: "user", "system"), or empty
};

/// Upgrades with several managers in one run: --dry-run prints each plan; else every manager's own
/// simulation is shown together and agreed to once (--yes, or one question on a terminal; refused with
/// exit 2 otherwise), sudo asks for a password once (`sudo -v`, kept fresh with `sudo -n -v` while the run
/// lasts; the managers run with `sudo -n`), then the managers of one lock family run one after another
/// (pkg::schedule_by_lock_group) and the families at the same time, each under its zsyncctl lock, its
/// simulation rechecked (a changed transaction is not run), with a per-manager board on a terminal and
/// plain lines otherwise. An interrupt reaches every running manager, each is waited for, and the command
/// raises interrupted (exit 130); a failed manager fails the command (exit 1) after the others finished.
/// With --json: --dry-run prints one plan document per line; a run prints NDJSON events, each naming its
/// manager: "plan" (the agreed transaction), "start", "progress"/"error"/"prompt" (as in one manager's
/// run), "notice", and one "done" per manager ("result": "upgraded", "up_to_date" or "not_run").
/// Main thread.
ExitCode run_multi_upgrade(Context& context, std::vector<UpgradePart> parts, const RunConsent& consent);

} // namespace zsyncctl::cli
