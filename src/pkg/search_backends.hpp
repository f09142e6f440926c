#pragma once

#include <span>
#include <string_view>
#include <vector>

namespace zsyncctl::pkg {

/// How a manager's packages are searched.
enum class SearchMethod {
    native_apt,      ///< the Packages indexes under /var/lib/apt/lists, no process
    native_pacman,   ///< the sync databases under pacman's DBPath, no process
    native_homebrew, ///< Homebrew's JSON API (brew's own cache, else fetched), no process
    command,         ///< the manager's own search command, output parsed by `parser`
    unsupported,     ///< the manager has no search facility; `reason` says why
};

/// How one manager searches. `argv` is a template: "{exe}" is the executable found, "{query}" the query.
/// Every command runs with LC_ALL=C plus `env`; managers with the same non-empty `lock_group` take the
/// same lock during their search and are run one after the other.
struct SearchBackend {
    std::string_view manager{};
    SearchMethod method = SearchMethod::command;
    std::vector<std::string_view> executables{};
    std::vector<std::string_view> argv{};
    std::string_view parser{};
    std::vector<std::string_view> env{};
    std::string_view lock_group{};
    /// Exit codes that mean "nothing found" rather than failure (pacman -Ss 1, zypper 104, ...).
    std::vector<int> no_match_exit_codes{};
    std::string_view reason{};
};

/// Every manager zsyncctl knows how to search (or knows it cannot), in display order. Never fails.
std::span<const SearchBackend> search_backends();

/// The backend of `manager`, or nullptr when the manager is unknown to search.
const SearchBackend* find_search_backend(std::string_view manager);

} // namespace zsyncctl::pkg
