// Parsers for the search output of managers whose data is not on disk in a readable form. Each format
// below is the tool's documented or long-stable output; the comment above each parser says where the
// format comes from. tests/fixtures/search/<manager>/ holds recorded samples of each.
#include "pkg/search/parsers/search_parsers.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

using util::sanitize_for_display;
using util::split_lines;
using util::trim;

SearchHit make_hit(std::string_view name, std::string_view version, std::string_view description,
                   bool installed = false) {
    SearchHit hit;
    hit.name = sanitize_for_display(trim(name));
    hit.version = sanitize_for_display(trim(version));
    hit.description = sanitize_for_display(trim(description));
    hit.installed = installed;
    return hit;
}

// Drops terminal progress drawn with carriage returns: the text after the last '\r' is what stays on screen.
std::string_view after_cr(std::string_view line) {
    std::size_t cr = line.rfind('\r');
    return cr == std::string_view::npos ? line : line.substr(cr + 1);
}

std::vector<std::string_view> words(std::string_view text, std::size_t max_fields = 0) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
            ++i;
        }
        if (i >= text.size()) {
            break;
        }
        if (max_fields != 0 && out.size() + 1 == max_fields) {
            out.push_back(trim(text.substr(i)));
            break;
        }
        std::size_t j = i;
        while (j < text.size() && text[j] != ' ' && text[j] != '\t') {
            ++j;
        }
        out.push_back(text.substr(i, j - i));
        i = j;
    }
    return out;
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// A result of line parsers: when no line could be read but some text was there, it was not this format.
ParsedSearch finish_lines(std::vector<SearchHit> hits, std::size_t unparsed, std::string_view what) {
    ParsedSearch out;
    out.hits = std::move(hits);
    if (out.hits.empty() && unparsed > 0) {
        out.error = "unrecognised " + std::string(what) + " output (" + std::to_string(unparsed) +
                    " unreadable lines)";
    }
    return out;
}

// dnf 4 / yum: "name.arch : summary" under "=== Name Matched: q ===" banners (dnf-plugins-core and
// dnf/cli/commands/search.py); dnf5: " name.arch: summary" under "Matched fields:" lines.
ParsedSearch parse_dnf(std::string_view output) {
    std::vector<SearchHit> hits;
    std::unordered_set<std::string> seen;
    std::size_t unparsed = 0;
    for (std::string_view raw : split_lines(output)) {
        std::string_view line = trim(after_cr(raw));
        if (line.empty() || line.front() == '=' || line.starts_with("Last metadata expiration") ||
            line.starts_with("Matched fields:") || line.starts_with("Updating and loading") ||
            line.starts_with("Repositories loaded") || line.starts_with("No matches found") ||
            line.starts_with("Loaded plugins")) {
            continue;
        }
        std::size_t colon = line.find(" : ");
        std::size_t sep_len = 3;
        if (colon == std::string_view::npos) {
            colon = line.find(": ");
            sep_len = 2;
        }
        if (colon == std::string_view::npos || colon == 0) {
            ++unparsed;
            continue;
        }
        std::string_view name_arch = trim(line.substr(0, colon));
        if (name_arch.find(' ') != std::string_view::npos) {
            ++unparsed;
            continue;
        }
        std::size_t dot = name_arch.rfind('.');
        std::string_view name = dot == std::string_view::npos ? name_arch : name_arch.substr(0, dot);
        if (!seen.insert(std::string(name)).second) {
            continue;
        }
        hits.push_back(make_hit(name, "", line.substr(colon + sep_len)));
    }
    return finish_lines(std::move(hits), unparsed, "dnf search");
}

