#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "util/huge_allocator.hpp"

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
    /// How the hits may come back: true lets a native index backend return them as a HitSource
    /// (SearchOutcome::lazy) for a caller that reads them one at a time; false: always a vector.
    bool lazy_hits = false;
};

/// Makes every text field of `hit` terminal-safe (util::sanitize_terminal). Never fails.
void sanitize_hit(SearchHit& hit);

/// The fields of a hit that a plain result line shows, as views: of a SearchHit (of_hit), or of the text a
/// HitSource keeps (HitSource::view), terminal-safe as SearchHit's.
struct HitView {
    std::string_view name;
    std::string_view version;
    std::string_view description;
    std::string_view kind;
    bool installed = false;
    std::string_view installed_version; ///< SearchHit::installed_version

    static HitView of_hit(const SearchHit& hit) {
        return {hit.name, hit.version, hit.description, hit.kind, hit.installed, hit.installed_version};
    }
};

/// A backend's hits kept where it found them and read one at a time (PackageIndex::Hits: references into
/// the mapped index), for a caller that prints each as it is read: every hit's text is never in memory at
/// once (apt's "lib", 31k hits, was ~11 MiB of SearchHit and strings, a third of that search's time).
/// Use from one thread at a time.
class HitSource {
public:
    virtual ~HitSource() = default;
    /// The number of hits.
    virtual std::size_t size() const = 0;
    /// Hit `i` (below size()) in the current order into `hit`, whose strings are reused: the SearchHit the
    /// backend would have returned, terminal-safe (as sanitize_hit leaves it).
    virtual void read(std::size_t i, SearchHit& hit) const = 0;
    /// Hit `i`'s HitView fields as read() would give them, without copying them into a SearchHit: views
    /// valid until the next call on the source. False when the source cannot give this hit so (the caller
    /// then uses read()); by default it never can.
    virtual bool view(std::size_t i, HitView& hit) const {
        (void)i;
        (void)hit;
        return false;
    }
    /// Orders the hits best first, as rank_hits() orders them.
    virtual void rank(const SearchQuery& query) = 0;
    /// Keeps the first `n` hits (all when there are fewer).
    virtual void truncate(std::size_t n) = 0;
};

/// The order rank_hits() puts `count` hits in (their positions, best first), given each hit's name by
/// `name_of(i)` and its description by `description_of(i)` (terminal-safe text, as in the hits).
/// `name_of` is called once per hit, in order of i; `description_of` only for the hits whose name does
/// not contain the query, after that hit's name_of. Never fails.
using RankOrder = std::vector<std::uint64_t, util::HugeAllocator<std::uint64_t>>;
RankOrder rank_order(const SearchQuery& query, std::size_t count,
                     const std::function<std::string_view(std::size_t)>& name_of,
                     const std::function<std::string_view(std::size_t)>& description_of);

/// Reorders `items` so that position j holds what was at order[j] (a permutation of the positions, as
/// rank_order() gives), in place, cycle by cycle: no second vector of items (31k hits for apt's "lib" are
/// 7 MiB of SearchHit alone). `order` is left as the identity. Never fails.
template <typename T, typename Allocator>
void permute_in_place(std::vector<T, Allocator>& items, RankOrder& order) {
    for (std::size_t i = 0; i < order.size() && i < items.size(); ++i) {
        if (order[i] == i) {
            continue;
        }
        T first = std::move(items[i]);
        std::size_t j = i;
        while (true) {
            auto k = static_cast<std::size_t>(order[j]);
            order[j] = j;
            if (k == i) {
                items[j] = std::move(first);
                break;
            }
            items[j] = std::move(items[k]);
            j = k;
        }
    }
}

/// True when a package with this name and description matches the query (the rule every native backend
/// and every parser filter uses, so results agree across managers).
bool query_matches(const SearchQuery& query, std::string_view name, std::string_view description);

} // namespace zsyncctl::pkg
