#pragma once
// Shared by the search parsers (one file per output format: text lines, tables, JSON, XML); not part of
// the pkg interface, which is search_parsers.hpp.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "pkg/search/parsers/search_parsers.hpp"

namespace zsyncctl::pkg::parsers {

/// A hit with every field trimmed and made displayable (sanitize_for_display). Never fails.
SearchHit make_hit(std::string_view name, std::string_view version, std::string_view description,
                   bool installed = false);

/// The text after the last '\r' of a line (terminal progress drawn with carriage returns is dropped).
std::string_view after_cr(std::string_view line);

/// Whitespace-separated fields; with max_fields, the last one holds the rest of the line. Never fails.
std::vector<std::string_view> words(std::string_view text, std::size_t max_fields = 0);

/// True for an ASCII digit.
bool is_digit(char c);

/// The result of a line parser: when no line could be read but some text was there, it was not `what`.
ParsedSearch finish_lines(std::vector<SearchHit> hits, std::size_t unparsed, std::string_view what);

/// The string member `key` of a JSON object, else empty. Never throws.
std::string json_string(const nlohmann::json& object, const char* key);

/// One complete top-level element recovered from a cut-off JSON array or object.
struct JsonElement {
    std::string key;
    std::string_view text; ///< points into the document
};

/// The complete top-level elements of a JSON array or object that was cut off (for objects, each
/// "key":value pair as the value's text with the key). Never fails.
std::vector<JsonElement> salvage_json_elements(std::string_view doc);

/// Line-oriented formats (parsers_text.cpp).
ParsedSearch parse_dnf(std::string_view output);
ParsedSearch parse_apk(std::string_view output);
ParsedSearch parse_xbps(std::string_view output);
ParsedSearch parse_guix(std::string_view output);
ParsedSearch parse_macports(std::string_view output);
ParsedSearch parse_choco(std::string_view output);
ParsedSearch parse_cargo(std::string_view output);
ParsedSearch parse_gem(std::string_view output);
ParsedSearch parse_pacman_ss(std::string_view output);
ParsedSearch parse_freebsd_pkg(std::string_view output);
ParsedSearch parse_mas(std::string_view output);
/// Column tables (parsers_table.cpp).
ParsedSearch parse_snap(std::string_view output);
ParsedSearch parse_flatpak(std::string_view output);
ParsedSearch parse_scoop(std::string_view output);
ParsedSearch parse_winget(std::string_view output);
/// JSON documents (parsers_json.cpp).
ParsedSearch parse_nix_json(std::string_view output);
ParsedSearch parse_npm_json(std::string_view output);
ParsedSearch parse_conda_json(std::string_view output);
/// XML (parsers_xml.cpp).
ParsedSearch parse_zypper_xml(std::string_view output);

} // namespace zsyncctl::pkg::parsers
