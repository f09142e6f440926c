#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/combinators.hpp"
#include "core/runtime.hpp"
#include "pkg/detect/detect.hpp"
#include "pkg/registry/registry.hpp"
#include "pkg/search/backend.hpp"
#include "pkg/search/search_types.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// One manager's part of a search: its results when ok (best first, see rank_hits; at most the query's
/// limit of `total`), else the reason in `error`. Every text field is terminal-safe
/// (util::sanitize_terminal): the report is the boundary where other programs' bytes are cleaned.
struct ManagerReport {
    std::string manager;
    ManagerStatus status = ManagerStatus::running;
    std::vector<SearchHit> hits;
    std::int64_t elapsed_ms = 0;
    std::string error;
    std::size_t total = 0;  ///< results found before --limit kept the best `hits`
    bool lost_race = false; ///< --race: cancelled because another manager answered first (expected)
    std::string command;    ///< what ran (SearchBackend::describe), for -v
    /// Instead of `hits` (then empty) when the request allowed it (SearchQuery::lazy_hits) and the backend
    /// kept them where it found them: the same hits, ranked and cut, read one at a time (for_each_hit).
    std::shared_ptr<HitSource> lazy{};

    /// The number of hits, whichever way they are held.
    std::size_t count() const { return lazy ? lazy->size() : hits.size(); }

    /// Hit `i` (below count()): the vector's, or the lazy one read into `scratch` (valid until the next
    /// read into it).
    const SearchHit& hit(std::size_t i, SearchHit& scratch) const {
        if (!lazy) {
            return hits[i];
        }
        lazy->read(i, scratch);
        return scratch;
    }
};

/// Calls `f(const SearchHit&)` for each hit of `report`, best first (ManagerReport::hit, one SearchHit
/// reused for lazy hits: valid only during the call). Stops early when `f` returns false.
template <typename F>
void for_each_hit(const ManagerReport& report, F&& f) {
    SearchHit scratch;
    for (std::size_t i = 0; i < report.count(); ++i) {
        if (!f(report.hit(i, scratch))) {
            return;
        }
    }
}

/// Orders `hits` best first for `query`: exact name, then name prefix, name substring, a match elsewhere
/// (provides, groups, aliases: neither name nor description contains the query), then description only;
/// ASCII case is ignored, an apt ":arch" suffix is not part of the name, and within a rank shorter names
/// come first, else the backend's order is kept. Never fails.
void rank_hits(const SearchQuery& query, std::vector<SearchHit>& hits);

/// What to search and where.
struct SearchRequest {
    SearchQuery query;
    std::vector<std::string> managers; ///< empty: every detected manager
    std::chrono::milliseconds timeout{30000};
    bool race = false;
    util::Root root;
    bool use_cache = true;
    /// The run's token is a child of this one; unset: of the runtime's root token (a signal cancels it).
    std::optional<core::CancellationToken> parent;
    /// Passed to the backends as BackendEnv::installed_count (the inventory lives above search).
    std::function<std::optional<std::size_t>(const Manager&)> installed_count;
};

/// Every registry entry search knows (search method other than none), in registry order. Never fails.
std::vector<const Manager*> search_managers();

/// The executables that run `manager`'s search: its search facts' list, else the manager's own.
const std::vector<std::string_view>& search_executables(const Manager& manager);

/// Checks a query and manager list before anything runs: fails with invalid_input for an empty query, one
/// with control characters, or an unknown manager (the message names it and the hint lists the known
/// ones). A query starting with '-' is valid: native readers search it, command managers are skipped
/// (it would reach them as an option).
util::Result<void> validate_search_request(const SearchRequest& request);

/// The managers a search without --manager covers: every manager detection found for `root`
/// (detect_managers over DetectContext::current) that search knows, in registry order, each once. Never
/// fails.
std::vector<std::string> default_search_managers(const util::Root& root, UseCache use_cache);

/// One manager a search covers, the lock group it searches under (empty: it shares none) and the backend
/// that searches it.
struct PlannedSearch {
    std::string manager;
    std::string lock_group;
    std::unique_ptr<SearchBackend> backend;
};

/// The managers `request` covers and their backends, built over one detection of request.root: without
/// request.managers, default_search_managers; else the named ones in the order given (each once), a
/// manager detection did not find getting a backend that says so (a native reader still reads its data).
/// Fails like validate_search_request.
util::Result<std::vector<PlannedSearch>> plan_search(const SearchRequest& request, core::Runtime& runtime);