std::string decode_xml_entities(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '&') {
            out.push_back(text[i]);
            continue;
        }
        std::size_t semi = text.find(';', i);
        if (semi == std::string_view::npos || semi - i > 10) {
            out.push_back('&');
            continue;
        }
        std::string_view entity = text.substr(i + 1, semi - i - 1);
        if (entity == "amp") {
            out.push_back('&');
        } else if (entity == "lt") {
            out.push_back('<');
        } else if (entity == "gt") {
            out.push_back('>');
        } else if (entity == "quot") {
            out.push_back('"');
        } else if (entity == "apos") {
            out.push_back('\'');
        } else if (entity.size() > 1 && entity[0] == '#') {
            bool hex = entity[1] == 'x' || entity[1] == 'X';
            std::uint64_t value = 0;
            bool okay = entity.size() > (hex ? 2u : 1u);
            for (char c : entity.substr(hex ? 2 : 1)) {
                int d = is_digit(c) ? c - '0' : -1;
                if (hex && d < 0) {
                    d = (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
                }
                if (d < 0 || value > 0x10FFFF) {
                    okay = false;
                    break;
                }
                value = value * (hex ? 16u : 10u) + static_cast<std::uint64_t>(d);
            }
            std::optional<std::uint64_t> code;
            if (okay) {
                code = value;
            }
            if (code && *code > 0 && *code <= 0x10FFFF) {
                std::uint32_t c = static_cast<std::uint32_t>(*code);
                if (c < 0x80) {
                    out.push_back(static_cast<char>(c));
                } else if (c < 0x800) {
                    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
                    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
                } else if (c < 0x10000) {
                    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
                    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
                    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
                } else {
                    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
                    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
                    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
                    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
                }
            } else {
                out.append(text.substr(i, semi - i + 1));
            }
        } else {
            out.append(text.substr(i, semi - i + 1));
        }
        i = semi;
    }
    return out;
}

std::string xml_attribute(std::string_view element, std::string_view attr) {
    std::size_t pos = 0;
    while (pos < element.size()) {
        std::size_t at = element.find(attr, pos);
        if (at == std::string_view::npos) {
            return {};
        }
        std::size_t eq = at + attr.size();
        bool word_start =
            at > 0 && (element[at - 1] == ' ' || element[at - 1] == '\t' || element[at - 1] == '\n');
        if (word_start && eq + 1 < element.size() && element[eq] == '=' &&
            (element[eq + 1] == '"' || element[eq + 1] == '\'')) {
            char quote = element[eq + 1];
            std::size_t end = element.find(quote, eq + 2);
            if (end == std::string_view::npos) {
                return {};
            }
            return decode_xml_entities(element.substr(eq + 2, end - eq - 2));
        }
        pos = at + 1;
    }
    return {};
}

// zypper --xmlout search --details: <stream><search-result><solvable-list><solvable status="installed"
// name="…" summary="…" kind="package" edition="…" arch="…" repository="…"/> (zypper's documented stable
// XML interface, src/search.cc and the zypper-xml schema). --details lists one solvable per version.
ParsedSearch parse_zypper_xml(std::string_view output) {
    ParsedSearch out;
    std::unordered_set<std::string> seen;
    std::size_t pos = 0;
    bool saw_stream = output.find("<stream") != std::string_view::npos;
    while (true) {
        std::size_t start = output.find("<solvable ", pos);
        if (start == std::string_view::npos) {
            break;
        }
        std::size_t end = output.find('>', start);
        if (end == std::string_view::npos) {
            out.error = "truncated zypper XML output";
            break;
        }
        std::string_view element = output.substr(start, end - start);
        pos = end + 1;
        std::string kind = xml_attribute(element, "kind");
        if (!kind.empty() && kind != "package") {
            continue;
        }
        std::string name = xml_attribute(element, "name");
        if (name.empty() || !seen.insert(name).second) {
            continue;
        }
        std::string status = xml_attribute(element, "status");
        out.hits.push_back(make_hit(name, xml_attribute(element, "edition"),
                                    xml_attribute(element, "summary"), status == "installed"));
    }
    if (!saw_stream && out.hits.empty() && !trim(output).empty()) {
        out.error = "zypper did not print XML";
    } else if (saw_stream && output.find("</stream>") == std::string_view::npos && !out.error) {
        out.error = "truncated zypper XML output";
    }
    return out;
}

