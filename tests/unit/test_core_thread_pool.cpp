#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/errors.hpp"
#include "core/future.hpp"
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
