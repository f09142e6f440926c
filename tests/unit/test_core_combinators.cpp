#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/combinators.hpp"
#include "core/runtime.hpp"

using namespace zsyncctl;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<core::Runtime> make_runtime(std::size_t workers = 4) {
    core::Config config;
    config.execution_model = core::ExecutionModel::thread_pool;
    config.workers = workers;
    auto rt = core::Runtime::create(config);
    REQUIRE(rt.ok());
    return std::move(*rt);
}

// A task that finishes after `delay` unless cancelled first; `seen_cancel` records a cancellation.
core::TaskFactory<int> delayed(core::Runtime& rt, std::chrono::milliseconds delay, util::Result<int> outcome,
                               std::shared_ptr<std::atomic<bool>> seen_cancel = nullptr) {
    return [&rt, delay, outcome = std::move(outcome), seen_cancel](core::CancellationToken token) mutable {
        core::Promise<int> p;
        auto f = p.future();
        auto shared = std::make_shared<core::Promise<int>>(std::move(p));
        auto scheduled =
            rt.timers().schedule_after(delay, [shared, outcome]() mutable { shared->set(outcome); });
        REQUIRE(scheduled.ok());
        core::TimerService::TimerId timer = *scheduled;
        token.on_cancel([shared, seen_cancel, timer, &rt] {
            rt.timers().cancel(timer);
            if (seen_cancel) {
                seen_cancel->store(true);
            }
            shared->set_error(core::runtime_error(core::RuntimeErrc::CancellationRequested));
        });
        return f;
    };
}

} // namespace

TEST_CASE("race: the first success wins and the losers are cancelled") {
    auto rt = make_runtime();
    auto slow_cancelled = std::make_shared<std::atomic<bool>>(false);
    std::vector<core::TaskFactory<int>> tasks;
    tasks.push_back(delayed(*rt, 2000ms, 1, slow_cancelled));
    tasks.push_back(delayed(*rt, 10ms, 2));
    auto r = core::race(std::move(tasks), rt->token()).wait_for(10s);
    REQUIRE(r.ok());
    CHECK(r->index == 1);
    CHECK(r->value == 2);
    CHECK(slow_cancelled->load());
}

TEST_CASE("race: errors first do not win; a later success does") {
    auto rt = make_runtime();
    std::vector<core::TaskFactory<int>> tasks;
    tasks.push_back(delayed(*rt, 1ms, util::fail(util::ErrorKind::io, "fast failure")));
    tasks.push_back(delayed(*rt, 30ms, 5));
    auto r = core::race(std::move(tasks), rt->token()).wait_for(10s);
    REQUIRE(r.ok());
    CHECK(r->index == 1);
    CHECK(r->value == 5);
}

TEST_CASE("race: all failing reports every error") {
    auto rt = make_runtime();
    std::vector<core::TaskFactory<int>> tasks;
    tasks.push_back(delayed(*rt, 5ms, util::fail(util::ErrorKind::io, "first")));
    tasks.push_back(delayed(*rt, 1ms, util::fail(util::ErrorKind::timeout, "second")));
    auto r = core::race(std::move(tasks), rt->token()).wait_for(10s);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("first") != std::string::npos);
    CHECK(r.error().message.find("second") != std::string::npos);
    CHECK(r.error().message.find("all 2 tasks failed") == 0);
}

TEST_CASE("race: an empty race is invalid input") {
    auto r = core::race<int>({}, core::CancellationToken()).wait();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == util::ErrorKind::invalid_input);
}

TEST_CASE("race: cancelling the parent cancels every task") {
    auto rt = make_runtime();
    core::CancellationToken parent;
    std::vector<core::TaskFactory<int>> tasks;
    tasks.push_back(delayed(*rt, 5000ms, 1));
    tasks.push_back(delayed(*rt, 5000ms, 2));
    auto f = core::race(std::move(tasks), parent);
    parent.cancel();
    auto r = f.wait_for(5s);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == util::ErrorKind::cancelled);
}