// apk: "name-1.2.3-r0" -> the version starts at the last '-' that is followed by a digit and leads to
// "-r<digits>" (apk-tools' pkgname-pkgver-rN naming).
std::pair<std::string_view, std::string_view> split_apk(std::string_view pkg) {
    std::size_t rel = pkg.rfind("-r");
    if (rel != std::string_view::npos && rel > 0) {
        std::size_t dash = pkg.rfind('-', rel - 1);
        if (dash != std::string_view::npos && dash + 1 < pkg.size() && is_digit(pkg[dash + 1])) {
            return {pkg.substr(0, dash), pkg.substr(dash + 1)};
        }
    }
    std::size_t dash = pkg.rfind('-');
    if (dash != std::string_view::npos && dash + 1 < pkg.size() && is_digit(pkg[dash + 1])) {
        return {pkg.substr(0, dash), pkg.substr(dash + 1)};
    }
    return {pkg, {}};
}

// apk --no-progress search --verbose q: "firefox-120.0-r0 - Firefox web browser" (apk-tools
// src/app_search.c).
ParsedSearch parse_apk(std::string_view output) {
    std::vector<SearchHit> hits;
    std::size_t unparsed = 0;
    for (std::string_view raw : split_lines(output)) {
        std::string_view line = trim(raw);
        if (line.empty() || line.starts_with("WARNING:") || line.starts_with("fetch ")) {
            continue;
        }
        std::size_t sep = line.find(" - ");
        std::string_view pkg = sep == std::string_view::npos ? line : line.substr(0, sep);
        if (pkg.find(' ') != std::string_view::npos) {
            ++unparsed;
            continue;
        }
        auto [name, version] = split_apk(pkg);
        if (version.empty()) {
            ++unparsed;
            continue;
        }
        hits.push_back(make_hit(name, version, sep == std::string_view::npos ? "" : line.substr(sep + 3)));
    }
    return finish_lines(std::move(hits), unparsed, "apk search");
}

// xbps-query -Rs q: "[*] firefox-120.0_1  Mozilla Firefox web browser", "[-]" when not installed
// (xbps bin/xbps-query/search.c; pkgver is name-version_revision).
ParsedSearch parse_xbps(std::string_view output) {
    std::vector<SearchHit> hits;
    std::size_t unparsed = 0;
    for (std::string_view raw : split_lines(output)) {
        std::string_view line = trim(raw);
        if (line.empty()) {
            continue;
        }
        if (line.size() < 4 || line[0] != '[' || line[2] != ']') {
            ++unparsed;
            continue;
        }
        bool installed = line[1] == '*';
        auto fields = words(line.substr(3), 2);
        if (fields.empty()) {
            ++unparsed;
            continue;
        }
        std::string_view pkgver = fields[0];
        std::size_t dash = pkgver.rfind('-');
        if (dash == std::string_view::npos || dash == 0) {
            ++unparsed;
            continue;
        }
        hits.push_back(make_hit(pkgver.substr(0, dash), pkgver.substr(dash + 1),
                                fields.size() > 1 ? fields[1] : "", installed));
    }
    return finish_lines(std::move(hits), unparsed, "xbps-query");
}

std::string json_string(const nlohmann::json& object, const char* key) {
    auto it = object.find(key);
    if (it == object.end()) {
        return {};
    }
    if (it->is_string()) {
        return it->get<std::string>();
    }
    if (it->is_number()) {
        return it->dump();
    }
    return {};
}

