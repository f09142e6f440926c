#pragma once

#include <string>

#include "doctor/report.hpp"

// `zsyncctl --json doctor`'s document, written straight to text (no nlohmann tree): the half of
// cmd_doctor that formats JSON. Internal to cli/.

namespace zsyncctl::cli {

/// The event loop this command really got, and why: the backend asked for (and by whom), the one
/// created, and the reason for it (the fallback's cause under auto).
struct LoopFacts {
    std::string requested = "auto";
    std::string source = "default"; ///< "default", "--io-backend" or "ZSYNCCTL_IO_BACKEND"
    std::string backend;            ///< "io_uring" or "epoll"; empty when no loop could be created
    std::string reason;
};

/// The schema of doctor --json. 2: facts.package_managers[].paths is the paths object of `pkg paths
/// --json` (every key, prefix a string or null); facts.io.event_loop.
inline constexpr int k_doctor_schema_version = 2;

/// Doctor's --json document for `report` (pretty, no trailing newline): the bytes json_text gave for the
/// nlohmann document this replaced (test_cli_doctor_json compares them). Never fails.
std::string doctor_report_text(const doctor::Report& report, bool compiled_in, const LoopFacts& loop);

} // namespace zsyncctl::cli
