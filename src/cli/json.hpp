#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace zsyncctl::cli {

/// How a JSON value is laid out: one indented document, or one line (NDJSON records, events).
enum class JsonLayout { pretty, line };

/// The one way the CLI turns JSON into text: nlohmann's dump (indent 2, or one line), where bytes that
/// are not UTF-8 (a path, a manager's error line) become U+FFFD instead of throwing, so a document is
/// always printed and always valid. Written by cli/json_writer's serializer (the same bytes, checked
/// against dump by test_cli_startup). Never fails.
std::string json_text(const nlohmann::json& value, JsonLayout layout = JsonLayout::pretty);

} // namespace zsyncctl::cli