// Recovers the complete elements of a JSON array or object that was cut off: returns each complete
// top-level element's text (for objects, "key":value pairs are returned as the value's text with the key).
struct JsonElement {
    std::string key;
    std::string_view text;
};
std::vector<JsonElement> salvage_json_elements(std::string_view doc) {
    std::vector<JsonElement> out;
    std::size_t i = doc.find_first_of("[{");
    if (i == std::string_view::npos) {
        return out;
    }
    bool is_object = doc[i] == '{';
    ++i;
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    std::size_t start = std::string_view::npos;
    std::string key;
    std::size_t key_start = std::string_view::npos;
    for (; i < doc.size(); ++i) {
        char c = doc[i];
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
                if (is_object && depth == 0 && key_start != std::string_view::npos &&
                    start == std::string_view::npos) {
                    key.assign(doc.substr(key_start, i - key_start));
                    key_start = std::string_view::npos;
                }
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
            if (is_object && depth == 0 && start == std::string_view::npos) {
                key_start = i + 1;
            }
            continue;
        }
        if (c == '{' || c == '[') {
            if (depth == 0) {
                start = i;
            }
            ++depth;
        } else if (c == '}' || c == ']') {
            if (depth == 0) {
                break;
            }
            --depth;
            if (depth == 0 && start != std::string_view::npos) {
                out.push_back({key, doc.substr(start, i - start + 1)});
                start = std::string_view::npos;
            }
        }
    }
    return out;
}

// nix search nixpkgs q --json: {"legacyPackages.x86_64-linux.hello": {"pname": "hello", "version":
// "2.12.1", "description": "…"}} (nix src/nix/search.cc).
ParsedSearch parse_nix_json(std::string_view output) {
    ParsedSearch out;
    auto add = [&](const std::string& attr, const nlohmann::json& value) {
        if (!value.is_object()) {
            return;
        }
        std::string name = json_string(value, "pname");
        if (name.empty()) {
            std::size_t dot = attr.rfind('.');
            name = dot == std::string::npos ? attr : attr.substr(dot + 1);
        }
        out.hits.push_back(make_hit(name, json_string(value, "version"), json_string(value, "description")));
    };
    auto doc = nlohmann::json::parse(output, nullptr, false);
    if (!doc.is_discarded()) {
        if (!doc.is_object()) {
            out.error = "nix search --json did not print an object";
            return out;
        }
        for (auto it = doc.begin(); it != doc.end(); ++it) {
            add(it.key(), it.value());
        }
        return out;
    }
    for (const auto& element : salvage_json_elements(output)) {
        auto value = nlohmann::json::parse(element.text, nullptr, false);
        if (!value.is_discarded()) {
            add(element.key, value);
        }
    }
    if (!trim(output).empty()) {
        out.error = "truncated or malformed nix search JSON";
    }
    return out;
}

// npm search --json: [{"name", "description", "version", "date", …}] (npm lib/commands/search.js).
ParsedSearch parse_npm_json(std::string_view output) {
    ParsedSearch out;
    auto add = [&](const nlohmann::json& value) {
        if (value.is_object() && value.contains("name")) {
            out.hits.push_back(make_hit(json_string(value, "name"), json_string(value, "version"),
                                        json_string(value, "description")));
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
            out.error = "npm: " + (err.is_object() ? json_string(err, "summary") : std::string("error"));
        } else {
            out.error = "npm search --json did not print an array";
        }
        return out;
    }
    for (const auto& element : salvage_json_elements(output)) {
        auto value = nlohmann::json::parse(element.text, nullptr, false);
        if (!value.is_discarded()) {
            add(value);
        }
    }
    out.error = "truncated or malformed npm search JSON";
    return out;
}