TEST_CASE("all: values arrive in input order whatever the finishing order") {
    auto rt = make_runtime();
    std::vector<core::TaskFactory<int>> tasks;
    tasks.push_back(delayed(*rt, 40ms, 1));
    tasks.push_back(delayed(*rt, 1ms, 2));
    tasks.push_back(delayed(*rt, 20ms, 3));
    auto r = core::all(std::move(tasks), rt->token()).wait_for(10s);
    REQUIRE(r.ok());
    CHECK(*r == std::vector<int>{1, 2, 3});
}

TEST_CASE("all: the first error fails fast and cancels the rest") {
    auto rt = make_runtime();
    auto slow_cancelled = std::make_shared<std::atomic<bool>>(false);
    std::vector<core::TaskFactory<int>> tasks;
    tasks.push_back(delayed(*rt, 5000ms, 1, slow_cancelled));
    tasks.push_back(delayed(*rt, 5ms, util::fail(util::ErrorKind::command_failed, "broke")));
    auto start = std::chrono::steady_clock::now();
    auto r = core::all(std::move(tasks), rt->token()).wait_for(10s);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == util::ErrorKind::command_failed);
    CHECK(r.error().message.find("task 1") == 0);
    CHECK(slow_cancelled->load());
    CHECK(std::chrono::steady_clock::now() - start < 4s);
}

TEST_CASE("all: an error arriving last still fails the whole") {
    auto rt = make_runtime();
    std::vector<core::TaskFactory<int>> tasks;
    tasks.push_back(delayed(*rt, 1ms, 1));
    tasks.push_back(delayed(*rt, 30ms, util::fail(util::ErrorKind::parse, "late")));
    auto r = core::all(std::move(tasks), rt->token()).wait_for(10s);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind == util::ErrorKind::parse);
}

TEST_CASE("with_timeout: a slow task times out and is cancelled") {
    auto rt = make_runtime();
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    auto r = core::with_timeout<int>(delayed(*rt, 5000ms, 1, cancelled), 30ms, rt->timers(), rt->token())
                 .wait_for(10s);
    REQUIRE_FALSE(r.ok());
    CHECK(core::runtime_errc(r.error()) == core::RuntimeErrc::TimeoutExpired);
    CHECK(cancelled->load());
}

TEST_CASE("with_timeout: a fast task wins and its timer never fires") {
    auto rt = make_runtime();
    auto r = core::with_timeout<int>(delayed(*rt, 1ms, 9), 5s, rt->timers(), rt->token()).wait_for(10s);
    REQUIRE(r.ok());
    CHECK(*r == 9);
}

TEST_CASE("with_deadline: a task still running at the deadline times out and is cancelled") {
    auto rt = make_runtime();
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    auto deadline = std::chrono::steady_clock::now() + 20ms;
    auto r = core::with_deadline<int>(delayed(*rt, 5000ms, 1, cancelled), deadline, rt->timers(), rt->token())
                 .wait_for(10s);
    REQUIRE_FALSE(r.ok());
    CHECK(core::runtime_errc(r.error()) == core::RuntimeErrc::TimeoutExpired);
    CHECK(cancelled->load());
    CHECK(std::chrono::steady_clock::now() >= deadline);
}

TEST_CASE("with_timeout: when no timer can be scheduled the task is not started") {
    auto rt = make_runtime();
    rt->shutdown();
    bool started = false;
    core::TaskFactory<int> task = [&started](core::CancellationToken) {
        started = true;
        return core::Future<int>::ready(1);
    };
    auto r = core::with_timeout<int>(std::move(task), 1s, rt->timers(), rt->token()).wait_for(5s);
    REQUIRE_FALSE(r.ok());
    CHECK(core::runtime_errc(r.error()) == core::RuntimeErrc::RuntimeShutdown);
    CHECK_FALSE(started);
}

