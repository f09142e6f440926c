#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/errors.hpp"
#include "core/runtime.hpp"
#include "core/timer_service.hpp"
#include "core_loop_helpers.hpp"
#include "thread_count.hpp"

using namespace zsyncctl;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using namespace test_support;

namespace {

// Waits (deadline 5 s) until every timer due before now has had its turn on the loop: a sentinel timer
// scheduled now fires after all of them (equal or earlier deadlines fire first). The waiting cancel()
// returns once the sentinel's callback has returned and it is gone from count().
bool drain(core::TimerService& timers) {
    auto latch = std::make_shared<Latch>();
    auto id = timers.schedule_at(Clock::now(), [latch] { latch->hit(); });
    if (!id.ok() || !latch->wait_for_count(1)) {
        return false;
    }
    return !timers.cancel(*id);
}

} // namespace

TEST_CASE("TimerService timers scheduled from another thread fire on the loop thread in deadline order") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        core::TimerService timers(*lt.loop);
        std::mutex m;
        std::vector<int> order;
        std::atomic<int> off_loop{0};
        Latch latch;
        const Clock::time_point start = Clock::now();
        auto add = [&](int tag, std::chrono::milliseconds at) {
            auto id = timers.schedule_at(start + at, [&, tag, at] {
                if (!lt.loop->in_loop_thread() || Clock::now() < start + at) {
                    off_loop++;
                }
                std::lock_guard lock(m);
                order.push_back(tag);
                latch.hit();
            });
            REQUIRE(id.ok());
        };
        add(3, 30ms);
        add(1, 10ms);
        add(2, 20ms);
        add(4, 30ms); // same deadline as 3: fires after it
        REQUIRE(latch.wait_for_count(4));
        REQUIRE(drain(timers)); // the last callback has returned, so count() no longer includes it
        std::lock_guard lock(m);
        CHECK(order == std::vector<int>{1, 2, 3, 4});
        CHECK(off_loop.load() == 0); // every callback on the loop thread, none before its deadline
        CHECK(timers.count() == 0);
    }
}

TEST_CASE("TimerService a cancelled timer never fires and leaves nothing on the loop") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        core::TimerService timers(*lt.loop);
        std::atomic<int> fired{0};
        auto capture = std::make_shared<int>(0);
        auto id = timers.schedule_after(20ms, [&fired, capture] { fired++; });
        REQUIRE(id.ok());
        CHECK(timers.deadline(*id).has_value());
        CHECK(timers.cancel(*id));
        CHECK(capture.use_count() == 1); // the callback was destroyed by cancel()
        CHECK_FALSE(timers.cancel(*id));
        CHECK_FALSE(timers.deadline(*id).has_value());
        CHECK_FALSE(timers.cancel(0));
        // Cancelled at once after scheduling, before the loop even armed it: the loop is held busy until
        // cancel() has returned, so that order is certain (a free loop may fire a 0 ms timer first).
        Latch busy;
        Latch release;
        REQUIRE(lt.loop->post([&busy, &release] {
            busy.hit();
            release.wait_for_count(1);
        }));
        REQUIRE(busy.wait_for_count(1));
        auto early = timers.schedule_after(0ms, [&fired] { fired++; });
        REQUIRE(early.ok());
        CHECK(timers.cancel(*early));
        release.hit();
        std::this_thread::sleep_for(40ms);
        REQUIRE(drain(timers));
        CHECK(fired.load() == 0);
        CHECK(timers.count() == 0);
        lt.sync([&] { CHECK(lt.loop->timer_count() == 0); });
        // A fired one-shot timer is unknown to cancel().
        Latch latch;
        auto once = timers.schedule_after(1ms, [&latch] { latch.hit(); });
        REQUIRE(once.ok());
        REQUIRE(latch.wait_for_count(1));
        REQUIRE(drain(timers));
        CHECK_FALSE(timers.cancel(*once));
    }
}

