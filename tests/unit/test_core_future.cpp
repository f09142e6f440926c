#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

#include "core/future.hpp"

using namespace zsyncctl;
using namespace std::chrono_literals;

TEST_CASE("Future wait returns the promised value") {
    core::Promise<int> p;
    auto f = p.future();
    std::thread t([&] { p.set(7); });
    auto r = f.wait();
    t.join();
    REQUIRE(r.ok());
    CHECK(*r == 7);
}

TEST_CASE("Future second await fails with FutureAlreadyAwaited") {
    auto f = core::Future<int>::ready(1);
    CHECK(f.wait().ok());
    auto again = f.wait();
    REQUIRE_FALSE(again.ok());
    CHECK(core::runtime_errc(again.error()) == core::RuntimeErrc::FutureAlreadyAwaited);
}

TEST_CASE("Future wait_for times out and stays valid") {
    core::Promise<int> p;
    auto f = p.future();
    auto r = f.wait_for(10ms);
    REQUIRE_FALSE(r.ok());
    CHECK(core::runtime_errc(r.error()) == core::RuntimeErrc::TimeoutExpired);
    CHECK(f.valid());
    p.set(3);
    auto r2 = f.wait_for(1s);
    REQUIRE(r2.ok());
    CHECK(*r2 == 3);
}

TEST_CASE("Future then chains values and turns exceptions into errors") {
    SUBCASE("value continuation") {
        core::Promise<int> p;
        auto g = p.future().then([](util::Result<int> r) { return *r * 2; });
        p.set(21);
        CHECK(*g.wait() == 42);
    }
    SUBCASE("continuation on an already-ready future runs inline") {
        bool ran = false;
        auto g = core::Future<int>::ready(1).then([&](util::Result<int>) { ran = true; });
        CHECK(ran);
        CHECK(g.wait().ok());
    }
    SUBCASE("an exception becomes an internal error") {
        auto g = core::Future<int>::ready(1).then(
            [](util::Result<int>) -> int { throw std::runtime_error("boom"); });
        auto r = g.wait();
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == util::ErrorKind::internal);
        CHECK(r.error().message.find("boom") != std::string::npos);
    }
    SUBCASE("errors pass through") {
        auto g = core::Future<int>::ready(util::fail(util::ErrorKind::io, "disk"))
                     .then([](util::Result<int> r) -> util::Result<int> { return r; });
        auto r = g.wait();
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == util::ErrorKind::io);
    }
}

TEST_CASE("Promise dropped without a value fails its future") {
    core::Future<int> f;
    {
        core::Promise<int> p;
        f = p.future();
    }
    auto r = f.wait();
    REQUIRE_FALSE(r.ok());
    CHECK(core::runtime_errc(r.error()) == core::RuntimeErrc::RuntimeShutdown);
}

TEST_CASE("Promise set twice is refused") {
    core::Promise<int> p;
    auto f = p.future();
    CHECK(p.set(1));
    CHECK_FALSE(p.set(2));
    CHECK(*f.wait() == 1);
}

// The state word has no lock: set() and on_complete() race on two fetch_or()s, and whichever comes second
// runs the continuation. Run the race many times from two threads; the callback must run exactly once,
// with the value, whoever wins (TSan runs this too).
TEST_CASE("Future on_complete racing set runs the callback exactly once") {
    for (int i = 0; i < 2000; ++i) {
        core::Promise<int> p;
        auto f = p.future();
        std::atomic<int> runs{0};
        std::atomic<int> value{0};
        std::atomic<bool> started{false};
        std::atomic<bool> go{false};
        std::thread setter([&] {
            started.store(true, std::memory_order_release);
            while (!go.load(std::memory_order_acquire)) {
            }
            p.set(i);
        });
        while (!started.load(std::memory_order_acquire)) {
        }
        go.store(true, std::memory_order_release);
        // Stagger the start by a varying few hundred nanoseconds, so both orders and the overlap happen.
        std::atomic<int> stagger{0};
        while (stagger.fetch_add(1, std::memory_order_relaxed) < i % 97) {
        }
        f.on_complete([&](util::Result<int> r) {
            value.store(r.ok() ? *r : -1);
            runs.fetch_add(1);
        });
        setter.join();
        REQUIRE(runs.load() == 1);
        REQUIRE(value.load() == i);
    }
}

// A wait that outlasts its spin sleeps on the futex; set() from another thread must wake it (a lost
// wake-up would hang here), and wait_for must return the value long before its timeout.
TEST_CASE("Future waits sleeping on the futex are woken by set") {
    SUBCASE("wait") {
        core::Promise<int> p;
        auto f = p.future();
        CHECK_FALSE(f.is_ready());
        std::thread t([&] {
            std::this_thread::sleep_for(20ms);
            p.set(5);
        });
        auto r = f.wait();
        t.join();
        REQUIRE(r.ok());
        CHECK(*r == 5);
    }
    SUBCASE("wait_for") {
        core::Promise<int> p;
        auto f = p.future();
        std::thread t([&] {
            std::this_thread::sleep_for(20ms);
            p.set(6);
        });
        auto start = std::chrono::steady_clock::now();
        auto r = f.wait_for(30s);
        auto took = std::chrono::steady_clock::now() - start;
        t.join();
        REQUIRE(r.ok());
        CHECK(*r == 6);
        CHECK(took < 10s);
        CHECK_FALSE(f.valid());
    }
    SUBCASE("many short waits, each woken or caught spinning") {
        for (int i = 0; i < 500; ++i) {
            core::Promise<int> p;
            auto f = p.future();
            std::thread t([&p, i] { p.set(i); });
            auto r = f.wait();
            t.join();
            REQUIRE(r.ok());
            REQUIRE(*r == i);
        }
    }
    SUBCASE("is_ready after set") {
        core::Promise<int> p;
        auto f = p.future();
        p.set(1);
        CHECK(f.is_ready());
        CHECK(*f.wait() == 1);
    }
}
