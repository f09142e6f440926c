#pragma once
// Shared by the search parsers (one file per output format: text lines, tables, JSON, XML); not part of
// the pkg interface, which is search_parsers.hpp.

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
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

/// The lines of a text as util::split_lines cuts them (one trailing '\r' dropped, no empty last line
/// after a final '\n'), found one at a time: iterating 64 MB of output keeps no vector of its lines.
class Lines {
public:
    /// The lines of `text`, which must outlive the range.
    explicit Lines(std::string_view text) : m_text(text) {}

    /// Walks the lines front to back.
    class iterator {
    public:
        /// At `start` in `text` (start == text.size() + 1 is the end).
        iterator(std::string_view text, std::size_t start) : m_text(text), m_start(start) { cut(); }
        /// The current line.
        std::string_view operator*() const { return m_line; }
        /// To the next line.
        iterator& operator++() {
            m_start = m_next;
            cut();
            return *this;
        }
        /// True at the same position.
        bool operator==(const iterator& other) const { return m_start == other.m_start; }

    private:
        void cut() {
            if (m_start >= m_text.size()) {
                m_start = m_text.size() + 1; // the end, also for empty text
                return;
            }
            std::size_t pos = m_text.find('\n', m_start);
            std::size_t end = pos == std::string_view::npos ? m_text.size() : pos;
            m_line = m_text.substr(m_start, end - m_start);
            if (!m_line.empty() && m_line.back() == '\r') {
                m_line.remove_suffix(1);
            }
            m_next = pos == std::string_view::npos ? m_text.size() + 1 : pos + 1;
        }
        std::string_view m_text;
        std::size_t m_start;
        std::size_t m_next = 0;
        std::string_view m_line;
    };

    /// The first line.
    iterator begin() const { return {m_text, 0}; }
    /// Past the last line.
    iterator end() const { return {m_text, m_text.size() + 1}; }

private:
    std::string_view m_text;
};

/// Where a parser puts what it read: applies ParseLimit (the --exact rule, then the first `keep` matches
/// stored, the rest only counted) and remembers whether the last package read was stored, for formats
/// whose description follows on the next line.
class HitSink {
public:
    /// A sink for one parse under `limit`.
    explicit HitSink(const ParseLimit& limit) : m_limit(limit) {}

    /// One package read: stored as make_hit makes it when it matches and fewer than `keep` are stored,
    /// else counted (matched) or dropped (no match). Never fails.
    void add(std::string_view name, std::string_view version, std::string_view description,
             bool installed = false);

    /// The last package read when it was stored (to complete its description), else nullptr.
    SearchHit* last() { return m_last_stored ? &m_out.hits.back() : nullptr; }

    /// Packages read so far, matching or not.
    std::size_t read() const { return m_read; }

    /// True once `keep` packages are stored: add() then only counts, so a parser may skip building fields.
    bool full() const { return m_limit.keep != 0 && m_out.hits.size() >= m_limit.keep; }

    /// Packages stored so far.
    std::size_t stored() const { return m_out.hits.size(); }

    /// The result so far (hits and matched) with `error`; the sink is left empty.
    ParsedSearch take(std::optional<std::string> error = std::nullopt) {
        m_out.error = std::move(error);
        return std::move(m_out);
    }

private:
    const ParseLimit& m_limit;
    ParsedSearch m_out;
    std::size_t m_read = 0;
    bool m_last_stored = false;
};

/// The result of a line parser: when no line could be read but some text was there, it was not `what`.
ParsedSearch finish_lines(HitSink& sink, std::size_t unparsed, std::string_view what);

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
ParsedSearch parse_dnf(std::string_view output, const ParseLimit& limit);
ParsedSearch parse_apk(std::string_view output, const ParseLimit& limit);
ParsedSearch parse_xbps(std::string_view output, const ParseLimit& limit);
ParsedSearch parse_guix(std::string_view output, const ParseLimit& limit);
ParsedSearch parse_macports(std::string_view output, const ParseLimit& limit);
ParsedSearch parse_choco(std::string_view output, const ParseLimit& limit);
ParsedSearch parse_cargo(std::string_view output, const ParseLimit& limit);
ParsedSearch parse_gem(std::string_view output, const ParseLimit& limit);
ParsedSearch parse_pacman_ss(std::string_view output, const ParseLimit& limit);
ParsedSearch parse_freebsd_pkg(std::string_view output, const ParseLimit& limit);
ParsedSearch parse_mas(std::string_view output, const ParseLimit& limit);
/// Column tables (parsers_table.cpp).
ParsedSearch parse_snap(std::string_view output, const ParseLimit& limit);
ParsedSearch parse_flatpak(std::string_view output, const ParseLimit& limit);
ParsedSearch parse_scoop(std::string_view output, const ParseLimit& limit);
ParsedSearch parse_winget(std::string_view output, const ParseLimit& limit);
/// JSON documents (parsers_json.cpp).
ParsedSearch parse_nix_json(std::string_view output, const ParseLimit& limit);
ParsedSearch parse_npm_json(std::string_view output, const ParseLimit& limit);
ParsedSearch parse_conda_json(std::string_view output, const ParseLimit& limit);
/// XML (parsers_xml.cpp).
ParsedSearch parse_zypper_xml(std::string_view output, const ParseLimit& limit);

} // namespace zsyncctl::pkg::parsers
