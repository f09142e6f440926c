#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace zsyncctl::pkg {

/// One package found by a search backend. Plain data; the manager name is attached by the caller.
struct SearchHit {
    std::string name;    ///< as the manager's install command takes it (apt: "name:arch" for a foreign arch)
    std::string version; ///< the version an install would get (apt: the candidate, else the installed one)
    std::string description;
    bool installed = false; ///< the manager records a current version (dpkg: installed, unpacked, ...)
    std::string installed_version{}; ///< that current version; empty when not installed or unknown
    std::string candidate{}; ///< the manager's candidate ("apt-cache policy"); empty when unknown/none
    /// Why it matched when not by its name or description ("provides mail-transport-agent"); else empty.
    std::string match_reason{};
    /// The kind of package when the manager has several (Homebrew: "formula" or "cask"); else empty.
    std::string kind{};

    /// True when installed and the candidate differs from the installed version ("upgradable to X" as
    /// `apt list` says); never fails.
    bool upgradable() const {
        return installed && !candidate.empty() && !installed_version.empty() &&
               candidate != installed_version;
    }
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
