#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/cancellation.hpp"
#include "core/runtime.hpp"
#include "pkg/registry/registry.hpp"
#include "pkg/search/search_types.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// How one manager's search ended.
enum class ManagerStatus { running, ok, error, timeout, cancelled, skipped };

/// Stable lowercase name ("ok", "timeout", ...); never fails.
std::string_view to_string(ManagerStatus status);

/// One manager's part of a search: its results when ok, else the reason in `error`.
struct ManagerReport {
    std::string manager;
    ManagerStatus status = ManagerStatus::running;
    std::vector<SearchHit> hits;
    std::int64_t elapsed_ms = 0;
    std::string error;
};

/// What to search and where.
struct SearchRequest {
    SearchQuery query;
    std::vector<std::string> managers; ///< empty: every detected manager
    std::chrono::milliseconds timeout{30000};
    bool race = false;
    util::Root root;
    bool use_cache = true;
};

/// Every registry entry search knows (search method other than none), in registry order. Never fails.
std::vector<const Manager*> search_managers();

/// The executables that run `manager`'s search: its search facts' list, else the manager's own.
const std::vector<std::string_view>& search_executables(const Manager& manager);

/// Checks a query and manager list before anything runs: fails with invalid_input for an empty query, one
/// starting with '-', one with control characters, or an unknown manager (the message names it and the
/// hint lists the known ones).
util::Result<void> validate_search_request(const SearchRequest& request);

/// The managers a search without --manager covers: those whose data or executable is present. Never fails.
std::vector<std::string> detect_search_managers(const util::Root& root);

/// A running search over several managers at once. Each manager has a worker thread (managers sharing a
/// search lock group share one, one after the other) that reads native indexes (no process) or parses a
/// command's output. Commands are started with core::spawn_process on the runtime's event loop, so one
/// loop thread reads every manager's output; each runs with LC_ALL=C in its own process group, ended by
/// the spawn's timeout at the search deadline or through the run's cancellation token (--race, cancel()).
/// Results arrive in completion order through next_finished(). Owned and polled by one thread; the
/// destructor cancels what is still running and joins every worker.
class SearchRun {
public:
    /// Starts every manager on `runtime` (which must outlive the run); fails like validate_search_request.
    static util::Result<std::unique_ptr<SearchRun>> start(SearchRequest request, core::Runtime& runtime);
    ~SearchRun();
    SearchRun(const SearchRun&) = delete;
    SearchRun& operator=(const SearchRun&) = delete;

    /// Waits up to `wait` for a manager to finish; returns its index into reports(), or nullopt when none
    /// finished in time or all have already been returned.
    std::optional<std::size_t> next_finished(std::chrono::milliseconds wait);
    /// True when every manager's report has been returned by next_finished().
    bool all_returned() const { return m_returned == m_reports.size(); }
    /// The reports, one per manager in request order; a report is complete once next_finished returned it.
    const std::vector<ManagerReport>& reports() const { return m_reports; }
    /// Milliseconds since the search started.
    std::int64_t elapsed_ms() const;
    /// Stops every manager still running (they report cancelled).
    void cancel();

private:
    SearchRun() = default;
    void worker(std::vector<std::size_t> indices);
    void run_one(std::size_t index);
    void finish(std::size_t index);

    void run_command(const Manager& manager, ManagerReport& report);
    std::string cancelled_reason();

    SearchRequest m_request;
    core::Runtime* m_runtime = nullptr;
    core::CancellationToken m_token;
    std::vector<ManagerReport> m_reports;
    std::vector<std::thread> m_threads;
    std::chrono::steady_clock::time_point m_started;
    std::chrono::steady_clock::time_point m_deadline;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<std::size_t> m_done;
    std::optional<std::size_t> m_winner;
    std::size_t m_returned = 0;
};

} // namespace zsyncctl::pkg
