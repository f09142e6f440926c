#pragma once

// Internal to doctor/: the check functions (one checks_<area>.cpp per area) and the helpers they share.
// checks.cpp lists them in the catalog and runs them.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "doctor/doctor.hpp"

namespace zsyncctl::doctor::detail {

using platform::HostFacts;

/// What every check reads: the facts, the options and the runtime's recommendation for them.
struct CheckInput {
    const HostFacts& facts;
    const DoctorOptions& options;
    const Recommendation& recommendation;
};

/// One check: fills the result's status, summary, fix and evidence. Never throws.
using CheckFn = std::function<void(const CheckInput&, CheckResult&)>;

/// "%.2g" of a CPU count ("1.5", "4").
std::string cpus_text(double cpus);
/// The number, or "unlimited" for nullopt.
std::string limit_text(const std::optional<std::uint64_t>& value);
/// The command that raises the soft limit `limit` of the shell it is pasted into: `ulimit -FLAG VALUE` when
/// the hard limit allows `raw` (the value in the limit's own units: bytes, a count), else prlimit(1) on
/// that shell ($$) for both limits (`--RESOURCE=raw:raw`), through sudo unless we are root: only
/// CAP_SYS_RESOURCE raises a hard limit.
std::string raise_limit_fix(const platform::Rlimit& limit, std::string_view flag, std::uint64_t value,
                            std::string_view resource, std::uint64_t raw);
/// True when the distribution is `id` or lists it in ID_LIKE.
bool like(const HostFacts& f, std::string_view id);
/// The command that upgrades the distribution's packages (and with them the kernel).
std::string upgrade_command(const HostFacts& f);
/// Sets a result's status, summary and fix.
void set(CheckResult& r, Status status, std::string summary, std::string fix = {});
/// Adds one evidence line.
void ev(CheckResult& r, std::string key, std::string value);

// checks_platform.cpp
void check_arch(const CheckInput& in, CheckResult& r);
void check_os(const CheckInput& in, CheckResult& r);
void check_kernel(const CheckInput& in, CheckResult& r);
void check_virt(const CheckInput& in, CheckResult& r);

// checks_io_uring.cpp
void check_iouring_sysctl(const CheckInput& in, CheckResult& r);
void check_iouring_setup(const CheckInput& in, CheckResult& r);
void check_iouring_memlock(const CheckInput& in, CheckResult& r);
void check_iouring_opcodes(const CheckInput& in, CheckResult& r);
void check_reactor(const CheckInput& in, CheckResult& r);

// checks_limits.cpp
void check_nofile(const CheckInput& in, CheckResult& r);
void check_affinity(const CheckInput& in, CheckResult& r);
void check_quota(const CheckInput& in, CheckResult& r);
void check_quota_ancestors(const CheckInput& in, CheckResult& r);
void check_memory(const CheckInput& in, CheckResult& r);
void check_tasks(const CheckInput& in, CheckResult& r);

// checks_config.cpp
void check_overrides(const CheckInput& in, CheckResult& r);
void check_root(const CheckInput& in, CheckResult& r);
void check_recommendation(const CheckInput& in, CheckResult& r);

// checks_packages.cpp
void check_homebrew_arch(const CheckInput& in, CheckResult& r);
void check_homebrew_multiple(const CheckInput& in, CheckResult& r);

} // namespace zsyncctl::doctor::detail
