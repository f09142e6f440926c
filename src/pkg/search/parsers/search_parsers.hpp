#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/search/search_types.hpp"

namespace zsyncctl::pkg {

/// What a parser made of one search command's standard output: the packages it could read and, when the
/// output was not in the expected format at all (or broke off mid-document), a one-line reason. Both can
/// be set: a truncated JSON document yields the packages before the cut plus an error.
struct ParsedSearch {
    std::vector<SearchHit>
        hits; ///< the matching packages kept, in the manager's order (at most ParseLimit::keep)
    std::optional<std::string> error;
    std::size_t matched = 0; ///< packages that matched the query, kept or not (hits.size() <= matched)
};

/// What a parser keeps: packages that pass the query's --exact rule (filter_hits' rule), and only the first
/// `keep` of them (0: all); the rest are counted in ParsedSearch::matched, never built. A manager flooding
/// its output so costs memory for `keep` packages, not for every line.
struct ParseLimit {
    SearchQuery query{};
    std::size_t keep = 0;
};

/// Parses one manager's search output. Never throws and never crashes on any bytes: text that is not
/// valid UTF-8 is repaired (U+FFFD) before it is stored.
using SearchParserFn = ParsedSearch (*)(std::string_view output, const ParseLimit& limit);

/// The parser registered under `id` ("dnf", "zypper-xml", "npm-json", ...), or nullptr.
SearchParserFn find_search_parser(std::string_view id);

/// Every registered parser id, sorted.
std::vector<std::string_view> search_parser_ids();

/// Applies the query's exact-match rule and limit to hits a manager's own search returned (managers match
/// more loosely than --exact asks). Keeps order.
std::vector<SearchHit> filter_hits(std::vector<SearchHit> hits, const SearchQuery& query);

} // namespace zsyncctl::pkg
