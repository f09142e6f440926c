#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "core/event_loop.hpp"
#include "pkg/install/install_plan.hpp"
#include "pkg/registry/registry.hpp"
#include "util/result.hpp"

namespace zsyncctl::pkg {

/// One package of a transaction: its name (as the manager prints it, "libc6:i386" included), the version
/// it gets (empty for a removal or when the manager does not say) and the version it had (empty when new or
/// not said).
struct TransactionPackage {
    std::string name;
    std::string version;
    std::string old_version;

    bool operator==(const TransactionPackage&) const = default;
    auto operator<=>(const TransactionPackage&) const = default;
};

/// What a manager's own simulation says it would do, by kind of change, in the manager's order.
struct Transaction {
    std::vector<TransactionPackage> install;
    std::vector<TransactionPackage> upgrade;
    std::vector<TransactionPackage> remove;
    /// Upgradable packages the manager leaves as they are (apt's "kept back": held, phased, or needing a
    /// removal); nothing changes for them.
    std::vector<TransactionPackage> kept_back;

    /// True when nothing would change (kept_back changes nothing).
    bool empty() const { return install.empty() && upgrade.empty() && remove.empty(); }
};

/// True when `a` and `b` make the same changes: the same packages, versions and kinds, in any order.
/// Never fails.
bool same_transaction(const Transaction& a, const Transaction& b);

/// How a simulation ended: the transaction when the manager resolved one, else why not.
struct SimulationResult {
    /// The manager resolved the request (possibly to an empty transaction).
    bool resolved = false;
    Transaction transaction;
    /// The manager's own error and notice lines ("E: Unable to locate package x", "Package 'sl' is not
    /// installed, so not removed"), untrusted bytes, in order.
    std::vector<std::string> messages;
    int exit_code = 0;
};

/// Reads the output of a simulation of `operation` in `format`. `exit_code` is the simulation's: apt, pacman
/// and zypper fail with non-zero when they cannot resolve; dnf/yum --assumeno exit 1 also after printing a
/// transaction
/// ("Operation aborted."), so for them the output decides. Never fails: a run that shows no transaction and
/// failed is `resolved == false` with the manager's messages.
SimulationResult parse_simulation(SimulationFormat format, Operation operation, std::string_view stdout_text,
                                  std::string_view stderr_text, int exit_code);

/// Runs `plan.simulation` (unprivileged, stdin /dev/null, LC_ALL=C plus the plan's environment, in its own
/// process group) on `loop` and parses it. The calling thread waits (it must not be the loop thread); a
/// run past `timeout` or an `interrupt` ends it. Fails with unsupported when the plan has no simulation,
/// not_found when the manager is missing, timeout, interrupted, or the spawn's own errors.
util::Result<SimulationResult> run_simulation(const InstallPlan& plan, core::EventLoop& loop,
                                              const core::CancellationToken& interrupt,
                                              std::chrono::milliseconds timeout);

} // namespace zsyncctl::pkg