TEST_CASE("TimerService cancel from inside the callback returns false at once and stops an interval") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        core::TimerService timers(*lt.loop);
        SUBCASE("one-shot") {
            Latch latch;
            std::atomic<core::TimerService::TimerId> self{0};
            std::atomic<int> result{-1};
            // The id is published before the loop can run the callback: the timer is 10 ms away.
            auto id = timers.schedule_after(10ms, [&] {
                result = timers.cancel(self.load()) ? 1 : 0;
                latch.hit();
            });
            REQUIRE(id.ok());
            self = *id;
            REQUIRE(latch.wait_for_count(1));
            CHECK(result.load() == 0);
        }
        SUBCASE("interval") {
            Latch latch;
            std::atomic<core::TimerService::TimerId> self{0};
            std::atomic<int> ticks{0};
            std::atomic<int> result{-1};
            auto id = timers.schedule_every(5ms, [&] {
                if (++ticks == 3) {
                    result = timers.cancel(self.load()) ? 1 : 0;
                    latch.hit();
                }
            });
            REQUIRE(id.ok());
            self = *id;
            REQUIRE(latch.wait_for_count(1));
            std::this_thread::sleep_for(30ms); // several periods: a fourth tick would have come
            REQUIRE(drain(timers));
            CHECK(result.load() == 0);
            CHECK(ticks.load() == 3);
            CHECK(timers.count() == 0);
        }
    }
}

TEST_CASE("TimerService cancel racing the fire: true means never ran, false means already finished") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        core::TimerService timers(*lt.loop);
        constexpr int k_rounds = 400;
        struct Round {
            std::atomic<int> started{0};
            std::atomic<int> finished{0};
        };
        std::vector<Round> rounds(k_rounds);
        int cancelled = 0;
        int finished_first = 0;
        for (int i = 0; i < k_rounds; ++i) {
            Round& r = rounds[static_cast<std::size_t>(i)];
            // Deadlines around "now" so that both outcomes happen; the callback takes a little while so
            // a cancel() can land in the middle of it.
            auto id = timers.schedule_after(std::chrono::microseconds(i % 7 * 50), [&r] {
                r.started++;
                std::this_thread::sleep_for(std::chrono::microseconds(100));
                r.finished++;
            });
            REQUIRE(id.ok());
            std::this_thread::sleep_for(std::chrono::microseconds(i % 5 * 60));
            if (timers.cancel(*id)) {
                ++cancelled;
            } else {
                // It ran, and cancel() returned only after the callback did.
                CHECK(r.started.load() == 1);
                CHECK(r.finished.load() == 1);
                ++finished_first;
            }
        }
        std::this_thread::sleep_for(5ms);
        REQUIRE(drain(timers));
        int ran_after_true = 0;
        int ran = 0;
        for (const Round& r : rounds) {
            ran += r.started.load();
        }
        ran_after_true = ran - finished_first;
        MESSAGE("cancel won " << cancelled << " times, the fire won " << finished_first << " times");
        CHECK(ran_after_true == 0);
        CHECK(cancelled + finished_first == k_rounds);
        CHECK(timers.count() == 0);
    }
}

TEST_CASE("TimerService cancel of an interval from another thread waits for the running tick") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        core::TimerService timers(*lt.loop);
        Latch entered;
        Latch release;
        std::atomic<int> ticks{0};
        std::atomic<bool> tick_done{false};
        // A long period: the second tick cannot come before the canceller below has called cancel().
        constexpr auto k_period = 300ms;
        auto id = timers.schedule_interval(Clock::now(), k_period, [&] {
            if (++ticks == 1) {
                entered.hit();
                release.wait_for_count(1); // deadline 5 s
                tick_done = true;
            }
        });
        REQUIRE(id.ok());
        REQUIRE(entered.wait_for_count(1));
        Latch cancelling;
        std::atomic<bool> returned{false};
        std::atomic<int> result{-1};
        std::atomic<bool> done_at_return{false};
        std::thread canceller([&] {
            cancelling.hit();
            result = timers.cancel(*id) ? 1 : 0;
            done_at_return = tick_done.load();
            returned = true;
        });
        REQUIRE(cancelling.wait_for_count(1));
        std::this_thread::sleep_for(30ms);
        CHECK_FALSE(returned.load()); // blocked on the running tick, whenever the thread got to cancel()
        release.hit();
        canceller.join();
        CHECK(result.load() == 0);
        CHECK(done_at_return.load());
        std::this_thread::sleep_for(k_period + 50ms); // a second tick would have come by now
        REQUIRE(drain(timers));
        CHECK(ticks.load() == 1);
        CHECK(timers.count() == 0);
    }
}

