// Parsers for the search output of managers whose data is not on disk in a readable form. Each format
// below is the tool's documented or long-stable output; the comment above each parser says where the
// format comes from. tests/fixtures/search/<manager>/ holds recorded samples of each.
// Column tables: fixed columns under a header line.
#include "pkg/search/parsers/parsers_internal.hpp"

#include <algorithm>

#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg::parsers {

using util::sanitize_terminal;
using util::trim;

namespace {

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

} // namespace

// snap find q --color=never: "Name  Version  Publisher  Notes  Summary" header, then one row per snap;
// the first four columns never contain spaces (snapd cmd/snap/cmd_find.go, tabwriter).
ParsedSearch parse_snap(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::size_t unparsed = 0;
    bool header = false;
    for (std::string_view raw : Lines(output)) {
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
        sink.add(fields[0], fields[1], fields.size() > 4 ? fields[4] : "");
    }
    return finish_lines(sink, unparsed, "snap find");
}

// flatpak search q without a terminal: tab-separated Name, Description, Application ID, Version, Branch,
// Remotes (flatpak app/flatpak-builtins-search.c with FlatpakTablePrinter); the installable name is the
// application ID.
ParsedSearch parse_flatpak(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::size_t unparsed = 0;
    for (std::string_view raw : Lines(output)) {
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
        sink.add(fields[2], fields[3], fields[1]);
    }
    return finish_lines(sink, unparsed, "flatpak search");
}

// scoop search q (PowerShell table): "Name Version Source Binaries" header, a dashes line, then rows
// (ScoopInstaller/Scoop libexec/scoop-search.ps1).
ParsedSearch parse_scoop(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::size_t unparsed = 0;
    bool in_table = false;
    for (std::string_view raw : Lines(output)) {
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
        sink.add(fields[0], fields[1], fields.size() > 2 ? "bucket " + std::string(fields[2]) : "");
    }
    return finish_lines(sink, unparsed, "scoop search");
}

// winget search q: fixed-width table under "Name Id Version Match Source" and a dashes line; columns are
// sliced at the header's column positions (winget-cli src/AppInstallerCLICore/TableOutput.h). Names
// may be cut with '…'. The installable name is the Id.
ParsedSearch parse_winget(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::size_t unparsed = 0;
    std::vector<std::size_t> columns; // start column of Name, Id, Version, then the rest
    bool past_rule = false;
    for (std::string_view raw : Lines(output)) {
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
        sink.add(id, version, name);
    }
    return finish_lines(sink, unparsed, "winget search");
}

} // namespace zsyncctl::pkg::parsers
