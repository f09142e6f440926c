#include <doctest/doctest.h>

#include <sched.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "core/errors.hpp"
#include "core/future.hpp"
#include "core/spin.hpp"
#include "core/thread_pool.hpp"

using namespace zsyncctl;
using namespace std::chrono_literals;

TEST_CASE("ThreadPool runs every submitted task") {
    auto pool = core::ThreadPool::create(4, 0);
    REQUIRE(pool.ok());
    std::atomic<int> count{0};
    for (int i = 0; i < 10000; ++i) {
        REQUIRE((*pool)->submit([&] { count++; }).ok());
    }
    auto report = (*pool)->shutdown(10s);
    CHECK(count.load() == 10000);
    CHECK(report.dropped_tasks == 0);
    CHECK(report.detached_workers == 0);
}

TEST_CASE("ThreadPool rejects submissions after shutdown") {
    auto pool = core::ThreadPool::create(2, 0);
    REQUIRE(pool.ok());
    (*pool)->shutdown();
    auto r = (*pool)->submit([] {});
    REQUIRE_FALSE(r.ok());
    CHECK(core::runtime_errc(r.error()) == core::RuntimeErrc::RuntimeShutdown);
    SUBCASE("shutdown is idempotent") {
        CHECK((*pool)->shutdown().dropped_tasks == 0);
    }
}

TEST_CASE("ThreadPool bounded queue reports TaskQueueFull") {
    auto pool = core::ThreadPool::create(1, 2);
    REQUIRE(pool.ok());
    std::mutex m;
    std::condition_variable cv;
    bool release = false;
    std::atomic<bool> started{false};
    REQUIRE((*pool)
                ->submit([&] {
                    started = true;
                    std::unique_lock lock(m);
                    cv.wait(lock, [&] { return release; });
                })
                .ok());
    while (!started) {
        std::this_thread::yield();
    }
    CHECK((*pool)->submit([] {}).ok());
    CHECK((*pool)->submit([] {}).ok());
    auto full = (*pool)->submit([] {});
    REQUIRE_FALSE(full.ok());
    CHECK(core::runtime_errc(full.error()) == core::RuntimeErrc::TaskQueueFull);
    {
        std::lock_guard lock(m);
        release = true;
    }
    cv.notify_all();
    CHECK((*pool)->shutdown(5s).dropped_tasks == 0);
}

TEST_CASE("ThreadPool shutdown with pending tasks drops them and fails their promises") {
    auto pool = core::ThreadPool::create(1, 0);
    REQUIRE(pool.ok());
    // Shared, not on this stack: shutdown(0ms) detaches the worker, which may wake from the wait only
    // after this test has returned.
    struct Gate {
        std::mutex m;
        std::condition_variable cv;
        bool release = false;
        std::atomic<bool> started{false};
    };
    auto gate = std::make_shared<Gate>();
    REQUIRE((*pool)
                ->submit([gate] {
                    gate->started = true;
                    std::unique_lock lock(gate->m);
                    gate->cv.wait(lock, [&] { return gate->release; });
                })
                .ok());
    while (!gate->started) {
        std::this_thread::yield();
    }
    core::Promise<int> promise;
    auto future = promise.future();
    REQUIRE((*pool)->submit([p = std::move(promise)]() mutable { p.set(1); }).ok());
    std::thread releaser([gate] {
        std::this_thread::sleep_for(50ms);
        std::lock_guard lock(gate->m);
        gate->release = true;
        gate->cv.notify_all();
    });
    auto report = (*pool)->shutdown(0ms);
    releaser.join();
    CHECK(report.dropped_tasks == 1);
    auto r = future.wait_for(5s);
    REQUIRE_FALSE(r.ok());
    CHECK(core::runtime_errc(r.error()) == core::RuntimeErrc::RuntimeShutdown);
}

TEST_CASE("ThreadPool shutdown never waits past its deadline for a stuck task") {
    auto pool = core::ThreadPool::create(1, 0);
    REQUIRE(pool.ok());
    auto gate = std::make_shared<std::atomic<bool>>(false);
    REQUIRE((*pool)
                ->submit([gate] {
                    while (!gate->load()) {
                        std::this_thread::sleep_for(1ms);
                    }
                })
                .ok());
    auto start = std::chrono::steady_clock::now();
    auto report = (*pool)->shutdown(100ms);
    auto waited = std::chrono::steady_clock::now() - start;
    gate->store(true); // let the detached worker finish
    CHECK(report.detached_workers == 1);
    CHECK(waited < 5s);
    std::this_thread::sleep_for(20ms);
}

TEST_CASE("ThreadPool drains queued work within the deadline") {
    auto pool = core::ThreadPool::create(2, 0);
    REQUIRE(pool.ok());
    std::atomic<int> done{0};
    for (int i = 0; i < 100; ++i) {
        REQUIRE((*pool)
                    ->submit([&] {
                        std::this_thread::sleep_for(100us);
                        done++;
                    })
                    .ok());
    }
    auto report = (*pool)->shutdown(30s);
    CHECK(report.dropped_tasks == 0);
    CHECK(done.load() == 100);
}