// guix search q: recutils records separated by blank lines, fields "name:", "version:", "synopsis:"
// (guix/ui.scm package->recutils).
ParsedSearch parse_guix(std::string_view output) {
    std::vector<SearchHit> hits;
    std::size_t unparsed = 0;
    SearchHit current;
    bool in_record = false;
    auto flush = [&] {
        if (in_record && !current.name.empty()) {
            hits.push_back(make_hit(current.name, current.version, current.description));
        } else if (in_record) {
            ++unparsed;
        }
        current = {};
        in_record = false;
    };
    for (std::string_view line : split_lines(output)) {
        if (trim(line).empty()) {
            flush();
            continue;
        }
        if (line.front() == '+') {
            in_record = true;
            continue;
        }
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            ++unparsed;
            continue;
        }
        in_record = true;
        std::string_view key = line.substr(0, colon);
        std::string_view value = trim(line.substr(colon + 1));
        if (key == "name") {
            current.name.assign(value);
        } else if (key == "version") {
            current.version.assign(value);
        } else if (key == "synopsis") {
            current.description.assign(value);
        }
    }
    flush();
    return finish_lines(std::move(hits), unparsed, "guix search");
}

// port search q: "hello @2.10 (sysutils)" followed by an indented description line
// (macports base/src/port/port.tcl action_search).
ParsedSearch parse_macports(std::string_view output) {
    std::vector<SearchHit> hits;
    std::size_t unparsed = 0;
    for (std::string_view raw : split_lines(output)) {
        if (trim(raw).empty()) {
            continue;
        }
        if ((raw.front() == ' ' || raw.front() == '\t') && !hits.empty()) {
            if (hits.back().description.empty()) {
                hits.back().description = sanitize_for_display(trim(raw));
            }
            continue;
        }
        std::string_view line = trim(raw);
        auto fields = words(line);
        if (fields.size() >= 2 && fields[1].starts_with("@")) {
            hits.push_back(make_hit(fields[0], fields[1].substr(1), ""));
        } else if (!line.starts_with("Found ") && !line.starts_with("No match")) {
            ++unparsed;
        }
    }
    return finish_lines(std::move(hits), unparsed, "port search");
}

// snap find q --color=never: "Name  Version  Publisher  Notes  Summary" header, then one row per snap;
// the first four columns never contain spaces (snapd cmd/snap/cmd_find.go, tabwriter).
ParsedSearch parse_snap(std::string_view output) {
    std::vector<SearchHit> hits;
    std::size_t unparsed = 0;
    bool header = false;
    for (std::string_view raw : split_lines(output)) {
        std::string_view line = trim(raw);
        if (line.empty()) {
            continue;
        }
        if (!header) {
            if (line.starts_with("Name") && line.find("Version") != std::string_view::npos) {
                header = true;
            } else if (!line.starts_with("No matching snaps")) {
                ++unparsed;
            }
            continue;
        }
        auto fields = words(line, 5);
        if (fields.size() < 4) {
            ++unparsed;
            continue;
        }
        hits.push_back(make_hit(fields[0], fields[1], fields.size() > 4 ? fields[4] : ""));
    }
    return finish_lines(std::move(hits), unparsed, "snap find");
}

// flatpak search q without a terminal: tab-separated Name, Description, Application ID, Version, Branch,
// Remotes (flatpak app/flatpak-builtins-search.c with FlatpakTablePrinter); the installable name is the
// application ID.
ParsedSearch parse_flatpak(std::string_view output) {
    std::vector<SearchHit> hits;
    std::size_t unparsed = 0;
    for (std::string_view raw : split_lines(output)) {
        std::string_view line = after_cr(raw);
        if (trim(line).empty() || trim(line) == "No matches found") {
            continue;
        }
        auto fields = util::split(line, '\t');
        if (fields.size() < 4) {
            ++unparsed;
            continue;
        }
        if (trim(fields[0]) == "Name" && trim(fields[2]) == "Application ID") {
            continue;
        }
        hits.push_back(make_hit(fields[2], fields[3], fields[1]));
    }
    return finish_lines(std::move(hits), unparsed, "flatpak search");
}

// choco search q --limit-output: "name|version" (chocolatey's documented machine-readable mode).
ParsedSearch parse_choco(std::string_view output) {
    std::vector<SearchHit> hits;
    std::size_t unparsed = 0;
    for (std::string_view raw : split_lines(output)) {
        std::string_view line = trim(raw);
        if (line.empty()) {
            continue;
        }
        auto fields = util::split(line, '|');
        if (fields.size() < 2 || trim(fields[0]).empty()) {
            ++unparsed;
            continue;
        }
        hits.push_back(make_hit(fields[0], fields[1], ""));
    }
    return finish_lines(std::move(hits), unparsed, "choco search");
}

