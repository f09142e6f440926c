// Parsers for the search output of managers whose data is not on disk in a readable form. Each format
// below is the tool's documented or long-stable output; the comment above each parser says where the
// format comes from. tests/fixtures/search/<manager>/ holds recorded samples of each.
// Line-oriented formats: one package per line or per short record.
#include "pkg/search/parsers/parsers_internal.hpp"

#include <algorithm>
#include <unordered_set>

#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg::parsers {

using util::sanitize_terminal;
using util::trim;

namespace {

// apk: "name-1.2.3-r0" -> the version starts at the last '-' that is followed by a digit and leads to
// "-r<digits>" (apk-tools' pkgname-pkgver-rN naming).
std::pair<std::string_view, std::string_view> split_apk(std::string_view pkg) {
    std::size_t rel = pkg.rfind("-r");
    if (rel != std::string_view::npos && rel > 0) {
        std::size_t dash = pkg.rfind('-', rel - 1);
        if (dash != std::string_view::npos && dash + 1 < pkg.size() && util::is_ascii_digit(pkg[dash + 1])) {
            return {pkg.substr(0, dash), pkg.substr(dash + 1)};
        }
    }
    std::size_t dash = pkg.rfind('-');
    if (dash != std::string_view::npos && dash + 1 < pkg.size() && util::is_ascii_digit(pkg[dash + 1])) {
        return {pkg.substr(0, dash), pkg.substr(dash + 1)};
    }
    return {pkg, {}};
}

} // namespace

// dnf 4 / yum: "name.arch : summary" under "=== Name Matched: q ===" banners (dnf-plugins-core and
// dnf/cli/commands/search.py); dnf5: " name.arch: summary" under "Matched fields:" lines.
ParsedSearch parse_dnf(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::unordered_set<std::string_view> seen; // names point into output: no copy per line
    std::size_t unparsed = 0;
    for (std::string_view raw : Lines(output)) {
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
        if (!seen.insert(name).second) {
            continue;
        }
        sink.add(name, "", line.substr(colon + sep_len));
    }
    return finish_lines(sink, unparsed, "dnf search");
}

// apk --no-progress search --verbose q: "firefox-120.0-r0 - Firefox web browser" (apk-tools
// src/app_search.c).
ParsedSearch parse_apk(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::size_t unparsed = 0;
    for (std::string_view raw : Lines(output)) {
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
        sink.add(name, version, sep == std::string_view::npos ? "" : line.substr(sep + 3));
    }
    return finish_lines(sink, unparsed, "apk search");
}

// xbps-query -Rs q: "[*] firefox-120.0_1  Mozilla Firefox web browser", "[-]" when not installed
// (xbps bin/xbps-query/search.c; pkgver is name-version_revision).
ParsedSearch parse_xbps(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::size_t unparsed = 0;
    for (std::string_view raw : Lines(output)) {
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
        sink.add(pkgver.substr(0, dash), pkgver.substr(dash + 1), fields.size() > 1 ? fields[1] : "",
                 installed);
    }
    return finish_lines(sink, unparsed, "xbps-query");
}

// guix search q: recutils records separated by blank lines, fields "name:", "version:", "synopsis:"
// (guix/ui.scm package->recutils).
ParsedSearch parse_guix(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::size_t unparsed = 0;
    // The record's fields point into output; a hit is only built for a record that is stored.
    std::string_view name;
    std::string_view version;
    std::string_view synopsis;
    bool in_record = false;
    auto flush = [&] {
        if (in_record && !trim(name).empty()) {
            sink.add(name, version, synopsis);
        } else if (in_record) {
            ++unparsed;
        }
        name = version = synopsis = {};
        in_record = false;
    };
    for (std::string_view line : Lines(output)) {
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
            name = value;
        } else if (key == "version") {
            version = value;
        } else if (key == "synopsis") {
            synopsis = value;
        }
    }
    flush();
    return finish_lines(sink, unparsed, "guix search");
}

