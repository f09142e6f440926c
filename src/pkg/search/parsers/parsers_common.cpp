// The parser table, the helpers every format shares, and the --exact/--limit filter.
#include "pkg/search/parsers/parsers_internal.hpp"

#include <algorithm>

#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace parsers {

using util::sanitize_terminal;
using util::trim;

SearchHit make_hit(std::string_view name, std::string_view version, std::string_view description,
                   bool installed) {
    SearchHit hit;
    hit.name = sanitize_terminal(trim(name));
    hit.version = sanitize_terminal(trim(version));
    hit.description = sanitize_terminal(trim(description));
    hit.installed = installed;
    return hit;
}

// Drops terminal progress drawn with carriage returns: the text after the last '\r' is what stays on screen.
std::string_view after_cr(std::string_view line) {
    std::size_t cr = line.rfind('\r');
    return cr == std::string_view::npos ? line : line.substr(cr + 1);
}

std::vector<std::string_view> words(std::string_view text, std::size_t max_fields) {
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

void HitSink::add(std::string_view name, std::string_view version, std::string_view description,
                  bool installed) {
    ++m_read;
    m_last_stored = false;
    bool room = m_limit.keep == 0 || m_out.hits.size() < m_limit.keep;
    if (m_limit.query.mode == MatchMode::exact) {
        // The rule filter_hits applies to a stored hit, so on the name as it would be stored.
        if (room) {
            SearchHit hit = make_hit(name, version, description, installed);
            if (!query_matches(m_limit.query, hit.name, hit.description)) {
                return;
            }
            ++m_out.matched;
            m_out.hits.push_back(std::move(hit));
            m_last_stored = true;
            return;
        }
        if (!query_matches(m_limit.query, sanitize_terminal(trim(name)), {})) {
            return;
        }
    }
    ++m_out.matched;
    if (room) {
        m_out.hits.push_back(make_hit(name, version, description, installed));
        m_last_stored = true;
    }
}

// A result of line parsers: when no line could be read but some text was there, it was not this format.
ParsedSearch finish_lines(HitSink& sink, std::size_t unparsed, std::string_view what) {
    bool none = sink.read() == 0;
    ParsedSearch out = sink.take();
    if (none && unparsed > 0) {
        out.error = "unrecognised " + std::string(what) + " output (" + std::to_string(unparsed) +
                    " unreadable lines)";
    }
    return out;
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

} // namespace parsers

using namespace parsers;

namespace {

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
