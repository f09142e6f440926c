// Parsers for the search output of managers whose data is not on disk in a readable form. Each format
// below is the tool's documented or long-stable output; the comment above each parser says where the
// format comes from. tests/fixtures/search/<manager>/ holds recorded samples of each.
// XML (zypper's stable --xmlout interface).
#include "pkg/search/parsers/parsers_internal.hpp"

#include <unordered_set>

#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg::parsers {

using util::sanitize_terminal;
using util::split_lines;
using util::trim;

namespace {

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

} // namespace

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

} // namespace zsyncctl::pkg::parsers