// port search q: "hello @2.10 (sysutils)" followed by an indented description line
// (macports base/src/port/port.tcl action_search).
ParsedSearch parse_macports(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::size_t unparsed = 0;
    for (std::string_view raw : Lines(output)) {
        if (trim(raw).empty()) {
            continue;
        }
        if ((raw.front() == ' ' || raw.front() == '\t') && sink.read() > 0) {
            if (SearchHit* last = sink.last(); last != nullptr && last->description.empty()) {
                last->description = sanitize_terminal(trim(raw));
            }
            continue;
        }
        std::string_view line = trim(raw);
        auto fields = words(line);
        if (fields.size() >= 2 && fields[1].starts_with("@")) {
            sink.add(fields[0], fields[1].substr(1), "");
        } else if (!line.starts_with("Found ") && !line.starts_with("No match")) {
            ++unparsed;
        }
    }
    return finish_lines(sink, unparsed, "port search");
}

// choco search q --limit-output: "name|version" (chocolatey's documented machine-readable mode).
ParsedSearch parse_choco(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::size_t unparsed = 0;
    for (std::string_view raw : Lines(output)) {
        std::string_view line = trim(raw);
        if (line.empty()) {
            continue;
        }
        auto fields = util::split(line, '|');
        if (fields.size() < 2 || trim(fields[0]).empty()) {
            ++unparsed;
            continue;
        }
        sink.add(fields[0], fields[1], "");
    }
    return finish_lines(sink, unparsed, "choco search");
}

// cargo search q: 'serde = "1.0.193"    # A generic serialization framework', then
// "... and 4417 crates more" (cargo src/cargo/ops/registry/search.rs).
ParsedSearch parse_cargo(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::size_t unparsed = 0;
    for (std::string_view raw : Lines(output)) {
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
        sink.add(line.substr(0, eq), line.substr(eq + 4, close - eq - 4),
                 hash == std::string_view::npos ? "" : line.substr(hash + 1));
    }
    return finish_lines(sink, unparsed, "cargo search");
}

// gem search q: "rails (7.1.2)", older versions under a "*** REMOTE GEMS ***" banner; platforms may follow
// the version ("nokogiri (1.15.5 ruby x86_64-linux)") (rubygems lib/rubygems/commands/query_command.rb).
ParsedSearch parse_gem(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::size_t unparsed = 0;
    for (std::string_view raw : Lines(output)) {
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
        sink.add(line.substr(0, open), version, "");
    }
    return finish_lines(sink, unparsed, "gem search");
}

// pacman -Ss q (also yay/paru -Ss): "repo/name version [installed]" or "aur/name ver (+12 0.5)" then the
// description indented four spaces (pacman src/pacman/package.c print_packages / ss).
ParsedSearch parse_pacman_ss(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::size_t unparsed = 0;
    for (std::string_view raw : Lines(output)) {
        if (trim(raw).empty()) {
            continue;
        }
        if (raw.front() == ' ' || raw.front() == '\t') {
            if (SearchHit* last = sink.last(); last != nullptr && last->description.empty()) {
                last->description = sanitize_terminal(trim(raw));
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
        sink.add(fields[0].substr(slash + 1), fields[1], "", installed);
    }
    return finish_lines(sink, unparsed, "pacman -Ss");
}

// FreeBSD pkg search q: "name-version    comment" (pkg src/search.c, default output).
ParsedSearch parse_freebsd_pkg(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::size_t unparsed = 0;
    for (std::string_view raw : Lines(output)) {
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
        sink.add(fields[0].substr(0, dash), fields[0].substr(dash + 1), fields.size() > 1 ? fields[1] : "");
    }
    return finish_lines(sink, unparsed, "pkg search");
}

// mas search q: "  497799835  Xcode  (15.1)" (mas-cli Sources/mas/Formatters/SearchResultFormatter.swift);
// the installable name is the numeric app id.
ParsedSearch parse_mas(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::size_t unparsed = 0;
    for (std::string_view raw : Lines(output)) {
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
        sink.add(fields[0], fields[1].substr(open + 2, fields[1].size() - open - 3),
                 fields[1].substr(0, open));
    }
    return finish_lines(sink, unparsed, "mas search");
}

} // namespace zsyncctl::pkg::parsers
