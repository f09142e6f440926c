#include "cli/search_records.hpp"

#include "cli/json.hpp"
#include "util/round.hpp"

namespace zsyncctl::cli {

namespace {

nlohmann::json text_or_null(const std::string& text) {
    return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

} // namespace

nlohmann::json search_hit_json(const std::string& manager, const pkg::SearchHit& hit) {
    return {{"manager", manager},
            {"name", hit.name},
            {"version", hit.version},
            {"description", hit.description},
            {"installed", hit.installed},
            {"installed_version", text_or_null(hit.installed_version)},
            {"candidate", text_or_null(hit.candidate)},
            {"upgradable", hit.upgradable()},
            {"match_reason", text_or_null(hit.match_reason)},
            {"kind", text_or_null(hit.kind)}};
}

std::string search_result_line(const std::string& manager, const pkg::SearchHit& hit) {
    nlohmann::json j = search_hit_json(manager, hit);
    j["type"] = "result";
    return json_text(j, JsonLayout::line);
}

nlohmann::json search_status_json(const pkg::ManagerReport& r) {
    nlohmann::json j{
        {"type", "status"},       {"manager", r.manager}, {"status", std::string(pkg::to_string(r.status))},
        {"count", r.hits.size()}, {"total", r.total},     {"elapsed_ms", r.elapsed_ms}};
    j["error"] = text_or_null(r.error);
    return j;
}

ExitCode search_exit_code(const std::vector<pkg::ManagerReport>& reports, bool interrupted) {
    if (interrupted) {
        return ExitCode::interrupted;
    }
    if (reports.empty()) {
        return ExitCode::failure;
    }
    std::size_t total = 0;
    std::size_t answered = 0;
    for (const auto& r : reports) {
        total += r.hits.size();
        answered += r.status == pkg::ManagerStatus::ok ? 1 : 0;
    }
    if (total > 0) {
        return ExitCode::success;
    }
    return answered == 0 ? ExitCode::no_answer : ExitCode::failure;
}

util::Result<std::chrono::milliseconds> search_timeout(double seconds) {
    if (!(seconds > 0) || seconds > 86400) {
        return util::fail(util::ErrorKind::invalid_input, "--timeout must be between 0 and 86400 seconds");
    }
    // At least 1 ms: "--timeout 0.0001" must not become a deadline that has passed before anything ran.
    return std::chrono::milliseconds(std::max<std::int64_t>(1, util::round_to_integer(seconds * 1000)));
}

} // namespace zsyncctl::cli
