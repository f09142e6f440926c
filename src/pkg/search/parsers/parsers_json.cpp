// Parsers for the search output of managers whose data is not on disk in a readable form. Each format
// below is the tool's documented or long-stable output; the comment above each parser says where the
// format comes from. tests/fixtures/search/<manager>/ holds recorded samples of each.
// JSON documents, salvaged when cut off.
#include "pkg/search/parsers/parsers_internal.hpp"

#include <array>

#include <nlohmann/json.hpp>

#include "pkg/search/parsers/json_records.hpp"
#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg::parsers {

using util::sanitize_terminal;
using util::trim;

// nix search nixpkgs q --json: {"legacyPackages.x86_64-linux.hello": {"pname": "hello", "version":
// "2.12.1", "description": "…"}} (nix src/nix/search.cc).
ParsedSearch parse_nix_json(std::string_view output, const ParseLimit& limit) {
    {
        // Streamed, one record at a time: past the cap only the name is looked at (the count).
        HitSink streamed(limit);
        static constexpr std::array<std::string_view, 3> k_fields{"pname", "version", "description"};
        bool read = read_json_records(output, JsonRecordLayout::object_of_objects, k_fields,
                                      [&](const JsonRecord& r) {
                                          std::string_view name = r.values[0];
                                          std::size_t dot = r.key.rfind('.');
                                          std::string_view attr = r.key;
                                          if (name.empty()) {
                                              name = dot == std::string::npos ? attr : attr.substr(dot + 1);
                                          }
                                          if (streamed.full()) {
                                              streamed.add(name, {}, {});
                                          } else {
                                              streamed.add(name, r.values[1], r.values[2]);
                                          }
                                      });
        if (read) {
            std::optional<std::string> none;
            return streamed.take(std::move(none));
        }
    }
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
    {
        HitSink streamed(limit);
        static constexpr std::array<std::string_view, 3> k_fields{"name", "version", "description"};
        bool read =
            read_json_records(output, JsonRecordLayout::array_of_objects, k_fields, [&](const JsonRecord& r) {
                if (!r.present[0]) {
                    return;
                }
                if (streamed.full()) {
                    streamed.add(r.values[0], {}, {});
                } else {
                    streamed.add(r.values[0], r.values[1], r.values[2]);
                }
            });
        if (read) {
            std::optional<std::string> none;
            return streamed.take(std::move(none));
        }
    }
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