TEST_CASE("with_timeout: many tasks finishing first leave no timer behind") {
    auto rt = make_runtime();
    for (int i = 0; i < 200; ++i) {
        auto r = core::with_timeout<int>(delayed(*rt, 0ms, i), 60s, rt->timers(), rt->token()).wait_for(10s);
        REQUIRE(r.ok());
        CHECK(*r == i);
    }
    // The last task's own timer may still be returning from its callback: poll, with a deadline.
    auto limit = std::chrono::steady_clock::now() + 5s;
    while (rt->timers().count() != 0 && std::chrono::steady_clock::now() < limit) {
        std::this_thread::sleep_for(1ms);
    }
    CHECK(rt->timers().count() == 0);
    // Cancelled timers are removed from the loop too, not left to expire there in 60 s.
    auto loop = rt->loop();
    REQUIRE(loop.ok());
    core::Promise<std::size_t> p;
    auto loop_timers = p.future();
    REQUIRE((*loop)->post([p = std::move(p), l = *loop]() mutable { p.set(l->timer_count()); }));
    auto n = loop_timers.wait_for(5s);
    REQUIRE(n.ok());
    CHECK(*n == 0);
}

TEST_CASE("CompletionQueue: results arrive in completion order, keyed by position") {
    auto rt = make_runtime();
    std::vector<core::Future<int>> futures;
    futures.push_back(delayed(*rt, 300ms, 30)(rt->token().child()));
    futures.push_back(delayed(*rt, 10ms, 10)(rt->token().child()));
    futures.push_back(delayed(*rt, 150ms, 20)(rt->token().child()));
    auto queue = core::as_completed(std::move(futures));
    CHECK(queue.pending() == 3);
    std::vector<std::size_t> keys;
    std::vector<int> values;
    while (auto c = queue.next_for(5s)) {
        REQUIRE(c->result.ok());
        keys.push_back(c->key);
        values.push_back(*c->result);
    }
    CHECK(keys == std::vector<std::size_t>{1, 2, 0});
    CHECK(values == std::vector<int>{10, 20, 30});
    CHECK(queue.pending() == 0);
    CHECK_FALSE(queue.next().has_value()); // drained: returns at once
}

TEST_CASE("CompletionQueue: errors and ready futures are delivered like values") {
    core::CompletionQueue<int> queue;
    queue.add(7, core::Future<int>::ready(util::fail(util::ErrorKind::io, "disk")));
    queue.add(8, core::Future<int>::ready(8));
    core::Future<int> awaited = core::Future<int>::ready(1);
    (void)awaited.wait();
    queue.add(9, std::move(awaited));
    auto a = queue.next();
    REQUIRE(a);
    CHECK(a->key == 7);
    CHECK(a->result.error().kind == util::ErrorKind::io);
    auto b = queue.next();
    REQUIRE(b);
    CHECK(b->key == 8);
    CHECK(*b->result == 8);
    auto c = queue.next();
    REQUIRE(c);
    CHECK(c->key == 9);
    CHECK_FALSE(c->result.ok());
}

TEST_CASE("CompletionQueue: next_for times out while a future runs, then delivers it") {
    core::Promise<int> promise;
    core::CompletionQueue<int> queue;
    queue.add(0, promise.future());
    CHECK_FALSE(queue.next_for(20ms).has_value());
    CHECK(queue.pending() == 1);
    std::thread setter([&] {
        std::this_thread::sleep_for(20ms);
        promise.set(5);
    });
    auto c = queue.next_for(5s);
    setter.join();
    REQUIRE(c);
    CHECK(*c->result == 5);
}

TEST_CASE("CompletionQueue: many futures completing on pool threads are each taken once") {
    auto rt = make_runtime(4);
    core::CompletionQueue<int> queue;
    constexpr int k_count = 200;
    for (int i = 0; i < k_count; ++i) {
        queue.add(static_cast<std::size_t>(i), rt->spawn([i] { return i; }));
    }
    std::vector<bool> seen(k_count, false);
    int taken = 0;
    while (auto c = queue.next_for(5s)) {
        REQUIRE(c->result.ok());
        CHECK(*c->result == static_cast<int>(c->key));
        CHECK_FALSE(seen[c->key]);
        seen[c->key] = true;
        ++taken;
    }
    CHECK(taken == k_count);
}

TEST_CASE("CompletionQueue: a future completing after the queue is gone is harmless") {
    core::Promise<int> promise;
    {
        core::CompletionQueue<int> queue;
        queue.add(0, promise.future());
    }
    CHECK(promise.set(1));
}
