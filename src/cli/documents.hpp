#pragma once

// The JSON documents of `doctor`, `pkg managers` and `pkg paths`, built by the functions the commands
// themselves print with: `zsyncctl serve` answers /v1/doctor, /v1/managers and /v1/paths with them, in
// process, so the schema is the CLI's by construction. (`pkg list`/`pkg outdated`: cmd_pkg_list_report.hpp.)
// Each may block (file reads, a manager asked for its paths): serve runs them on the runtime's pool.

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/runtime.hpp"
#include "pkg/detect/detect.hpp"
#include "pkg/detect/paths.hpp"
#include "pkg/detect/version_probe.hpp"
#include "util/root.hpp"

namespace zsyncctl::cli {

class Context;

/// What one `doctor` run looks at: the machine, the cache, the backend asked for and by whom, the checks.
struct DoctorRequest {
    util::Root root;
    bool use_cache = true;
    core::IoBackend io_backend = core::IoBackend::automatic;
    std::string io_backend_source = "default"; ///< "--io-backend" or "ZSYNCCTL_IO_BACKEND" when not auto
    std::vector<std::string> checks;           ///< empty: every check
    bool versions = false;                     ///< run each manager's version command (needs runtime)
    core::Runtime* runtime = nullptr;
};

/// The request `zsyncctl [global options] doctor` makes: root, cache and backend from the global options.
DoctorRequest doctor_request(Context& context);

/// `zsyncctl --json doctor`'s document. Raises (CommandError) on an unknown check id.
nlohmann::json doctor_document(const DoctorRequest& request);

/// `pkg managers --json`'s document for `detection` (`versions` from probe_versions, or empty; `all` adds
/// the registry's undetected managers).
nlohmann::json managers_document(const pkg::Detection& detection,
                                 const std::vector<pkg::VersionResult>& versions, bool all);

/// managers_document(detection, versions, all) as json_text prints it, written without building the tree.
std::string managers_text(const pkg::Detection& detection, const std::vector<pkg::VersionResult>& versions,
                          bool all);

/// The directories of each detected manager (only `manager` when not empty; only the preferred install of
/// each with `preferred_only`), asking a manager that alone knows them (gem); `warn` gets what could not
/// be asked. The result points into `detection`.
std::vector<pkg::ManagerPaths> manager_paths(core::Runtime& runtime, const pkg::DetectContext& detect_context,
                                             const pkg::Detection& detection, const std::string& manager,
                                             bool preferred_only,
                                             const std::function<void(const std::string&)>& warn);

/// `pkg paths --json`'s document for `all`.
nlohmann::json paths_document(const std::vector<pkg::ManagerPaths>& all);

} // namespace zsyncctl::cli