TEST_CASE("ThreadPool on demand starts one worker, and another only for a task no free worker can take") {
    auto pool = core::ThreadPool::create(3, 0, core::WorkerStart::on_demand);
    REQUIRE(pool.ok());
    CHECK((*pool)->worker_count() == 1);
    // Tasks one after the other: the one worker takes each, no second starts.
    for (int i = 0; i < 50; ++i) {
        std::atomic<bool> done{false};
        REQUIRE((*pool)->submit([&] { done = true; }).ok());
        while (!done) {
            std::this_thread::yield();
        }
        std::this_thread::sleep_for(1ms); // back to sleep or spinning: free for the next task
    }
    CHECK((*pool)->worker_count() == 1);
    // A task that waits for a task it submits itself: the inner one needs a second worker, started by the
    // inner submit (with one worker and no growth this would never finish).
    std::atomic<int> inner_ran{0};
    std::atomic<bool> outer_done{false};
    REQUIRE((*pool)
                ->submit([&] {
                    std::atomic<bool> inner{false};
                    REQUIRE((*pool)
                                ->submit([&] {
                                    inner = true;
                                    inner_ran++;
                                })
                                .ok());
                    const auto deadline = std::chrono::steady_clock::now() + 10s;
                    while (!inner && std::chrono::steady_clock::now() < deadline) {
                        std::this_thread::sleep_for(100us);
                    }
                    outer_done = true;
                })
                .ok());
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!outer_done && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    CHECK(outer_done.load());
    CHECK(inner_ran.load() == 1);
    CHECK((*pool)->worker_count() >= 2);
    // Three tasks blocked at once need all three workers; a fourth waits for one of them, never a fourth
    // worker.
    std::mutex m;
    std::condition_variable cv;
    bool release = false;
    std::atomic<int> blocked{0};
    for (int i = 0; i < 3; ++i) {
        REQUIRE((*pool)
                    ->submit([&] {
                        blocked++;
                        std::unique_lock lock(m);
                        cv.wait(lock, [&] { return release; });
                    })
                    .ok());
    }
    while (blocked.load() < 3 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(1ms);
    }
    CHECK(blocked.load() == 3);
    std::atomic<bool> fourth{false};
    REQUIRE((*pool)->submit([&] { fourth = true; }).ok());
    CHECK((*pool)->worker_count() == 3);
    {
        std::lock_guard lock(m);
        release = true;
    }
    cv.notify_all();
    auto report = (*pool)->shutdown(10s);
    CHECK(fourth.load());
    CHECK(report.dropped_tasks == 0);
    CHECK(report.detached_workers == 0);
}

TEST_CASE("ThreadPool on demand: submits racing a shutdown leave no worker behind") {
    for (int round = 0; round < 20; ++round) {
        auto pool = core::ThreadPool::create(4, 0, core::WorkerStart::on_demand);
        REQUIRE(pool.ok());
        std::atomic<int> ran{0};
        std::vector<std::thread> submitters;
        for (int t = 0; t < 3; ++t) {
            submitters.emplace_back([&] {
                for (int i = 0; i < 200; ++i) {
                    if (!(*pool)->submit([&] { ran++; }).ok()) {
                        return; // shut down
                    }
                }
            });
        }
        auto report = (*pool)->shutdown(5s);
        for (auto& s : submitters) {
            s.join();
        }
        CHECK(report.detached_workers == 0);
        CHECK((*pool)->worker_count() == 0); // every worker started, also by a late submit, has exited
        CHECK((*pool)->worker_count() <= 4);
    }
}

TEST_CASE("spin_yielding_until: true at once when ready, false after the limit when never ready") {
    CHECK(core::detail::spin_yielding_until([] { return true; }, 0ns));
    const auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(core::detail::spin_yielding_until([] { return false; }, 2ms));
    CHECK(std::chrono::steady_clock::now() - start >= 2ms);
}

// The placement that halved the pool's throughput (bench/README.md, 2026-12-06): the waiter and the thread
// it waits for on one CPU. The waiter's yields let the producer run; every task still runs exactly once.
TEST_CASE("spin_yielding_until and the pool on a single CPU") {
    cpu_set_t old_set;
    REQUIRE(::sched_getaffinity(0, sizeof old_set, &old_set) == 0);
    int cpu = -1;
    for (int i = 0; i < CPU_SETSIZE && cpu < 0; ++i) {
        if (CPU_ISSET(i, &old_set)) {
            cpu = i;
        }
    }
    REQUIRE(cpu >= 0);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    REQUIRE(::sched_setaffinity(0, sizeof one, &one) == 0); // threads started from here on inherit it

    std::atomic<bool> flag{false};
    std::thread producer([&] { flag.store(true); });
    CHECK(core::detail::spin_yielding_until([&] { return flag.load(); }, 10s));
    producer.join();

    {
        auto pool = core::ThreadPool::create(2, 0);
        REQUIRE(pool.ok());
        std::atomic<int> count{0};
        for (int i = 0; i < 20000; ++i) {
            REQUIRE((*pool)->submit([&] { count.fetch_add(1, std::memory_order_relaxed); }).ok());
        }
        auto report = (*pool)->shutdown(30s);
        CHECK(count.load() == 20000);
        CHECK(report.dropped_tasks == 0);
    }
    REQUIRE(::sched_setaffinity(0, sizeof old_set, &old_set) == 0);
}
