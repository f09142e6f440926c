#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace zsyncctl::cli {

/// How a JSON value is laid out: one indented document, or one line (NDJSON records, events).
enum class JsonLayout { pretty, line };

/// The one way the CLI turns JSON into text: bytes that are not UTF-8 (a path, a manager's error line)
/// become U+FFFD instead of throwing, so a document is always printed and always valid. Never fails.
inline std::string json_text(const nlohmann::json& value, JsonLayout layout = JsonLayout::pretty) {
    return value.dump(layout == JsonLayout::pretty ? 2 : -1, ' ', false,
                      nlohmann::json::error_handler_t::replace);
}

} // namespace zsyncctl::cli
