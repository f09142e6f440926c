#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cli/json.hpp"

namespace zsyncctl::cli {

/// json_text(value, layout)'s bytes (nlohmann's dump with U+FFFD for bytes that are not UTF-8), written
/// without nlohmann's serializer, which was a quarter of `doctor --json`'s instructions. Never fails.
std::string fast_json_text(const nlohmann::json& value, JsonLayout layout = JsonLayout::pretty);

/// Appends fast_json_text(value, layout) to `out`, as if `value` stood `indent` spaces deep in a pretty
/// document. Never fails.
void append_json_text(std::string& out, const nlohmann::json& value, JsonLayout layout, unsigned indent = 0);

/// Appends `text` as a JSON string, quotes included, exactly as json_text(nlohmann::json(text)) writes it
/// (bytes that are not UTF-8 become U+FFFD). Never fails.
void append_json_string(std::string& out, const std::string& text);

} // namespace zsyncctl::cli
