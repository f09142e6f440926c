#include "core/thread_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#include "core/errors.hpp"
#include "core/spin.hpp"

namespace zsyncctl::core {

// Named, not anonymous: ThreadPool::State, a member of a class with external linkage, holds one.
namespace thread_pool_detail {

// A FIFO of tasks in one growing circular buffer: a std::deque allocates and frees a 512-byte block every
// six tasks, which showed as the pool's allocation per task against boost::asio (bench/bench_runtime).
// Capacity only grows (to the largest backlog seen), so a steady stream of tasks allocates nothing.
class TaskRing {
public:
    using Task = ThreadPool::Task;

    bool empty() const { return m_count == 0; }
    std::size_t size() const { return m_count; }

    void push_back(Task task) {
        if (m_count == m_slots.size()) {
            grow();
        }
        m_slots[(m_head + m_count) & (m_slots.size() - 1)] = std::move(task);
        ++m_count;
    }

    Task pop_front() {
        Task task = std::move(m_slots[m_head]);
        m_head = (m_head + 1) & (m_slots.size() - 1);
        --m_count;
        return task;
    }

    void swap(TaskRing& other) noexcept {
        m_slots.swap(other.m_slots);
        std::swap(m_head, other.m_head);
        std::swap(m_count, other.m_count);
    }

    void clear() {
        while (!empty()) {
            pop_front();
        }
    }

private:
    void grow() {
        std::vector<Task> bigger(m_slots.empty() ? 64 : m_slots.size() * 2); // a power of two
        for (std::size_t i = 0; i < m_count; ++i) {
            bigger[i] = std::move(m_slots[(m_head + i) & (m_slots.size() - 1)]);
        }
        m_slots.swap(bigger);
        m_head = 0;
    }

    std::vector<Task> m_slots;
    std::size_t m_head = 0;
    std::size_t m_count = 0;
};

} // namespace thread_pool_detail

using thread_pool_detail::TaskRing;

// Shared with the workers, so a worker detached at the deadline keeps valid state after the pool is gone.
struct ThreadPool::State {
    mutable std::mutex mutex;
    std::condition_variable work_cv;     // workers wait here for tasks or stop
    std::condition_variable finished_cv; // shutdown waits here for workers to exit
    TaskRing queue;
    // queue.size(), written under the mutex, read without it by workers spinning for work.
    std::atomic<std::size_t> queued{0};
    std::atomic<int> spinners{0}; // at most one worker spins: the others sleep and leave the CPUs free
    std::size_t bound = 0;
    std::size_t idle = 0;              // workers waiting on work_cv
    std::size_t wakeups_in_flight = 0; // notify_one calls not yet absorbed by a woken worker
    std::size_t running_workers = 0;
    // Workers inside a task (a starting worker is not: it is about to look at the queue).
    std::size_t busy_workers = 0;
    std::size_t max_workers = 0; // on_demand: submit() starts workers up to this many
    bool on_demand = false;
    bool accepting = true;
    bool stop = false; // workers exit once the queue is empty (or immediately when dropping)
    bool shut_down = false;
    std::vector<std::thread> threads;
    std::vector<std::thread::id> exited;

    // Returns once a task is queued or after about 50 us (never holds the mutex); only one worker at a time.
    // While a worker is in here submit() wakes nobody for the first queued task: every worker that raised
    // `spinners` takes the mutex and looks at the queue after lowering it, so the task is seen without a
    // futex wake on either side. It yields the CPU between probes: when the scheduler puts this worker on
    // the submitting thread's CPU, a plain spin held that thread off and halved the throughput.
    void spin_for_work() {
        if (spinners.fetch_add(1, std::memory_order_relaxed) != 0) {
            spinners.fetch_sub(1, std::memory_order_relaxed);
            return;
        }
        detail::spin_yielding_until([this] { return queued.load(std::memory_order_relaxed) != 0; },
                                    std::chrono::microseconds(50));
        spinners.fetch_sub(1, std::memory_order_relaxed);
    }

    // Whether the queue (mutex held, not empty) needs a sleeping worker woken: not while the workers
    // spinning for work can take every queued task, and not when every sleeper already has a wake-up on
    // its way. Counts the wake-up it asks for; the caller calls work_cv.notify_one() after unlocking.
    bool claim_wakeup() {
        if (queue.size() <= static_cast<std::size_t>(spinners.load(std::memory_order_relaxed)) ||
            idle <= wakeups_in_flight) {
            return false;
        }
        ++wakeups_in_flight;
        return true;
    }

    // Starts one more worker (mutex held); false when none could be started.
    bool start_worker(const std::shared_ptr<State>& self) {
        try {
            threads.emplace_back([self] { self->worker_loop(); });
        } catch (const std::system_error&) {
            return false;
        }
        ++running_workers;
        return true;
    }

