#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace zsyncctl::pkg {

/// One package found by a search backend. Plain data; the manager name is attached by the caller.
struct SearchHit {
    std::string name;
    std::string version;
    std::string description;
    bool installed = false;
};

/// How the query text is compared with a package.
enum class MatchMode {
    substring, ///< case-insensitive substring of the name or the description
    exact,     ///< the name equals the query, ignoring ASCII case
};

/// What to look for. `limit` 0 means no limit.
struct SearchQuery {
    std::string text;
    MatchMode mode = MatchMode::substring;
    std::size_t limit = 0;
};

/// True when a package with this name and description matches the query (the rule every native backend
/// and every parser filter uses, so results agree across managers).
bool query_matches(const SearchQuery& query, std::string_view name, std::string_view description);

} // namespace zsyncctl::pkg
