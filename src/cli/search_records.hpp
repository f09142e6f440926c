#pragma once

// The records of `pkg search --json`/`--json-lines`, shared by the command and `zsyncctl serve`'s
// /v1/search (which streams the same records from the same SearchRun), so the two cannot drift apart.

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "cli/exit_code.hpp"
#include "cli/json.hpp"
#include "pkg/search/search.hpp"
#include "util/result.hpp"

namespace zsyncctl::cli {

/// One result as `pkg search --json` lists it (no "type"). Never fails.
nlohmann::json search_hit_json(const std::string& manager, const pkg::SearchHit& hit);

/// Appends search_hit_json(manager, hit) as json_text lays it out, as if the object stood `indent` spaces
/// deep in a pretty document (layout pretty) or on one line; `with_type` adds "type": "result" as the
/// --json-lines record has it. Written directly, no nlohmann object per result. Never fails.
void append_search_hit_json(std::string& out, const std::string& manager, const pkg::SearchHit& hit,
                            JsonLayout layout, unsigned indent = 0, bool with_type = false);

/// The --json-lines record of one result: search_hit_json with "type": "result", on one line (no newline).
std::string search_result_line(const std::string& manager, const pkg::SearchHit& hit);

/// The --json-lines record of one manager's end ("type": "status"): a consumer can tell "failed" from
/// "found nothing". Never fails.
nlohmann::json search_status_json(const pkg::ManagerReport& report);

/// `pkg search`'s exit status for finished `reports`: 130 when `interrupted`, else 0 something found, 1
/// nothing found (or no manager to search), 3 no manager could answer.
ExitCode search_exit_code(const std::vector<pkg::ManagerReport>& reports, bool interrupted);

/// The search deadline for --timeout / timeout= `seconds`: at least 1 ms; fails with invalid_input outside
/// (0, 86400].
util::Result<std::chrono::milliseconds> search_timeout(double seconds);

} // namespace zsyncctl::cli
