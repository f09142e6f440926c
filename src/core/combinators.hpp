#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/cancellation.hpp"
#include "core/future.hpp"
#include "core/timer_service.hpp"
#include "util/unique_function.hpp"

namespace zsyncctl::core {

/// A startable unit of work for the combinators: given a token that the combinator may cancel, it starts
/// the work and returns its future. The work should observe the token and stop early when cancelled.
template <typename T>
using TaskFactory = util::UniqueFunction<Future<T>(CancellationToken)>;

/// The winner of race(): its position in the input and its value.
template <typename T>
struct RaceWinner {
    std::size_t index = 0;
    T value;
};

/// Joins the messages of several errors into one, keeping the first error's kind.
util::Error combine_errors(std::string_view what,
                           const std::vector<std::pair<std::size_t, util::Error>>& errors);

/// Starts every task with a child of `parent`. The first success wins: the others' tokens are cancelled and
/// the winner's index and value are returned. If all fail, the error lists every failure (first error's
/// kind). An empty input fails with invalid_input. Cancelling `parent` cancels every task.
template <typename T>
Future<RaceWinner<T>> race(std::vector<TaskFactory<T>> tasks, const CancellationToken& parent) {
    if (tasks.empty()) {
        return Future<RaceWinner<T>>::ready(util::fail(util::ErrorKind::invalid_input, "race of no tasks"));
    }
    struct State {
        std::mutex mutex;
        Promise<RaceWinner<T>> promise;
        std::vector<CancellationToken> tokens;
        std::vector<std::pair<std::size_t, util::Error>> errors;
        std::size_t total = 0;
        bool decided = false;
    };
    auto state = std::make_shared<State>();
    Future<RaceWinner<T>> result = state->promise.future();
    state->total = tasks.size();
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        state->tokens.push_back(parent.child());
    }
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        Future<T> f = tasks[i](state->tokens[i]);
        f.on_complete([state, i](util::Result<T> r) {
            std::unique_lock lock(state->mutex);
            if (state->decided) {
                return;
            }
            if (r.ok()) {
                state->decided = true;
                lock.unlock();
                for (std::size_t k = 0; k < state->tokens.size(); ++k) {
                    if (k != i) {
                        state->tokens[k].cancel();
                    }
                }
                state->promise.set(RaceWinner<T>{i, std::move(r).value()});
                return;
            }
            state->errors.emplace_back(i, std::move(r).error());
            if (state->errors.size() == state->total) {
                state->decided = true;
                auto error =
                    combine_errors("all " + std::to_string(state->total) + " tasks failed", state->errors);
                lock.unlock();
                state->promise.set_error(std::move(error));
            }
        });
    }
    return result;
}

/// Starts every task with a child of `parent` and collects the values in input order. Fails fast: the first
/// error cancels the remaining tasks and becomes the result. An empty input gives an empty vector.
template <typename T>
Future<std::vector<T>> all(std::vector<TaskFactory<T>> tasks, const CancellationToken& parent) {
    if (tasks.empty()) {
        return Future<std::vector<T>>::ready(std::vector<T>{});
    }
    struct State {
        std::mutex mutex;
        Promise<std::vector<T>> promise;
        std::vector<CancellationToken> tokens;
        std::vector<std::optional<T>> values;
        std::size_t remaining = 0;
        bool decided = false;
    };
    auto state = std::make_shared<State>();
    Future<std::vector<T>> result = state->promise.future();
    state->remaining = tasks.size();
    state->values.resize(tasks.size());
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        state->tokens.push_back(parent.child());
    }
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        Future<T> f = tasks[i](state->tokens[i]);
        f.on_complete([state, i](util::Result<T> r) {
            std::unique_lock lock(state->mutex);
            if (state->decided) {
                return;
            }
            if (!r.ok()) {
                state->decided = true;
                lock.unlock();
                for (std::size_t k = 0; k < state->tokens.size(); ++k) {
                    if (k != i) {
                        state->tokens[k].cancel();
                    }
                }
                util::Error error = std::move(r).error();
                error.message = "task " + std::to_string(i) + ": " + error.message;
                state->promise.set_error(std::move(error));
                return;
            }
            state->values[i].emplace(std::move(r).value());
            if (--state->remaining == 0) {
                state->decided = true;
                std::vector<T> out;
                out.reserve(state->values.size());
                for (auto& v : state->values) {
                    out.push_back(std::move(*v));
                }
                lock.unlock();
                state->promise.set(std::move(out));
            }
        });
    }
    return result;
}

