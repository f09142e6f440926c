#include "pkg/search/search.hpp"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>

#include "core/errors.hpp"
#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

struct SearchRun::Shared {
    core::Runtime* runtime = nullptr;
    SearchQuery query;
    bool race = false;
    std::chrono::milliseconds timeout{0};
    std::chrono::steady_clock::time_point deadline;
    core::CancellationToken token;
    std::vector<std::string> names;
    std::vector<std::unique_ptr<SearchBackend>> backends;
    std::vector<core::Promise<ManagerReport>> reports; // each set once, by its manager's chain

    std::mutex mutex;
    std::condition_variable settled_cv;
    std::size_t running = 0;                            // backend searches started and not yet ended
    std::size_t published = 0;                          // reports set
    std::optional<std::size_t> winner;                  // --race: the manager that answered first
    std::function<void()> on_settled;                   // SearchRun::on_settled, taken when it runs
    std::shared_ptr<const std::function<void()>> waker; // SearchRun::set_waker

    // The reason a cancelled manager gives.
    std::string cancelled_reason() {
        std::lock_guard lock(mutex);
        return winner ? "cancelled: " + names[*winner] + " answered first" : std::string("cancelled");
    }
    // --race: makes `index` the winner unless another manager already is; true when it became it.
    bool claim_winner(std::size_t index) {
        std::lock_guard lock(mutex);
        if (winner) {
            return false;
        }
        winner = index;
        return true;
    }
    std::optional<std::size_t> current_winner() {
        std::lock_guard lock(mutex);
        return winner;
    }
    void started() {
        std::lock_guard lock(mutex);
        ++running;
    }
    void ended() {
        {
            std::lock_guard lock(mutex);
            --running;
        }
        settled_cv.notify_all();
        check_settled();
    }
    // Sets manager `index`'s report (once; a later one is dropped): the owner's queue has it when this
    // wakes the owner.
    void publish(std::size_t index, ManagerReport report) {
        if (reports[index].set(std::move(report))) {
            std::shared_ptr<const std::function<void()>> wake;
            {
                std::lock_guard lock(mutex);
                ++published;
                wake = waker;
            }
            if (wake) {
                (*wake)(); // outside the lock: the owner may poll at once
            }
            check_settled();
        }
    }
    void set_waker(std::shared_ptr<const std::function<void()>> wake) {
        std::lock_guard lock(mutex);
        waker = std::move(wake);
    }
    // Runs on_settled (outside the lock) when every report is set and no backend runs any more.
    void check_settled() {
        std::function<void()> done;
        {
            std::lock_guard lock(mutex);
            if (!on_settled || running != 0 || published != reports.size()) {
                return;
            }
            done = std::move(on_settled);
            on_settled = nullptr;
        }
        done();
    }
};

namespace {

using Shared = SearchRun::Shared;

// A report without results.
ManagerReport bare_report(std::string manager, ManagerStatus status, std::string error,
                          bool lost_race = false) {
    ManagerReport report;
    report.manager = std::move(manager);
    report.status = status;
    report.error = std::move(error);
    report.lost_race = lost_race;
    return report;
}

// How long after the deadline a missing report is given up (a stopped command gets SIGKILL long before).
constexpr std::chrono::milliseconds k_report_grace{5000};

std::int64_t ms_since(std::chrono::steady_clock::time_point began) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began)
        .count();
}

std::string timed_out(const Shared& shared) {
    return "timed out after " + std::to_string(shared.timeout.count()) + " ms";
}