TEST_CASE("TimerService an interval stays on its grid and skips ticks missed while the loop was busy") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        core::TimerService timers(*lt.loop);
        constexpr auto k_period = 10ms;
        const Clock::time_point first = Clock::now() + k_period;
        std::vector<Clock::time_point> deadlines; // loop thread until the latch
        std::vector<Clock::time_point> fired_at;
        Clock::time_point stall_end;
        std::atomic<core::TimerService::TimerId> self{0};
        Latch latch;
        auto id = timers.schedule_interval(first, k_period, [&] {
            auto d = timers.deadline(self.load());
            CHECK(d.has_value()); // loop thread: CHECK, never REQUIRE (it would throw through the loop)
            deadlines.push_back(d.value_or(Clock::time_point{}));
            fired_at.push_back(Clock::now());
            if (deadlines.size() == 2) {
                std::this_thread::sleep_for(3 * k_period + 5ms); // the loop is busy over 3 grid points
                stall_end = Clock::now();
            }
            if (deadlines.size() == 6) {
                timers.cancel(self.load());
                latch.hit();
            }
        });
        REQUIRE(id.ok());
        self = *id;
        REQUIRE(latch.wait_for_count(1));
        lt.sync([] {});
        REQUIRE(deadlines.size() == 6);
        for (std::size_t i = 0; i < deadlines.size(); ++i) {
            CAPTURE(i);
            CHECK((deadlines[i] - first) % k_period == Clock::duration::zero()); // on the grid: no drift
            CHECK(fired_at[i] >= deadlines[i]);                                  // never early
            if (i > 0) {
                CHECK(deadlines[i] > deadlines[i - 1]);
            }
        }
        CHECK(deadlines[0] == first);
        // After the stall the next tick is the first grid point after it: the missed ones were skipped,
        // not run back to back.
        CHECK(deadlines[2] > stall_end);
        CHECK(deadlines[2] >= deadlines[1] + 4 * k_period);
    }
}

TEST_CASE("TimerService sleep futures complete, cancel with their token and fail when stopped") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        core::TimerService timers(*lt.loop);
        SUBCASE("sleep_for completes after its delay") {
            const Clock::time_point start = Clock::now();
            auto r = timers.sleep_for(5ms).wait_for(5s);
            REQUIRE(r.ok());
            CHECK(Clock::now() >= start + 5ms);
            auto past = timers.sleep_until(Clock::now() - 1s).wait_for(5s);
            CHECK(past.ok());
        }
        SUBCASE("cancelling the token fails the sleep and cancels its timer") {
            core::CancellationToken token;
            auto f = timers.sleep_for(60s, token);
            CHECK(timers.count() == 1);
            token.cancel();
            auto r = f.wait_for(5s);
            REQUIRE_FALSE(r.ok());
            CHECK(core::runtime_errc(r.error()) == core::RuntimeErrc::CancellationRequested);
            CHECK(timers.count() == 0);
            auto again = timers.sleep_for(1ms, token).wait_for(5s);
            REQUIRE_FALSE(again.ok());
            CHECK(core::runtime_errc(again.error()) == core::RuntimeErrc::CancellationRequested);
        }
        SUBCASE("stop fails pending sleeps and drops timers unrun") {
            auto f = timers.sleep_for(60s);
            std::atomic<int> fired{0};
            auto capture = std::make_shared<int>(0);
            REQUIRE(timers.schedule_after(1ms, [&fired, capture] { fired++; }).ok());
            REQUIRE(timers.schedule_every(1ms, [&fired, capture] { fired++; }).ok());
            std::this_thread::sleep_for(1ms);
            timers.stop();
            lt.sync([] {}); // a tick running during stop() has returned
            auto r = f.wait_for(5s);
            REQUIRE_FALSE(r.ok());
            CHECK(core::runtime_errc(r.error()) == core::RuntimeErrc::RuntimeShutdown);
            CHECK(timers.count() == 0);
            const int at_stop = fired.load();
            std::this_thread::sleep_for(20ms);
            lt.sync([] {});
            CHECK(fired.load() == at_stop); // nothing fires after stop()
            CHECK(capture.use_count() == 1);
            auto late = timers.schedule_after(1ms, [] {});
            REQUIRE_FALSE(late.ok());
            CHECK(core::runtime_errc(late.error()) == core::RuntimeErrc::RuntimeShutdown);
        }
    }
}