// scoop search q (PowerShell table): "Name Version Source Binaries" header, a dashes line, then rows
// (ScoopInstaller/Scoop libexec/scoop-search.ps1).
ParsedSearch parse_scoop(std::string_view output) {
    std::vector<SearchHit> hits;
    std::size_t unparsed = 0;
    bool in_table = false;
    for (std::string_view raw : split_lines(output)) {
        std::string_view line = trim(raw);
        if (line.empty()) {
            continue;
        }
        if (line.starts_with("----")) {
            in_table = true;
            continue;
        }
        if (!in_table) {
            if (!line.starts_with("Results from") && !line.starts_with("Name ") &&
                !line.starts_with("WARN") && !line.starts_with("No matches")) {
                ++unparsed;
            }
            continue;
        }
        auto fields = words(line);
        if (fields.size() < 2) {
            ++unparsed;
            continue;
        }
        hits.push_back(
            make_hit(fields[0], fields[1], fields.size() > 2 ? "bucket " + std::string(fields[2]) : ""));
    }
    return finish_lines(std::move(hits), unparsed, "scoop search");
}

// Display width of UTF-8 text in columns, counting each code point as one column.
std::size_t byte_offset_for_column(std::string_view text, std::size_t column) {
    std::size_t col = 0;
    std::size_t i = 0;
    while (i < text.size() && col < column) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
        i += len;
        ++col;
    }
    return std::min(i, text.size());
}

// winget search q: fixed-width table under "Name Id Version Match Source" and a dashes line; columns are
// sliced at the header's column positions (winget-cli src/AppInstallerCLICore/TableOutput.h). Names
// may be cut with '…'. The installable name is the Id.
ParsedSearch parse_winget(std::string_view output) {
    std::vector<SearchHit> hits;
    std::size_t unparsed = 0;
    std::vector<std::size_t> columns; // start column of Name, Id, Version, then the rest
    bool past_rule = false;
    for (std::string_view raw : split_lines(output)) {
        std::string_view line = after_cr(raw);
        if (trim(line).empty()) {
            continue;
        }
        if (columns.empty()) {
            std::size_t id = line.find(" Id ");
            std::size_t ver = line.find(" Version");
            if (trim(line).starts_with("Name") && id != std::string_view::npos &&
                ver != std::string_view::npos) {
                std::size_t name_col = line.find("Name");
                std::size_t rest = line.find(' ', ver + 1);
                while (rest != std::string_view::npos && rest < line.size() && line[rest] == ' ') {
                    ++rest;
                }
                columns = {name_col, id + 1, ver + 1, rest == std::string_view::npos ? line.size() : rest};
            } else if (!trim(line).starts_with("No package found")) {
                ++unparsed;
            }
            continue;
        }
        if (!past_rule && trim(line).starts_with("---")) {
            past_rule = true;
            continue;
        }
        auto slice = [&](std::size_t from, std::size_t to) {
            std::size_t a = byte_offset_for_column(line, from);
            std::size_t b = byte_offset_for_column(line, to);
            return trim(line.substr(a, b > a ? b - a : 0));
        };
        std::string_view name = slice(columns[0], columns[1]);
        std::string_view id = slice(columns[1], columns[2]);
        std::string_view version = words(slice(columns[2], std::string_view::npos)).empty()
                                       ? std::string_view()
                                       : words(slice(columns[2], std::string_view::npos))[0];
        if (id.empty() || id.find(' ') != std::string_view::npos) {
            ++unparsed;
            continue;
        }
        hits.push_back(make_hit(id, version, name));
    }
    return finish_lines(std::move(hits), unparsed, "winget search");
}

