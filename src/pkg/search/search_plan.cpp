#include "pkg/search/search.hpp"

#include <algorithm>
#include <cstdint>

#include "core/errors.hpp"
#include "util/sanitize.hpp"
#include "util/strings.hpp"

// Before a search runs: which managers it asks, whether the request is sound, the plan; and after: the
// ranking and sanitising of the hits. SearchRun (search.cpp) runs the plan.

namespace zsyncctl::pkg {

namespace {

// The rank of one hit (lower is better; see rank_hits) from its name alone: 0-2, or 3 when the name does
// not contain the query (the description then tells 3 from 4).
int name_rank(std::string_view query, std::string_view name) {
    if (auto colon = name.find(':'); colon != std::string_view::npos) {
        name = name.substr(0, colon); // apt's name:arch
    }
    // Where the query first occurs decides: the whole name, its start, elsewhere in it, or not at all.
    const std::size_t at = util::ifind(name, query);
    if (at == std::string_view::npos) {
        return 3;
    }
    if (at == 0) {
        return name.size() == query.size() ? 0 : 1;
    }
    return 2;
}

} // namespace

RankOrder rank_order(const SearchQuery& query, std::size_t count,
                     const std::function<std::string_view(std::size_t)>& name_of,
                     const std::function<std::string_view(std::size_t)>& description_of) {
    std::string_view q = util::trim(query.text);
    // One 64-bit key per hit, compared as a number: the rank in the top bits, then the name's length for
    // ranks 1 and 2, then the hit's position, which keeps equal hits in their order (a stable sort) and
    // names the hit the key stands for. An unstable sort of 8-byte keys instead of a stable one of
    // (rank, length) pairs through an index: "lib"'s 31k hits sorted without the pairs' and the merge
    // buffer's 750 KiB of fresh pages.
    constexpr std::uint64_t k_position_bits = 32;
    constexpr std::uint64_t k_length_max = (std::uint64_t(1) << 24) - 1;
    RankOrder order(count); // a broad query's (31k keys) in a huge page
    for (std::size_t i = 0; i < count; ++i) {
        const std::string_view name = name_of(i);
        auto rank = static_cast<std::uint64_t>(name_rank(q, name));
        // The description only when the name does not decide: most hits of a broad query ("python3",
        // "lib") have the query in their name, and finding a summary is a walk over the record's text.
        if (rank == 3 && util::icontains(description_of(i), q)) {
            rank = 4;
        }
        const std::uint64_t length =
            rank == 1 || rank == 2 ? std::min<std::uint64_t>(name.size(), k_length_max) : 0;
        order[i] = rank << 56 | length << k_position_bits | i;
    }
    std::sort(order.begin(), order.end());
    for (auto& key : order) {
        key &= (std::uint64_t(1) << k_position_bits) - 1;
    }
    return order;
}

void rank_hits(const SearchQuery& query, std::vector<SearchHit>& hits) {
    RankOrder order = rank_order(
        query, hits.size(), [&](std::size_t i) -> std::string_view { return hits[i].name; },
        [&](std::size_t i) -> std::string_view { return hits[i].description; });
    permute_in_place(hits, order);
}

void sanitize_hit(SearchHit& hit) {
    for (std::string* field : {&hit.name, &hit.version, &hit.description}) {
        if (!util::is_terminal_safe(*field)) {
            *field = util::sanitize_terminal(*field);
        }
    }
}

std::vector<const Manager*> search_managers() {
    std::vector<const Manager*> out;
    for (const Manager& m : registry()) {
        if (m.search.method != SearchMethod::none) {
            out.push_back(&m);
        }
    }
    return out;
}

const std::vector<std::string_view>& search_executables(const Manager& manager) {
    return manager.search.executables.empty() ? manager.executables : manager.search.executables;
}

util::Result<void> validate_search_request(const SearchRequest& request) {
    const std::string& q = request.query.text;
    if (util::trim(q).empty()) {
        return util::fail(util::ErrorKind::invalid_input, "the search query is empty",
                          "give a package name or a word");
    }
    for (char c : q) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            return util::fail(util::ErrorKind::invalid_input, "the query contains control characters");
        }
    }
    for (const auto& m : request.managers) {
        const Manager* manager = find_manager(m);
        if (manager == nullptr || manager->search.method == SearchMethod::none) {
            std::vector<std::string> known;
            for (const Manager* b : search_managers()) {
                known.emplace_back(b->id);
            }
            // A manager zsyncctl knows but cannot search (pnpm, rustup, pyenv, ...) is named as such.
            return util::fail(util::ErrorKind::invalid_input,
                              manager == nullptr ? "unknown manager '" + util::sanitize_terminal(m) + "'"
                                                 : std::string(manager->display_name) +
                                                       " has no package search zsyncctl can run",
                              "managers that can be searched: " + util::join(known, ", "));
        }
    }
    return util::ok();
}

namespace {

Detection detect_for(const util::Root& root, bool use_cache) {
    return detect_managers(DetectContext::current(root), use_cache ? UseCache::yes : UseCache::no);
}

std::vector<std::string> searchable_ids(const Detection& detection) {
    std::vector<std::string> ids;
    for (const DetectedManager& d : detection.managers) {
        if (d.manager->search.method != SearchMethod::none &&
            std::find(ids.begin(), ids.end(), d.manager->id) == ids.end()) {
            ids.emplace_back(d.manager->id);
        }
    }
    return ids;
}

} // namespace

std::vector<std::string> default_search_managers(const util::Root& root, UseCache use_cache) {
    return searchable_ids(detect_for(root, use_cache == UseCache::yes));
}

util::Result<std::vector<PlannedSearch>> plan_search(const SearchRequest& request, core::Runtime& runtime) {
    if (auto valid = validate_search_request(request); !valid) {
        return util::fail(valid.error());
    }
    Detection detection = detect_for(request.root, request.use_cache);
    std::vector<std::string> ids;
    for (const auto& m : request.managers.empty() ? searchable_ids(detection) : request.managers) {
        if (std::find(ids.begin(), ids.end(), m) == ids.end()) {
            ids.push_back(m); // a manager named twice runs once
        }
    }
    BackendEnv env;
    env.runtime = &runtime;
    env.root = request.root;
    env.use_cache = request.use_cache;
    env.deadline = std::chrono::steady_clock::now() + request.timeout;
    env.installed_count = request.installed_count;
    std::vector<PlannedSearch> plan;
    for (const auto& id : ids) {
        const Manager& manager = *find_manager(id);
        auto found = detection.find(id); // several Homebrew prefixes: the preferred one comes first
        PlannedSearch planned;
        planned.manager = id;
        planned.lock_group = std::string(manager.search.lock_group);
        planned.backend = make_search_backend(manager, found.empty() ? nullptr : found.front(), env);
        plan.push_back(std::move(planned));
    }
    return plan;
}

/// What the run's callbacks share; they may run on the loop, the pool or the owner's thread, and may
/// outlive the SearchRun object (the destructor's wait is bounded).

} // namespace zsyncctl::pkg
