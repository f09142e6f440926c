#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/concurrent_for.hpp"
#include "core/runtime.hpp"

using namespace zsyncctl;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<core::Runtime> make_pool_runtime(std::size_t workers) {
    core::Config config;
    config.execution_model = core::ExecutionModel::thread_pool;
    config.workers = workers;
    auto rt = core::Runtime::create(config);
    REQUIRE(rt.ok());
    return std::move(*rt);
}

} // namespace

TEST_CASE("concurrent_for runs every index once, at the same time") {
    SUBCASE("four slow indexes on four workers overlap") {
        auto rt = make_pool_runtime(4);
        std::vector<std::atomic<int>> runs(4);
        std::atomic<int> running{0};
        std::atomic<int> most{0};
        core::concurrent_for(*rt, 4, [&](std::size_t i) {
            int now = ++running;
            int seen = most.load();
            while (now > seen && !most.compare_exchange_weak(seen, now)) {
            }
            std::this_thread::sleep_for(100ms);
            --running;
            ++runs[i];
        });
        for (auto& r : runs) {
            CHECK(r.load() == 1);
        }
        CHECK(most.load() >= 2);
    }
    SUBCASE("a caller on the only worker does not wait for itself") {
        auto rt = make_pool_runtime(1);
        std::atomic<int> total{0};
        auto outer = rt->spawn([&] {
            core::concurrent_for(*rt, 5, [&](std::size_t i) { total += static_cast<int>(i) + 1; });
            return 0;
        });
        auto r = outer.wait_for(10s);
        REQUIRE(r.ok());
        CHECK(total.load() == 15);
    }
    SUBCASE("the caller's exception comes back after everything ran") {
        auto rt = make_pool_runtime(2);
        std::atomic<int> ran{0};
        CHECK_THROWS_AS(core::concurrent_for(*rt, 3,
                                             [&](std::size_t i) {
                                                 ++ran;
                                                 if (i == 0) {
                                                     throw std::runtime_error("zero");
                                                 }
                                             }),
                        std::runtime_error);
        CHECK(ran.load() == 3);
    }
    SUBCASE("nothing to do returns at once") {
        auto rt = make_pool_runtime(1);
        core::concurrent_for(*rt, 0, [](std::size_t) { FAIL("ran"); });
    }
}
