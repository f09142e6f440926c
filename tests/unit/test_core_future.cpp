#include <doctest/doctest.h>

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
