#pragma once

#include <chrono>
#include <cstddef>
#include <memory>

#include "util/result.hpp"
#include "util/unique_function.hpp"

namespace zsyncctl::core {

/// Outcome of ThreadPool::shutdown().
struct ShutdownReport {
    std::size_t dropped_tasks = 0;    // queued tasks discarded because the drain deadline passed
    std::size_t detached_workers = 0; // workers still inside a task at the deadline, left to finish alone
};

/// When a pool's workers start.
enum class WorkerStart {
    all_at_once, ///< every worker at create()
    /// One worker at create(), each further one (up to the count) by a submit() that finds more tasks
    /// queued than workers free to take them: a command that needs one worker does not pay for starting the
    /// others (a thread's start cost a fresh process 0.1-0.7 ms in a VM), and a task that waits on another
    /// task still finds a worker for it, as with all at once.
    on_demand,
};

/// A set of worker threads (at most a fixed count) over one FIFO queue, woken by a condition variable (no
/// polling). Neither copyable nor movable. submit() and shutdown() may be called from any thread,
/// including workers.
class ThreadPool {
public:
    using Task = util::UniqueFunction<void()>;

    /// A pool of `workers` threads (at least 1), started as `start` says; `queue_bound` 0 means unbounded.
    /// Fails with ThreadPoolExhausted when no thread could be started (then no thread is left running).
    static util::Result<std::unique_ptr<ThreadPool>> create(std::size_t workers, std::size_t queue_bound,
                                                            WorkerStart start = WorkerStart::all_at_once);

    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;
    ThreadPool(ThreadPool&&) = delete;
    ThreadPool& operator=(ThreadPool&&) = delete;

    /// Shuts down with a zero drain deadline: pending tasks are dropped, workers joined or detached.
    ~ThreadPool();

    /// Queues a task. Fails with RuntimeShutdown after shutdown() and TaskQueueFull when the bound is hit.
    /// A task must not throw; wrap it (Runtime::spawn does) if it can.
    util::Result<void> submit(Task task);

    /// Stops accepting tasks, runs queued ones until `drain` has elapsed, drops the rest (destroying them,
    /// which fails their promises with RuntimeShutdown), and joins every worker that finished by then.
    /// Idempotent: later calls return an empty report. Never waits past the deadline.
    ShutdownReport shutdown(std::chrono::milliseconds drain = std::chrono::milliseconds(0));

    /// Number of worker threads started and not yet exited (with on_demand, those started so far).
    std::size_t worker_count() const;

    /// Tasks queued and not yet started.
    std::size_t pending() const;

private:
    struct State;
    explicit ThreadPool(std::shared_ptr<State> state);
    std::shared_ptr<State> m_state;
};

} // namespace zsyncctl::core
