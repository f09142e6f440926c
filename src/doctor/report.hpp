#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "platform/facts.hpp"

namespace zsyncctl::doctor {

/// How a check came out. `fail` means the runtime cannot start as configured; `warn` a degraded setup
/// with a fix; `info` a noteworthy fact; `skip` when the check does not apply or its inputs are unknown.
enum class Status { ok, info, warn, fail, skip };

/// "ok", "info", "warn", "fail", "skip".
std::string_view to_string(Status status);

/// One raw input a check looked at (shown by `doctor -v`). Plain data.
struct Evidence {
    std::string key;
    std::string value;
};

/// The outcome of one check. Plain data.
struct CheckResult {
    std::string id;       // "iouring.setup"
    std::string category; // "io_uring"
    Status status = Status::skip;
    std::string summary; // one sentence
    std::string fix;     // the exact command(s) that fix it; empty when nothing to do
    std::vector<Evidence> evidence;
    double duration_ms = 0;
};

/// What the runtime should use on this host: Config::optimal() adjusted to the facts, plus the findings
/// of Config::validate() on it. Plain data.
struct Recommendation {
    core::ExecutionModel execution_model = core::ExecutionModel::thread_pool;
    core::IoBackend io_backend = core::IoBackend::epoll;
    std::size_t threads = 1;
    std::string reason;
    std::vector<core::ConfigFinding> findings;
};

/// A package manager as doctor reports it. Plain data.
struct PackageManagerFact {
    std::string name;
    std::string path;                                       // the executable or root directory found
    std::string kind;                                       // "system", "language", "user", ...
    std::vector<std::pair<std::string, std::string>> paths; // ("bin", "/usr/bin"), ("lib", ...), ...
    std::optional<std::string> version;                     // only with --versions, when it could be read
    std::string version_error;                              // why not, with --versions ("timeout", ...)
};

/// The whole doctor result: facts, check results in catalog order, the recommendation. Plain data.
struct Report {
    platform::HostFacts facts;
    std::vector<PackageManagerFact> package_managers;
    std::vector<CheckResult> checks;
    Recommendation recommendation;
    double duration_ms = 0;

    /// How many checks have `status`.
    std::size_t count(Status status) const;
};

/// Whether warnings count as failures for the exit status.
enum class Strict { no, yes };

/// True when a check failed (or, with Strict::yes, warned): the exit status is then 1.
bool has_failures(const Report& report, Strict strict);

} // namespace zsyncctl::doctor
