#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "doctor/report.hpp"
#include "pkg/detect/detect.hpp"
#include "platform/facts.hpp"
#include "util/result.hpp"

namespace zsyncctl::doctor {

/// One entry of the check catalog. Plain data.
struct CheckInfo {
    std::string_view id;
    std::string_view category;
    std::string_view title; // what it checks, one line
};

/// Every check, in the order they run and are shown.
const std::vector<CheckInfo>& check_catalog();

/// How doctor should run. Plain data.
struct DoctorOptions {
    std::vector<std::string> only;     // check ids to run; empty: all
    bool io_uring_compiled_in = false; // the binary was built with liburing
    core::IoBackend requested_backend = core::IoBackend::automatic;
    std::string requested_backend_source; // "--io-backend", "ZSYNCCTL_IO_BACKEND", or empty for the default
    std::vector<PackageManagerFact> package_managers;
    pkg::HomebrewFindings homebrew; // every brew prefix found, for the Homebrew checks
};

/// The package-manager facts and Homebrew findings of `detection`, with each manager's resolved
/// bin/lib/include/pkg-config dirs, into `options`. Never fails.
void add_package_managers(const pkg::DetectContext& context, const pkg::Detection& detection,
                          DoctorOptions& options);

/// The recommendation for `facts`: Config::optimal() with the workers from the facts' CPU budget (and
/// the pids limit), the I/O backend from the io_uring facts, and Config::validate()'s findings.
Recommendation recommend(const platform::HostFacts& facts, const DoctorOptions& options);

/// Ok when every id names a check; else invalid_input naming the first unknown id and listing the valid ones.
util::Result<void> validate_check_ids(const std::vector<std::string>& ids);

/// Runs the selected checks over `facts`. Each check is isolated: an exception inside one becomes that
/// check's `fail` with the message, never a crash. Fails with invalid_input (listing the valid ids) when
/// `options.only` names an unknown check.
util::Result<Report> run_doctor(platform::HostFacts facts, const DoctorOptions& options);

} // namespace zsyncctl::doctor
