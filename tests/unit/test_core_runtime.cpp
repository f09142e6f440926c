#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/event_loop.hpp"
#include "core/runtime.hpp"
#include "thread_count.hpp"

using namespace zsyncctl;
using namespace std::chrono_literals;

namespace {
core::Config pool_config(std::size_t workers) {
    core::Config config;
    config.execution_model = core::ExecutionModel::thread_pool;
    config.workers = workers;
    return config;
}
} // namespace

TEST_CASE("Runtime run returns with the thread count back where it started") {
    std::size_t before = test_support::user_thread_count();
    {
        auto rt = core::Runtime::create(pool_config(4));
        REQUIRE(rt.ok());
        CHECK(test_support::user_thread_count() >= before + 4);
        auto r = (*rt)->run([](core::Runtime& runtime) {
            auto f = runtime.spawn([] { return 40; });
            REQUIRE(runtime.timers().schedule_after(1ms, [] {}).ok()); // starts the loop thread too
            return *f.wait() + 2;
        });
        REQUIRE(r.ok());
        CHECK(*r == 42);
        // run() has already shut down and joined, before the runtime is destroyed.
        CHECK(test_support::settled_thread_count(before) == before);
    }
    CHECK(test_support::settled_thread_count(before) == before);
}

TEST_CASE("Runtime run_simple starts no thread") {
    std::size_t before = test_support::user_thread_count();
    auto r = core::Runtime::run_simple([&] { return test_support::user_thread_count(); });
    REQUIRE(r.ok());
    CHECK(*r == before);
}

TEST_CASE("Runtime spawn after shutdown fails with RuntimeShutdown") {
    auto rt = core::Runtime::create(pool_config(2));
    REQUIRE(rt.ok());
    (*rt)->shutdown();
    auto r = (*rt)->spawn([] { return 1; }).wait();
    REQUIRE_FALSE(r.ok());
    CHECK(core::runtime_errc(r.error()) == core::RuntimeErrc::RuntimeShutdown);
}

TEST_CASE("Runtime shutdown keeps its loop alive until the pool's tasks that post to it are done") {
    // Tasks on the pool report to the runtime's loop as shutdown begins (serve answering a request on its
    // loop when a SIGTERM drain ends): each post must find the loop closed, never destroyed. Before the fix
    // the loop was destroyed before the workers were joined; ASan saw a post into freed memory and TSan the
    // wake descriptor closed under a worker's write. The posts after close are rejected, not run.
    for (int round = 0; round < 20; ++round) {
        auto rt = core::Runtime::create(pool_config(2));
        REQUIRE(rt.ok());
        auto loop = (*rt)->loop();
        REQUIRE(loop.ok());
        core::EventLoop* l = *loop;
        std::atomic<int> ran{0};
        std::atomic<int> posted{0};
        std::atomic<bool> started{false};
        std::vector<core::Future<void>> tasks;
        for (int i = 0; i < 8; ++i) {
            tasks.push_back((*rt)->spawn([l, &ran, &posted, &started] {
                started.store(true);
                for (int n = 0; n < 200; ++n) {
                    if (l->post([&ran] { ran.fetch_add(1); })) {
                        posted.fetch_add(1);
                    }
                    std::this_thread::yield();
                }
            }));
        }
        while (!started.load()) {
            std::this_thread::yield();
        }
        auto report = (*rt)->shutdown();
        CHECK(report.detached_workers == 0);
        CHECK(ran.load() <= posted.load());
    }
}

TEST_CASE("Runtime exceptions in tasks become errors") {
    auto rt = core::Runtime::create(pool_config(2));
    REQUIRE(rt.ok());
    auto r = (*rt)->spawn([]() -> int { throw std::runtime_error("kaput"); }).wait();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == util::ErrorKind::internal);
    auto main = (*rt)->run([](core::Runtime&) -> int { throw std::logic_error("main broke"); });
    REQUIRE_FALSE(main.ok());
    CHECK(main.error().message.find("main broke") != std::string::npos);
}

TEST_CASE("Runtime spawn with a cancelled token does not run the task") {
    auto rt = core::Runtime::create(pool_config(2));
    REQUIRE(rt.ok());
    core::CancellationToken token;
    token.cancel();
    std::atomic<bool> ran{false};
    auto r = (*rt)->spawn([&] { ran = true; }, token).wait();
    REQUIRE_FALSE(r.ok());
    CHECK(core::runtime_errc(r.error()) == core::RuntimeErrc::CancellationRequested);
    CHECK_FALSE(ran.load());
}

TEST_CASE("Runtime blocking model runs tasks inline with no pool") {
    core::Config config;
    config.execution_model = core::ExecutionModel::blocking;
    auto rt = core::Runtime::create(config);
    REQUIRE(rt.ok());
    CHECK((*rt)->pool() == nullptr);
    auto id = (*rt)->spawn([] { return std::this_thread::get_id(); }).wait();
    REQUIRE(id.ok());
    CHECK(*id == std::this_thread::get_id());
}

TEST_CASE("Runtime nested run is refused with AlreadyRunning") {
    auto rt = core::Runtime::create(pool_config(1));
    REQUIRE(rt.ok());
    auto r = (*rt)->run([](core::Runtime& runtime) {
        auto inner = runtime.run([](core::Runtime&) { return 1; });
        return inner.ok() ? 0 : static_cast<int>(*core::runtime_errc(inner.error()));
    });
    REQUIRE(r.ok());
    CHECK(*r == static_cast<int>(core::RuntimeErrc::AlreadyRunning));
}

TEST_CASE("Runtime keep_alive leaves the pool running after run") {
    auto config = pool_config(2);
    config.keep_alive = true;
    auto rt = core::Runtime::create(config);
    REQUIRE(rt.ok());
    REQUIRE((*rt)->run([](core::Runtime&) { return 0; }).ok());
    auto later = (*rt)->spawn([] { return 5; }).wait();
    REQUIRE(later.ok());
    CHECK(*later == 5);
    (*rt)->shutdown();
}

TEST_CASE("Runtime runs 1,000,000 tiny tasks") {
    auto rt = core::Runtime::create(pool_config(4));
    REQUIRE(rt.ok());
    static constexpr int k_tasks = 1000000;
    std::atomic<int> done{0};
    core::Promise<int> all_done;
    auto finished = all_done.future();
    auto shared = std::make_shared<core::Promise<int>>(std::move(all_done));
    auto r = (*rt)->run([&](core::Runtime& runtime) {
        for (int i = 0; i < k_tasks; ++i) {
            auto submitted = runtime.pool()->submit([&done, shared] {
                if (done.fetch_add(1) + 1 == k_tasks) {
                    shared->set(1);
                }
            });
            REQUIRE(submitted.ok());
        }
        return finished.wait_for(120s).ok();
    });
    REQUIRE(r.ok());
    CHECK(*r);
    CHECK(done.load() == k_tasks);
}

TEST_CASE("Runtime refuses an invalid config with ConfigurationError") {
    core::Config config;
    config.workers = 100000;
    auto rt = core::Runtime::create(config);
    REQUIRE_FALSE(rt.ok());
    CHECK(core::runtime_errc(rt.error()) == core::RuntimeErrc::ConfigurationError);
    CHECK(rt.error().message.find("workers") != std::string::npos);
}