ManagerReport to_report(Shared& shared, std::size_t index, util::Result<SearchOutcome> outcome,
                        std::chrono::steady_clock::time_point began) {
    ManagerReport report;
    report.manager = shared.names[index];
    report.elapsed_ms = ms_since(began);
    if (!outcome) {
        auto errc = core::runtime_errc(outcome.error());
        if (errc == core::RuntimeErrc::TimeoutExpired) {
            report.status = ManagerStatus::timeout;
            report.error = timed_out(shared);
        } else if (outcome.error().kind == util::ErrorKind::cancelled) {
            report.status = ManagerStatus::cancelled;
            report.error = shared.cancelled_reason();
        } else {
            report.status = ManagerStatus::error;
            report.error = util::sanitize_terminal(outcome.error().message);
        }
        return report;
    }
    report.status = outcome->status;
    report.hits = std::move(outcome->hits);
    report.lazy = std::move(outcome->lazy);
    report.error = util::sanitize_terminal(outcome->error);
    if (report.status == ManagerStatus::cancelled) {
        report.error = shared.cancelled_reason();
    } else if (report.status == ManagerStatus::timeout) {
        report.error = timed_out(shared) + (report.error.empty() ? "" : " (" + report.error + ")");
    }
    if (report.status != ManagerStatus::ok) {
        report.hits.clear();
        report.lazy.reset();
        return report;
    }
    if (report.lazy) {
        // Read one at a time later, each sanitized as it is read (HitSource::read); ranked and cut here.
        report.lazy->rank(shared.query);
        report.total = report.lazy->size();
        if (shared.query.limit != 0) {
            report.lazy->truncate(shared.query.limit);
        }
        return report;
    }
    // The boundary: whatever a reader or parser produced is made terminal-safe once, here.
    for (SearchHit& hit : report.hits) {
        sanitize_hit(hit);
    }
    rank_hits(shared.query, report.hits);
    report.total = report.hits.size();
    if (shared.query.limit != 0 && report.hits.size() > shared.query.limit) {
        report.hits.resize(shared.query.limit);
    }
    return report;
}

// Starts manager `index` under `token` with the search deadline; its future always completes with a
// report (errors become statuses).
core::Future<ManagerReport> start_one(const std::shared_ptr<Shared>& shared, std::size_t index,
                                      const core::CancellationToken& token, bool waited) {
    auto began = std::chrono::steady_clock::now();
    if (token.is_cancelled()) {
        return core::Future<ManagerReport>::ready(
            bare_report(shared->names[index], ManagerStatus::cancelled, shared->cancelled_reason()));
    }
    if (began >= shared->deadline) {
        return core::Future<ManagerReport>::ready(
            bare_report(shared->names[index], ManagerStatus::timeout,
                        timed_out(*shared) + (waited ? " (waited for its lock group)" : "")));
    }
    core::TaskFactory<SearchOutcome> task = [shared, index](core::CancellationToken child) {
        shared->started();
        // The backend returns every match: --limit keeps the best ones after ranking (to_report).
        SearchQuery all = shared->query;
        all.limit = 0;
        return shared->backends[index]
            ->search(all, std::move(child))
            .then([shared](util::Result<SearchOutcome> outcome) {
                shared->ended();
                return outcome;
            });
    };
    return core::with_deadline(std::move(task), shared->deadline, shared->runtime->timers(), token)
        .then([shared, index, began](util::Result<SearchOutcome> outcome) {
            return to_report(*shared, index, std::move(outcome), began);
        });
}

// Runs the managers unit[pos..] one after the other (a lock group, or a single manager), publishing each
// report as it completes. The unit's promise gets the index of the manager that won the race (the chain
// stops there), else not_found once the chain is done.
void run_chain(std::shared_ptr<Shared> shared, std::shared_ptr<std::vector<std::size_t>> unit,
               std::size_t pos, core::CancellationToken token,
               std::shared_ptr<core::Promise<std::size_t>> done) {
    if (pos == unit->size()) {
        done->set_error(util::make_error(util::ErrorKind::not_found, "no results"));
        return;
    }
    std::size_t index = (*unit)[pos];
    start_one(shared, index, token, pos > 0)
        .on_complete([shared, unit, pos, token, done, index](util::Result<ManagerReport> result) mutable {
            ManagerReport report = result ? std::move(*result)
                                          : bare_report(shared->names[index], ManagerStatus::error,
                                                        util::sanitize_terminal(result.error().message));
            bool won = false;
            if (shared->race && report.status == ManagerStatus::ok) {
                if (report.count() != 0 && shared->claim_winner(index)) {
                    won = true;
                } else if (auto winner = shared->current_winner(); winner && *winner != index) {
                    // Finished too late: the race was already won.
                    report.status = ManagerStatus::cancelled;
                    report.hits.clear();
                    report.lazy.reset();
                    report.error = shared->cancelled_reason();
                }
            }
            if (report.status == ManagerStatus::cancelled && shared->race) {
                auto winner = shared->current_winner();
                report.lost_race = winner && *winner != index;
            }
            shared->publish(index, std::move(report));
            if (won) {
                // The rest of this lock group never starts: the race is over.
                for (std::size_t rest = pos + 1; rest < unit->size(); ++rest) {
                    std::size_t other = (*unit)[rest];
                    shared->publish(other, bare_report(shared->names[other], ManagerStatus::cancelled,
                                                       shared->cancelled_reason(), true));
                }
                done->set(index); // core::race cancels the other units
                return;
            }
            run_chain(std::move(shared), std::move(unit), pos + 1, std::move(token), std::move(done));
        });
}