    void worker_loop() {
        std::unique_lock lock(mutex, std::defer_lock);
        detail::lock_spinning(lock);
        while (true) {
            if (queue.empty()) {
                if (stop) {
                    break;
                }
                // Spin a little before sleeping: a task that follows soon (a caller submitting and
                // awaiting one at a time, a burst being fed) is then taken without a futex wake-up on
                // either side, which is where the pool lost to boost::asio (bench/bench_runtime). A
                // spinning worker does not count as idle, so submit() does not wake it either.
                lock.unlock();
                spin_for_work();
                detail::lock_spinning(lock);
                if (!queue.empty() || stop) {
                    continue;
                }
                ++idle;
                // No predicate loop: every wake-up, spurious or not, settles one in-flight wakeup, so the
                // count can only under-estimate (an extra notify), never strand a task with a sleeper.
                work_cv.wait(lock);
                --idle;
                if (wakeups_in_flight > 0) {
                    --wakeups_in_flight;
                }
                continue;
            }
            Task task = queue.pop_front();
            queued.store(queue.size(), std::memory_order_relaxed);
            ++busy_workers;
            if (stop && queue.empty()) {
                finished_cv.notify_all(); // a draining shutdown waits for the queue to empty
            }
            // More work queued behind this task: pass the wake-up on (a burst wakes the sleepers one by
            // one from the workers, not all from the submitting thread).
            const bool wake = !queue.empty() && claim_wakeup();
            lock.unlock();
            if (wake) {
                work_cv.notify_one();
            }
            task();
            task = nullptr; // destroy captured state outside the lock
            detail::lock_spinning(lock);
            --busy_workers;
        }
        --running_workers;
        exited.push_back(std::this_thread::get_id());
        finished_cv.notify_all();
    }
};

ThreadPool::ThreadPool(std::shared_ptr<State> state) : m_state(std::move(state)) {}

util::Result<std::unique_ptr<ThreadPool>> ThreadPool::create(std::size_t workers, std::size_t queue_bound,
                                                             WorkerStart start) {
    auto state = std::make_shared<State>();
    state->bound = queue_bound;
    std::unique_ptr<ThreadPool> pool(new ThreadPool(state));
    workers = workers == 0 ? 1 : workers;
    state->on_demand = start == WorkerStart::on_demand;
    const std::size_t at_once = state->on_demand ? 1 : workers;
    for (std::size_t i = 0; i < at_once; ++i) {
        std::lock_guard lock(state->mutex);
        if (!state->start_worker(state)) {
            if (i == 0) {
                return util::fail(
                    runtime_error(RuntimeErrc::ThreadPoolExhausted, "no worker thread could start"));
            }
            break; // run with the workers we got
        }
    }
    std::lock_guard lock(state->mutex);
    // An all_at_once pool that got fewer threads than asked runs with those; an on_demand one may grow.
    state->max_workers = state->on_demand ? workers : state->threads.size();
    return pool;
}

ThreadPool::~ThreadPool() {
    shutdown(std::chrono::milliseconds(0));
}

util::Result<void> ThreadPool::submit(Task task) {
    std::unique_lock lock(m_state->mutex, std::defer_lock);
    detail::lock_spinning(lock);
    if (!m_state->accepting) {
        return util::fail(runtime_error(RuntimeErrc::RuntimeShutdown, "task submitted after shutdown"));
    }
    if (m_state->bound != 0 && m_state->queue.size() >= m_state->bound) {
        return util::fail(runtime_error(RuntimeErrc::TaskQueueFull,
                                        std::to_string(m_state->queue.size()) + " tasks already queued"));
    }
    m_state->queue.push_back(std::move(task));
    m_state->queued.store(m_state->queue.size(), std::memory_order_relaxed);
    // on_demand: more tasks queued than workers outside a task (sleeping, spinning, starting or between two
    // tasks) starts a worker; the others are inside a task, perhaps one waiting for this one. Under the
    // mutex, so that shutdown() sees it. A failed start leaves the task to the workers there are.
    if (m_state->on_demand && m_state->threads.size() < m_state->max_workers &&
        m_state->queue.size() > m_state->running_workers - m_state->busy_workers) {
        (void)m_state->start_worker(m_state);
    }
    // A burst of submits costs at most one futex wake per sleeping worker, none while one spins.
    const bool wake = m_state->claim_wakeup();
    lock.unlock();
    if (wake) {
        m_state->work_cv.notify_one();
    }
    return util::ok();
}

ShutdownReport ThreadPool::shutdown(std::chrono::milliseconds drain) {
    ShutdownReport report;
    auto& s = *m_state;
    auto deadline = std::chrono::steady_clock::now() + drain;
    TaskRing dropped;
    std::vector<std::thread> threads;
    {
        std::unique_lock lock(s.mutex);
        if (s.shut_down) {
            return report;
        }
        s.shut_down = true;
        s.accepting = false;
        s.stop = true;
        s.work_cv.notify_all();
        s.finished_cv.wait_until(lock, deadline, [&] { return s.queue.empty(); });
        dropped.swap(s.queue);
        s.queued.store(0, std::memory_order_relaxed);
        report.dropped_tasks = dropped.size();
        // The remaining workers are inside a task; give them until the deadline to return.
        s.finished_cv.wait_until(lock, deadline, [&] { return s.running_workers == 0; });
        threads.swap(s.threads);
    }
    dropped.clear(); // fails the dropped tasks' promises, outside the lock
    std::vector<std::thread::id> exited;
    {
        std::lock_guard lock(s.mutex);
        exited = s.exited;
    }
    for (auto& t : threads) {
        bool done = std::find(exited.begin(), exited.end(), t.get_id()) != exited.end();
        if (t.get_id() == std::this_thread::get_id()) {
            t.detach(); // shutdown called from a worker: it cannot join itself
        } else if (done) {
            t.join();
        } else {
            t.detach();
            ++report.detached_workers;
        }
    }
    return report;
}

std::size_t ThreadPool::worker_count() const {
    std::lock_guard lock(m_state->mutex);
    return m_state->running_workers;
}

std::size_t ThreadPool::pending() const {
    std::lock_guard lock(m_state->mutex);
    return m_state->queue.size();
}

} // namespace zsyncctl::core