// cargo search q: 'serde = "1.0.193"    # A generic serialization framework', then
// "... and 4417 crates more" (cargo src/cargo/ops/registry/search.rs).
ParsedSearch parse_cargo(std::string_view output) {
    std::vector<SearchHit> hits;
    std::size_t unparsed = 0;
    for (std::string_view raw : split_lines(output)) {
        std::string_view line = trim(raw);
        if (line.empty() || line.starts_with("...") || line.starts_with("note:")) {
            continue;
        }
        std::size_t eq = line.find(" = \"");
        if (eq == std::string_view::npos) {
            ++unparsed;
            continue;
        }
        std::size_t close = line.find('"', eq + 4);
        if (close == std::string_view::npos) {
            ++unparsed;
            continue;
        }
        std::size_t hash = line.find('#', close);
        hits.push_back(make_hit(line.substr(0, eq), line.substr(eq + 4, close - eq - 4),
                                hash == std::string_view::npos ? "" : line.substr(hash + 1)));
    }
    return finish_lines(std::move(hits), unparsed, "cargo search");
}

// gem search q: "rails (7.1.2)", older versions under a "*** REMOTE GEMS ***" banner; platforms may follow
// the version ("nokogiri (1.15.5 ruby x86_64-linux)") (rubygems lib/rubygems/commands/query_command.rb).
ParsedSearch parse_gem(std::string_view output) {
    std::vector<SearchHit> hits;
    std::size_t unparsed = 0;
    for (std::string_view raw : split_lines(output)) {
        std::string_view line = trim(raw);
        if (line.empty() || line.starts_with("***")) {
            continue;
        }
        std::size_t open = line.find(" (");
        if (open == std::string_view::npos || line.back() != ')' ||
            line.substr(0, open).find(' ') != std::string_view::npos) {
            ++unparsed;
            continue;
        }
        std::string_view inside = line.substr(open + 2, line.size() - open - 3);
        auto vs = words(inside);
        std::string_view version = vs.empty() ? std::string_view() : vs[0];
        if (!version.empty() && version.back() == ',') {
            version.remove_suffix(1);
        }
        hits.push_back(make_hit(line.substr(0, open), version, ""));
    }
    return finish_lines(std::move(hits), unparsed, "gem search");
}

// pacman -Ss q (also yay/paru -Ss): "repo/name version [installed]" or "aur/name ver (+12 0.5)" then the
// description indented four spaces (pacman src/pacman/package.c print_packages / ss).
ParsedSearch parse_pacman_ss(std::string_view output) {
    std::vector<SearchHit> hits;
    std::size_t unparsed = 0;
    for (std::string_view raw : split_lines(output)) {
        if (trim(raw).empty()) {
            continue;
        }
        if (raw.front() == ' ' || raw.front() == '\t') {
            if (!hits.empty() && hits.back().description.empty()) {
                hits.back().description = sanitize_for_display(trim(raw));
            }
            continue;
        }
        auto fields = words(trim(raw));
        std::size_t slash = fields.empty() ? std::string_view::npos : fields[0].find('/');
        if (fields.size() < 2 || slash == std::string_view::npos) {
            ++unparsed;
            continue;
        }
        bool installed = trim(raw).find("[installed") != std::string_view::npos;
        hits.push_back(make_hit(fields[0].substr(slash + 1), fields[1], "", installed));
    }
    return finish_lines(std::move(hits), unparsed, "pacman -Ss");
}

// FreeBSD pkg search q: "name-version    comment" (pkg src/search.c, default output).
ParsedSearch parse_freebsd_pkg(std::string_view output) {
    std::vector<SearchHit> hits;
    std::size_t unparsed = 0;
    for (std::string_view raw : split_lines(output)) {
        std::string_view line = trim(raw);
        if (line.empty()) {
            continue;
        }
        auto fields = words(line, 2);
        std::size_t dash = fields[0].rfind('-');
        if (dash == std::string_view::npos || dash == 0) {
            ++unparsed;
            continue;
        }
        hits.push_back(make_hit(fields[0].substr(0, dash), fields[0].substr(dash + 1),
                                fields.size() > 1 ? fields[1] : ""));
    }
    return finish_lines(std::move(hits), unparsed, "pkg search");
}

