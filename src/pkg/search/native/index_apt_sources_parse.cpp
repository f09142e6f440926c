#include <algorithm>
#include <cstdio>

#include "pkg/search/native/archive_reader.hpp"
#include "pkg/search/native/index_apt.hpp"
#include "util/strings.hpp"

// apt's source entries as text: one-line sources.list(5) and deb822 .sources, and the list file name
// apt derives from a URI. Pure parsing; apt_setup (index_apt_sources.cpp) reads the files.

namespace zsyncctl::pkg {

namespace {

std::vector<std::string> words(std::string_view text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
            ++i;
        }
        std::size_t start = i;
        while (i < text.size() && text[i] != ' ' && text[i] != '\t') {
            ++i;
        }
        if (i > start) {
            out.emplace_back(text.substr(start, i - start));
        }
    }
    return out;
}

std::vector<std::string> split_list(std::string_view text, char sep) {
    std::vector<std::string> out;
    for (std::string_view part : util::split(text, sep)) {
        part = util::trim(part);
        if (!part.empty()) {
            out.emplace_back(part);
        }
    }
    return out;
}

} // namespace

std::vector<AptSourceEntry> parse_sources_list(std::string_view text) {
    std::vector<AptSourceEntry> out;
    for (std::string_view line : util::split_lines(text)) {
        std::size_t hash = line.find('#');
        line = util::trim(line.substr(0, hash));
        if (line.empty()) {
            continue;
        }
        AptSourceEntry entry;
        std::string_view rest = line;
        std::size_t sp = rest.find_first_of(" \t");
        if (sp == std::string_view::npos || rest.substr(0, sp) != "deb") {
            continue;
        }
        rest = util::trim(rest.substr(sp));
        if (!rest.empty() && rest.front() == '[') {
            std::size_t close = rest.find(']');
            if (close == std::string_view::npos) {
                continue;
            }
            for (const auto& opt : words(rest.substr(1, close - 1))) {
                if (opt.rfind("arch=", 0) == 0) {
                    entry.architectures = split_list(std::string_view(opt).substr(5), ',');
                }
            }
            rest = util::trim(rest.substr(close + 1));
        }
        auto w = words(rest);
        if (w.size() < 2) {
            continue;
        }
        entry.uri = w[0];
        entry.suite = w[1];
        entry.components.assign(w.begin() + 2, w.end());
        if (entry.suite.back() != '/' && entry.components.empty()) {
            continue; // apt refuses a non-flat entry without components
        }
        out.push_back(std::move(entry));
    }
    return out;
}

std::vector<AptSourceEntry> parse_deb822_sources(std::string_view text) {
    std::vector<AptSourceEntry> out;
    // Comment lines are dropped first: deb822 allows them anywhere, even between continuation lines.
    std::string clean;
    for (std::string_view line : util::split_lines(text)) {
        if (!line.empty() && line[0] == '#') {
            continue;
        }
        clean.append(line);
        clean.push_back('\n');
    }
    StanzaSplitter splitter([&](std::string_view stanza) {
        std::string scratch;
        auto field = [&](std::string_view key) {
            std::string value(deb822_field(stanza, key, &scratch));
            std::replace(value.begin(), value.end(), '\n', ' ');
            return value;
        };
        auto types = words(field("Types"));
        if (std::find(types.begin(), types.end(), "deb") == types.end()) {
            return;
        }
        std::string enabled = std::string(util::trim(field("Enabled")));
        if (enabled == "no" || enabled == "false") {
            return;
        }
        auto components = words(field("Components"));
        auto archs = words(field("Architectures"));
        for (const auto& uri : words(field("URIs"))) {
            for (const auto& suite : words(field("Suites"))) {
                if (suite.back() != '/' && components.empty()) {
                    continue;
                }
                out.push_back(AptSourceEntry{uri, suite, components, archs});
            }
        }
    });
    splitter.feed(clean);
    splitter.finish();
    return out;
}

std::string apt_uri_to_filename(std::string_view uri) {
    // Drop "scheme:" (also "mirror+file:", "tor+http:") and "//user:password@".
    std::size_t colon = uri.find(':');
    std::size_t slash = uri.find('/');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
        uri.remove_prefix(colon + 1);
    }
    if (uri.rfind("//", 0) == 0) {
        uri.remove_prefix(2);
        std::size_t at = uri.find('@');
        std::size_t host_end = uri.find('/');
        if (at != std::string_view::npos && (host_end == std::string_view::npos || at < host_end)) {
            uri.remove_prefix(at + 1);
        }
    }
    static constexpr std::string_view k_quoted = "\\|{}[]<>\"^~_=!@#$%^&*";
    std::string out;
    for (char c : uri) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7F || k_quoted.find(c) != std::string_view::npos) {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02x", u);
            out += buf;
        } else {
            out.push_back(c == '/' ? '_' : c);
        }
    }
    return out;
}

} // namespace zsyncctl::pkg