TEST_CASE("TimerService refuses a non-positive interval") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        core::TimerService timers(*lt.loop);
        auto r = timers.schedule_every(0ms, [] {});
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == util::ErrorKind::invalid_input);
    }
}

TEST_CASE("Runtime timers run on the loop thread, which only they create, and shutdown drops them") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        const std::size_t before = user_thread_count();
        core::Config config;
        config.execution_model = core::ExecutionModel::thread_pool;
        config.workers = 2;
        config.io_backend = backend;
        auto created = core::Runtime::create(config);
        REQUIRE(created.ok());
        core::Runtime& rt = **created;
        CHECK(user_thread_count() == before + 2); // no loop, no timer thread yet
        Latch latch;
        std::atomic<bool> on_loop{false};
        REQUIRE(rt.timers()
                    .schedule_after(1ms,
                                    [&] {
                                        auto loop = rt.loop();
                                        on_loop = loop.ok() && (*loop)->in_loop_thread();
                                        latch.hit();
                                    })
                    .ok());
        REQUIRE(latch.wait_for_count(1));
        CHECK(on_loop.load());
        CHECK(user_thread_count() == before + 3); // the loop thread, nothing else
        // Shutdown with work pending: the sleep fails, the timer never runs, nothing hangs.
        auto sleeping = rt.timers().sleep_for(60s);
        std::atomic<int> fired{0};
        REQUIRE(rt.timers().schedule_after(60s, [&fired] { fired++; }).ok());
        rt.shutdown();
        CHECK(test_support::settled_thread_count(before) == before);
        auto r = sleeping.wait_for(5s);
        REQUIRE_FALSE(r.ok());
        CHECK(fired.load() == 0);
        auto late = rt.timers().schedule_after(1ms, [] {});
        REQUIRE_FALSE(late.ok());
        CHECK(core::runtime_errc(late.error()) == core::RuntimeErrc::RuntimeShutdown);
    }
}

TEST_CASE("Runtime timers fail clearly when the loop cannot be created") {
    platform::IoUringProbe probe = platform::probe_io_uring();
    if (probe.usable) {
        MESSAGE("io_uring is usable here: the forced-io_uring failure is not reachable");
        return;
    }
    core::Config config;
    config.execution_model = core::ExecutionModel::blocking;
    config.io_backend = core::IoBackend::io_uring;
    auto rt = core::Runtime::create(config);
    REQUIRE(rt.ok());
    auto id = (*rt)->timers().schedule_after(1ms, [] {});
    REQUIRE_FALSE(id.ok());
    CHECK(core::runtime_errc(id.error()) == core::RuntimeErrc::IoUringNotAvailable);
    auto sleep = (*rt)->timers().sleep_for(1ms).wait_for(5s);
    REQUIRE_FALSE(sleep.ok());
    CHECK(core::runtime_errc(sleep.error()) == core::RuntimeErrc::IoUringNotAvailable);
}