// mas search q: "  497799835  Xcode  (15.1)" (mas-cli Sources/mas/Formatters/SearchResultFormatter.swift);
// the installable name is the numeric app id.
ParsedSearch parse_mas(std::string_view output) {
    std::vector<SearchHit> hits;
    std::size_t unparsed = 0;
    for (std::string_view raw : split_lines(output)) {
        std::string_view line = trim(raw);
        if (line.empty() || line.starts_with("No results")) {
            continue;
        }
        auto fields = words(line, 2);
        std::size_t open = fields.size() > 1 ? fields[1].rfind(" (") : std::string_view::npos;
        if (fields.size() < 2 || !util::parse_uint(fields[0]) || open == std::string_view::npos ||
            fields[1].back() != ')') {
            ++unparsed;
            continue;
        }
        hits.push_back(make_hit(fields[0], fields[1].substr(open + 2, fields[1].size() - open - 3),
                                fields[1].substr(0, open)));
    }
    return finish_lines(std::move(hits), unparsed, "mas search");
}

// conda search --json q: {"name": [{"name", "version", "build", …}, …]} (conda/cli/main_search.py); the
// newest entry is the last one.
ParsedSearch parse_conda_json(std::string_view output) {
    ParsedSearch out;
    auto doc = nlohmann::json::parse(output, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        out.error = "malformed conda search JSON";
        return out;
    }
    if (doc.contains("error")) {
        if (json_string(doc, "exception_name") == "PackagesNotFoundError") {
            return out;
        }
        out.error = "conda: " + json_string(doc, "message");
        return out;
    }
    for (auto it = doc.begin(); it != doc.end(); ++it) {
        if (it->is_array() && !it->empty() && it->back().is_object()) {
            out.hits.push_back(make_hit(it.key(), json_string(it->back(), "version"), ""));
        }
    }
    return out;
}

struct ParserEntry {
    std::string_view id;
    SearchParserFn fn;
};

constexpr ParserEntry k_parsers[] = {
    {"apk", parse_apk},
    {"cargo", parse_cargo},
    {"choco", parse_choco},
    {"conda-json", parse_conda_json},
    {"dnf", parse_dnf},
    {"flatpak", parse_flatpak},
    {"freebsd-pkg", parse_freebsd_pkg},
    {"gem", parse_gem},
    {"guix", parse_guix},
    {"macports", parse_macports},
    {"mas", parse_mas},
    {"nix-json", parse_nix_json},
    {"npm-json", parse_npm_json},
    {"pacman-ss", parse_pacman_ss},
    {"scoop", parse_scoop},
    {"snap", parse_snap},
    {"winget", parse_winget},
    {"xbps", parse_xbps},
    {"zypper-xml", parse_zypper_xml},
};

} // namespace

SearchParserFn find_search_parser(std::string_view id) {
    for (const auto& p : k_parsers) {
        if (p.id == id) {
            return p.fn;
        }
    }
    return nullptr;
}

std::vector<std::string_view> search_parser_ids() {
    std::vector<std::string_view> ids;
    for (const auto& p : k_parsers) {
        ids.push_back(p.id);
    }
    return ids;
}

std::vector<SearchHit> filter_hits(std::vector<SearchHit> hits, const SearchQuery& query) {
    if (query.mode == MatchMode::exact) {
        std::erase_if(hits, [&](const SearchHit& h) { return !query_matches(query, h.name, h.description); });
    }
    if (query.limit != 0 && hits.size() > query.limit) {
        hits.resize(query.limit);
    }
    return hits;
}

} // namespace zsyncctl::pkg