core::TaskFactory<std::size_t> unit_task(const std::shared_ptr<Shared>& shared,
                                         std::vector<std::size_t> unit) {
    auto indices = std::make_shared<std::vector<std::size_t>>(std::move(unit));
    return [shared, indices](core::CancellationToken token) {
        auto done = std::make_shared<core::Promise<std::size_t>>();
        core::Future<std::size_t> future = done->future();
        run_chain(shared, indices, 0, std::move(token), done);
        return future;
    };
}

} // namespace

util::Result<std::unique_ptr<SearchRun>> SearchRun::start(SearchRequest request, core::Runtime& runtime) {
    auto plan = plan_search(request, runtime);
    if (!plan) {
        return util::fail(std::move(plan).error());
    }
    return run(std::move(*plan), request, runtime);
}

std::unique_ptr<SearchRun> SearchRun::run(std::vector<PlannedSearch> plan, const SearchRequest& request,
                                          core::Runtime& runtime) {
    std::unique_ptr<SearchRun> run(new SearchRun());
    run->m_started = std::chrono::steady_clock::now();
    auto shared = std::make_shared<Shared>();
    shared->runtime = &runtime;
    shared->query = request.query;
    shared->race = request.race;
    shared->timeout = request.timeout;
    shared->deadline = run->m_started + request.timeout;
    shared->token = request.parent ? request.parent->child() : runtime.token().child();
    shared->reports.resize(plan.size());
    run->m_shared = shared;

    // Skipped managers are reported at once; the others are grouped: one unit per lock group (chained),
    // one per manager without a group, in plan order of their first manager.
    std::vector<std::vector<std::size_t>> units;
    std::map<std::string, std::size_t> unit_of_group;
    for (std::size_t i = 0; i < plan.size(); ++i) {
        shared->names.push_back(plan[i].manager);
        run->m_reports.push_back(bare_report(plan[i].manager, ManagerStatus::running, {}));
        if (plan[i].backend) {
            run->m_reports.back().command = util::sanitize_terminal(plan[i].backend->describe(request.query));
        }
        run->m_taken.push_back(false);
        run->m_queue.add(i, shared->reports[i].future());
        auto present = plan[i].backend
                           ? plan[i].backend->present()
                           : util::Result<void>(util::fail(util::ErrorKind::internal, "no backend"));
        shared->backends.push_back(std::move(plan[i].backend));
        if (!present) {
            shared->publish(i, bare_report(plan[i].manager, ManagerStatus::skipped,
                                           util::sanitize_terminal(present.error().message)));
            continue;
        }
        if (plan[i].lock_group.empty()) {
            units.push_back({i});
        } else if (auto it = unit_of_group.find(plan[i].lock_group); it != unit_of_group.end()) {
            units[it->second].push_back(i);
        } else {
            unit_of_group.emplace(plan[i].lock_group, units.size());
            units.push_back({i});
        }
    }
    std::vector<core::TaskFactory<std::size_t>> tasks;
    for (auto& unit : units) {
        tasks.push_back(unit_task(shared, std::move(unit)));
    }
    if (tasks.empty()) {
        return run;
    }
    if (request.race) {
        // The race's own future is not needed: every manager's report arrives through the queue.
        (void)core::race(std::move(tasks), shared->token);
    } else {
        for (auto& task : tasks) {
            (void)task(shared->token.child());
        }
    }
    return run;
}

SearchRun::~SearchRun() {
    m_shared->set_waker(nullptr);
    if (m_overdue_timer) {
        // Not waiting: the timer's callback holds its own copy of the waker, and may be running on this
        // very thread's loop.
        (void)m_shared->runtime->timers().cancel(*m_overdue_timer, core::TimerService::Wait::no);
    }
    cancel();
    // Bounded: a stopped command gets SIGKILL after a short grace, so this is rarely more than that.
    (void)wait_settled(std::chrono::seconds(10));
}

bool SearchRun::wait_settled(std::chrono::milliseconds wait) {
    std::unique_lock lock(m_shared->mutex);
    return m_shared->settled_cv.wait_for(lock, wait, [this] { return m_shared->running == 0; });
}

