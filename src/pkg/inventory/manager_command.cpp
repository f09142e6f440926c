#include "pkg/inventory/manager_command.hpp"

#include <chrono>

namespace zsyncctl::pkg {

util::Result<core::ProcessResult> run_manager_command(core::ProcessSpec spec, const std::string& what,
                                                      const core::CancellationToken& token) {
    auto limit = std::chrono::duration_cast<std::chrono::minutes>(spec.timeout).count();
    auto ran = core::run_process(std::move(spec), token);
    if (!ran) {
        return util::fail(std::move(ran).error());
    }
    if (ran->outcome == core::ProcessOutcome::cancelled) {
        return util::fail(util::ErrorKind::cancelled, "cancelled");
    }
    if (ran->outcome == core::ProcessOutcome::timed_out) {
        return util::fail(util::ErrorKind::timeout, what + " did not finish in " + std::to_string(limit) +
                                                        (limit == 1 ? " minute" : " minutes"));
    }
    return ran;
}

} // namespace zsyncctl::pkg