namespace detail {
/// with_deadline() with the TimeoutExpired message `limit`; fails like with_deadline().
template <typename T>
Future<T> run_with_deadline(TaskFactory<T> task, TimerService::Clock::time_point deadline,
                            TimerService& timers, const CancellationToken& parent, std::string limit) {
    struct State {
        std::mutex mutex;
        Promise<T> promise;
        bool decided = false;
        TimerService::TimerId timer = 0;
        std::string limit;
    };
    auto state = std::make_shared<State>();
    state->limit = std::move(limit);
    Future<T> result = state->promise.future();
    CancellationToken token = parent.child();
    auto timer = timers.schedule_at(deadline, [state, token] {
        {
            std::lock_guard lock(state->mutex);
            if (state->decided) {
                return;
            }
            state->decided = true;
        }
        token.cancel();
        state->promise.set_error(runtime_error(RuntimeErrc::TimeoutExpired, state->limit));
    });
    if (!timer) {
        // libuv's rule: a call that fails synchronously never starts its work.
        return Future<T>::ready(util::fail(std::move(timer).error()));
    }
    {
        std::lock_guard lock(state->mutex);
        state->timer = *timer;
    }
    Future<T> f = task(token);
    f.on_complete([state, &timers](util::Result<T> r) {
        TimerService::TimerId id = 0;
        {
            std::lock_guard lock(state->mutex);
            if (state->decided) {
                return;
            }
            state->decided = true;
            id = state->timer;
        }
        // No wait: `decided` already keeps a racing timer callback from completing the promise.
        timers.cancel(id, TimerService::Wait::no);
        state->promise.set(std::move(r));
    });
    return result;
}
} // namespace detail

/// Starts `task` with a child of `parent` and a timer on `timers`. If the task does not finish by
/// `deadline`, its token is cancelled and the result is TimeoutExpired; a task that finishes first cancels
/// the timer, which then never fires. When the timer cannot be scheduled (no loop, timers stopped) the task
/// is not started and the result fails with that error. The timeout, and the cancellation callbacks it
/// triggers, run on the loop thread. `timers` must outlive the task.
template <typename T>
Future<T> with_deadline(TaskFactory<T> task, TimerService::Clock::time_point deadline, TimerService& timers,
                        const CancellationToken& parent) {
    return detail::run_with_deadline(std::move(task), deadline, timers, parent, "no result by the deadline");
}

/// Like with_deadline(task, now + timeout, ...); the TimeoutExpired message names the limit. Fails the same
/// way.
template <typename T>
Future<T> with_timeout(TaskFactory<T> task, std::chrono::steady_clock::duration timeout, TimerService& timers,
                       const CancellationToken& parent) {
    std::string limit =
        "no result within " +
        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) + " ms";
    return detail::run_with_deadline(std::move(task), TimerService::Clock::now() + timeout, timers, parent,
                                     std::move(limit));
}

/// Results of several futures in the order they complete ("as each completes"): add() futures under a key,
/// then take them with next()/next_for() as they finish. Copies share one queue; a future still running
/// when every copy is gone completes into nothing. Thread-safe: futures may complete on any thread, and
/// any thread may take results (each result is taken once).
template <typename T>
class CompletionQueue {
public:
    /// One completed future: the key it was added under and its result.
    struct Completed {
        std::size_t key = 0;
        util::Result<T> result;
    };

    CompletionQueue() : m_state(std::make_shared<State>()) {}

    /// Watches `future`; its result is queued under `key` when it completes (now, if it already has). An
    /// already-awaited future is queued at once with FutureAlreadyAwaited.
    void add(std::size_t key, Future<T> future) {
        {
            std::lock_guard lock(m_state->mutex);
            ++m_state->added;
        }
        auto state = m_state;
        auto deliver = [state, key](util::Result<T> result) {
            {
                std::lock_guard lock(state->mutex);
                state->done.push_back(Completed{key, std::move(result)});
            }
            state->cv.notify_all();
        };
        if (!future.valid()) {
            deliver(util::fail(runtime_error(RuntimeErrc::FutureAlreadyAwaited)));
            return;
        }
        future.on_complete(std::move(deliver));
    }

    /// Waits up to `wait` for the next completion and takes it; nullopt when none completed in time or
    /// when every added future has already been taken (then it returns at once).
    template <typename Rep, typename Period>
    std::optional<Completed> next_for(std::chrono::duration<Rep, Period> wait) {
        std::unique_lock lock(m_state->mutex);
        if (!m_state->cv.wait_for(lock, wait, [&] { return !m_state->done.empty() || drained(); }) ||
            m_state->done.empty()) {
            return std::nullopt;
        }
        return take(lock);
    }

    /// Blocks until the next completion and takes it; nullopt once every added future has been taken.
    std::optional<Completed> next() {
        std::unique_lock lock(m_state->mutex);
        m_state->cv.wait(lock, [&] { return !m_state->done.empty() || drained(); });
        if (m_state->done.empty()) {
            return std::nullopt;
        }
        return take(lock);
    }

    /// Futures added and not yet taken (running or completed).
    std::size_t pending() const {
        std::lock_guard lock(m_state->mutex);
        return m_state->added - m_state->taken;
    }

private:
    struct State {
        mutable std::mutex mutex;
        std::condition_variable cv;
        std::deque<Completed> done;
        std::size_t added = 0;
        std::size_t taken = 0;
    };
    bool drained() const { return m_state->taken == m_state->added; }
    Completed take(std::unique_lock<std::mutex>&) {
        Completed c = std::move(m_state->done.front());
        m_state->done.pop_front();
        ++m_state->taken;
        return c;
    }
    std::shared_ptr<State> m_state;
};

/// A CompletionQueue over `futures`, each keyed by its position. Never fails (see CompletionQueue::add).
template <typename T>
CompletionQueue<T> as_completed(std::vector<Future<T>> futures) {
    CompletionQueue<T> queue;
    for (std::size_t i = 0; i < futures.size(); ++i) {
        queue.add(i, std::move(futures[i]));
    }
    return queue;
}

} // namespace zsyncctl::core
