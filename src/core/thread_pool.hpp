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

/// A fixed set of worker threads over one FIFO queue, woken by a condition variable (no polling).
/// Neither copyable nor movable. submit() and shutdown() may be called from any thread, including workers.
class ThreadPool {
public:
    using Task = util::UniqueFunction<void()>;

    /// Starts `workers` threads (at least 1); `queue_bound` 0 means unbounded. Fails with
    /// ThreadPoolExhausted when no thread could be started (then no thread is left running).
    static util::Result<std::unique_ptr<ThreadPool>> create(std::size_t workers, std::size_t queue_bound);

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

    /// Number of worker threads started.
    std::size_t worker_count() const;

    /// Tasks queued and not yet started.
    std::size_t pending() const;

private:
    struct State;
    explicit ThreadPool(std::shared_ptr<State> state);
    std::shared_ptr<State> m_state;
};

} // namespace zsyncctl::core