/// A running search over several managers at once, on the runtime: each manager's search is a future
/// (native readers on the pool, commands as spawned processes parsed on the pool), managers of one lock
/// group are chained one after the other, each search ends at the deadline through core::with_deadline,
/// and --race runs the groups through core::race so the first manager with results cancels the others.
/// Results arrive in completion order through next_finished() (a core::CompletionQueue). One thread owns
/// and reads the run; the destructor cancels what is still running and waits (bounded) until every
/// backend has settled, so no child outlives it. An owner that must not block (one on an event loop) uses
/// set_waker() and poll() instead of next_finished(), and on_settled() to know when destroying the run
/// will not wait.
class SearchRun {
public:
    /// Plans (plan_search) and starts every manager on `runtime`, which must outlive the run; fails like
    /// validate_search_request.
    static util::Result<std::unique_ptr<SearchRun>> start(SearchRequest request, core::Runtime& runtime);
    /// Starts `plan` (its backends' present() decides what is skipped) with request's query, timeout and
    /// race; request.managers and root are not used. Never fails.
    static std::unique_ptr<SearchRun> run(std::vector<PlannedSearch> plan, const SearchRequest& request,
                                          core::Runtime& runtime);
    ~SearchRun();
    SearchRun(const SearchRun&) = delete;
    SearchRun& operator=(const SearchRun&) = delete;

    /// Waits up to `wait` for a manager to finish; returns its index into reports(), or nullopt when none
    /// finished in time or all have already been returned. A report still missing 5 s after the deadline
    /// is returned as timeout ("no report ...") so a caller never waits forever.
    std::optional<std::size_t> next_finished(std::chrono::milliseconds wait);
    /// next_finished() without waiting at all: what an owner woken by set_waker() calls until it returns
    /// nullopt (a report still missing after the deadline's grace is returned as timeout, as there).
    std::optional<std::size_t> poll();
    /// Calls `wake` whenever poll() may have something new: after a manager's report is set, when a
    /// missing report's grace after the deadline runs out (a timer on the runtime), and once now if a
    /// report is already waiting. `wake` runs on whichever thread did that (loop, pool or this one) and
    /// must only hand over to the owner (post to its loop), never block or touch the run. Replaces an
    /// earlier one; the run drops it when destroyed.
    void set_waker(std::function<void()> wake);
    /// Runs `done` once, when every manager's report is set and every backend's work has ended (processes
    /// reaped, pool tasks done), so the destructor will not wait: at once if that is so already, else on
    /// the thread that ended the last of it. Same rules as the waker; replaces an earlier one.
    void on_settled(std::function<void()> done);
    /// True when every manager's report has been returned by next_finished().
    bool all_returned() const { return m_returned == m_reports.size(); }
    /// The reports, one per manager in plan order; a report is complete once next_finished returned it.
    const std::vector<ManagerReport>& reports() const { return m_reports; }
    /// Every report's hits, moved out once all returned (the reports stay, without hits): for a command
    /// that ends the process next and leaves them to the kernel rather than freeing them one by one.
    std::vector<std::vector<SearchHit>> take_hits() {
        std::vector<std::vector<SearchHit>> hits;
        if (all_returned()) {
            for (auto& report : m_reports) {
                hits.push_back(std::move(report.hits));
                report.hits.clear();
            }
        }
        return hits;
    }
    /// Every report's lazy hits, moved out like take_hits(); the reports keep their counts in `total`.
    std::vector<std::shared_ptr<HitSource>> take_lazy_hits() {
        std::vector<std::shared_ptr<HitSource>> lazy;
        if (all_returned()) {
            for (auto& report : m_reports) {
                if (report.lazy) {
                    lazy.push_back(std::move(report.lazy));
                }
            }
        }
        return lazy;
    }
    /// Milliseconds since the search started.
    std::int64_t elapsed_ms() const;
    /// Stops every manager still running (they report cancelled).
    void cancel();
    /// Waits up to `wait` until every backend's work has ended (processes reaped, pool tasks done),
    /// which may be after their reports (a timed-out command is still being stopped); true when it has.
    bool wait_settled(std::chrono::milliseconds wait);

    struct Shared;

private:
    SearchRun() = default;
    void take(std::size_t index, util::Result<ManagerReport> result);

    std::shared_ptr<Shared> m_shared;
    core::CompletionQueue<ManagerReport> m_queue;
    std::vector<ManagerReport> m_reports;
    std::vector<bool> m_taken; // reports returned by next_finished
    std::chrono::steady_clock::time_point m_started;
    std::size_t m_returned = 0;
    std::optional<core::TimerService::TimerId> m_overdue_timer; // set_waker's wake at the report grace
};

} // namespace zsyncctl::pkg
