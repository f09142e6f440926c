// Parsers for the search output of managers whose data is not on disk in a readable form. Each format
// below is the tool's documented or long-stable output; the comment above each parser says where the
// format comes from. tests/fixtures/search/<manager>/ holds recorded samples of each.
// JSON documents, salvaged when cut off.
#include "pkg/search/parsers/parsers_internal.hpp"

#include <nlohmann/json.hpp>

#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg::parsers {

using util::sanitize_terminal;
using util::trim;

// nix search nixpkgs q --json: {"legacyPackages.x86_64-linux.hello": {"pname": "hello", "version":
// "2.12.1", "description": "…"}} (nix src/nix/search.cc).
ParsedSearch parse_nix_json(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::optional<std::string> error;
    auto add = [&](const std::string& attr, const nlohmann::json& value) {
        if (!value.is_object()) {
            return;
        }
        std::string name = json_string(value, "pname");
        if (name.empty()) {
            std::size_t dot = attr.rfind('.');
            name = dot == std::string::npos ? attr : attr.substr(dot + 1);
        }
        if (sink.full()) {
            sink.add(name, {}, {}); // counted only
            return;
        }
        sink.add(name, json_string(value, "version"), json_string(value, "description"));
    };
    auto doc = nlohmann::json::parse(output, nullptr, false);
    if (!doc.is_discarded()) {
        if (!doc.is_object()) {
            error = "nix search --json did not print an object";
            return sink.take(std::move(error));
        }
        for (auto it = doc.begin(); it != doc.end(); ++it) {
            add(it.key(), it.value());
        }
        return sink.take(std::move(error));
    }
    for (const auto& element : salvage_json_elements(output)) {
        auto value = nlohmann::json::parse(element.text, nullptr, false);
        if (!value.is_discarded()) {
            add(element.key, value);
        }
    }
    if (!trim(output).empty()) {
        error = "truncated or malformed nix search JSON";
    }
    return sink.take(std::move(error));
}

// npm search --json: [{"name", "description", "version", "date", …}] (npm lib/commands/search.js).
ParsedSearch parse_npm_json(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::optional<std::string> error;
    auto add = [&](const nlohmann::json& value) {
        if (value.is_object() && value.contains("name")) {
            if (sink.full()) {
                sink.add(json_string(value, "name"), {}, {}); // counted only
                return;
            }
            sink.add(json_string(value, "name"), json_string(value, "version"),
                     json_string(value, "description"));
        }
    };
    auto doc = nlohmann::json::parse(output, nullptr, false);
    if (!doc.is_discarded()) {
        if (doc.is_array()) {
            for (const auto& value : doc) {
                add(value);
            }
        } else if (doc.is_object() && doc.contains("error")) {
            const auto& err = doc["error"];
            error = "npm: " + (err.is_object() ? json_string(err, "summary") : std::string("error"));
        } else {
            error = "npm search --json did not print an array";
        }
        return sink.take(std::move(error));
    }
    for (const auto& element : salvage_json_elements(output)) {
        auto value = nlohmann::json::parse(element.text, nullptr, false);
        if (!value.is_discarded()) {
            add(value);
        }
    }
    error = "truncated or malformed npm search JSON";
    return sink.take(std::move(error));
}

// conda search --json q: {"name": [{"name", "version", "build", …}, …]} (conda/cli/main_search.py); the
// newest entry is the last one.
ParsedSearch parse_conda_json(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::optional<std::string> error;
    auto doc = nlohmann::json::parse(output, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        error = "malformed conda search JSON";
        return sink.take(std::move(error));
    }
    if (doc.contains("error")) {
        if (json_string(doc, "exception_name") == "PackagesNotFoundError") {
            return sink.take(std::move(error));
        }
        error = "conda: " + json_string(doc, "message");
        return sink.take(std::move(error));
    }
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        if (it->is_array() && !it->empty() && it->back().is_object()) {
            sink.add(it.key(), json_string(it->back(), "version"), "");
        }
    }
    return sink.take(std::move(error));
}

} // namespace zsyncctl::pkg::parsers