std::int64_t SearchRun::elapsed_ms() const {
    return ms_since(m_started);
}

void SearchRun::set_waker(std::function<void()> wake) {
    if (m_overdue_timer) {
        (void)m_shared->runtime->timers().cancel(*m_overdue_timer, core::TimerService::Wait::no);
        m_overdue_timer.reset();
    }
    if (!wake) {
        m_shared->set_waker(nullptr);
        return;
    }
    auto shared_wake = std::make_shared<const std::function<void()>>(std::move(wake));
    // poll() gives up on a missing report at the deadline plus the grace: wake the owner just after.
    auto timer = m_shared->runtime->timers().schedule_at(m_shared->deadline + k_report_grace +
                                                             std::chrono::milliseconds(1),
                                                         [shared_wake] { (*shared_wake)(); });
    if (timer) {
        m_overdue_timer = *timer;
    }
    m_shared->set_waker(shared_wake);
    // Reports may have been set before the waker was: one wake, and poll takes whatever is there.
    if (m_queue.pending() > 0) {
        (*shared_wake)();
    }
}

void SearchRun::on_settled(std::function<void()> done) {
    {
        std::lock_guard lock(m_shared->mutex);
        m_shared->on_settled = std::move(done);
    }
    m_shared->check_settled();
}

void SearchRun::cancel() {
    m_shared->token.cancel();
}

std::optional<std::size_t> SearchRun::next_finished(std::chrono::milliseconds wait) {
    while (true) {
        // A report that cannot arrive any more (a bug, a backend ignoring its token) must not hold the
        // command forever: past the deadline and a grace, what is missing is reported as such.
        auto overdue = m_shared->deadline + k_report_grace;
        auto now = std::chrono::steady_clock::now();
        if (now >= overdue) {
            auto missing = std::find(m_taken.begin(), m_taken.end(), false);
            if (missing == m_taken.end()) {
                return std::nullopt;
            }
            auto index = static_cast<std::size_t>(missing - m_taken.begin());
            if (auto late = m_queue.next_for(std::chrono::milliseconds(0)); late && !m_taken[late->key]) {
                index = late->key;
                take(index, std::move(late->result));
            } else {
                m_taken[index] = true;
                ++m_returned;
                m_reports[index].status = ManagerStatus::timeout;
                m_reports[index].error =
                    "no report " + std::to_string(k_report_grace.count()) + " ms after the deadline";
            }
            return index;
        }
        auto completed = m_queue.next_for(
            std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(overdue - now) +
                               std::chrono::milliseconds(1)));
        if (!completed) {
            if (std::chrono::steady_clock::now() < overdue) {
                return std::nullopt;
            }
            continue;
        }
        if (m_taken[completed->key]) {
            continue; // reported missing already
        }
        take(completed->key, std::move(completed->result));
        return completed->key;
    }
}

std::optional<std::size_t> SearchRun::poll() {
    // A report set is in the queue already (published sets the promise first), so a zero wait never
    // blocks: the queue's lock is only held to take it.
    while (auto completed = m_queue.next_for(std::chrono::milliseconds(0))) {
        if (!m_taken[completed->key]) { // else reported missing already
            take(completed->key, std::move(completed->result));
            return completed->key;
        }
    }
    if (std::chrono::steady_clock::now() < m_shared->deadline + k_report_grace) {
        return std::nullopt;
    }
    auto missing = std::find(m_taken.begin(), m_taken.end(), false);
    if (missing == m_taken.end()) {
        return std::nullopt;
    }
    auto index = static_cast<std::size_t>(missing - m_taken.begin());
    m_taken[index] = true;
    ++m_returned;
    m_reports[index].status = ManagerStatus::timeout;
    m_reports[index].error = "no report " + std::to_string(k_report_grace.count()) + " ms after the deadline";
    return index;
}

void SearchRun::take(std::size_t index, util::Result<ManagerReport> result) {
    if (result) {
        std::string command = std::move(m_reports[index].command);
        m_reports[index] = std::move(*result);
        if (m_reports[index].command.empty()) {
            m_reports[index].command = std::move(command);
        }
    } else {
        // The runtime dropped the work (shutdown): nothing was found.
        m_reports[index].status = ManagerStatus::error;
        m_reports[index].error = result.error().message;
    }
    m_taken[index] = true;
    ++m_returned;
}

} // namespace zsyncctl::pkg
