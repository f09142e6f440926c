// SearchRun driven from an event loop, as `zsyncctl serve` drives it: the waker posts to the loop, the
// loop polls (never blocking), on_settled says when the last process was reaped; the parent token given in
// the request cancels the run (the runtime's root token does not). Real processes from the production
// command backend; their pids must be gone when on_settled runs.
#include <doctest/doctest.h>

#include <sys/types.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/runtime.hpp"
#include "pkg/search/search.hpp"
#include "search_run_support.hpp"
#include "temp_dir.hpp"

using namespace zsyncctl;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

using test_support::command_backend;
using test_support::make_runtime;
using test_support::process_exists;
using test_support::read_pids;

// What the loop saw: the reports in the order it took them, and whether it ever polled off the loop.
struct Seen {
    std::vector<std::size_t> order;
    bool off_loop = false;
    bool settled = false;
    std::vector<pid_t> alive_at_settle; // pids of `watch` still there when on_settled ran
    std::vector<pid_t> watch;
};

// Hooks `run` to the runtime's loop like serve does and waits (bounded) until it settled.
void drive_on_loop(core::Runtime& rt, std::unique_ptr<pkg::SearchRun>& run, std::shared_ptr<Seen> seen,
                   std::function<void()> after_first = nullptr) {
    auto loop = rt.loop();
    REQUIRE(loop.ok());
    core::EventLoop* l = *loop;
    core::Promise<void> done;
    auto done_future = done.future();
    auto done_shared = std::make_shared<core::Promise<void>>(std::move(done));
    pkg::SearchRun* r = run.get();
    auto first = std::make_shared<std::function<void()>>(std::move(after_first));
    REQUIRE(l->post([l, r, seen, done_shared, first] {
        r->set_waker([l, r, seen, first] {
            (void)l->post([l, r, seen, first] {
                if (!l->in_loop_thread()) {
                    seen->off_loop = true;
                }
                while (auto index = r->poll()) {
                    seen->order.push_back(*index);
                    if (*first) {
                        auto f = std::move(*first);
                        *first = nullptr;
                        f();
                    }
                }
            });
        });
        r->on_settled([l, seen, done_shared] {
            for (pid_t p : seen->watch) {
                if (process_exists(p)) {
                    seen->alive_at_settle.push_back(p);
                }
            }
            (void)l->post([seen, done_shared] {
                seen->settled = true;
                done_shared->set(util::ok());
            });
        });
    }));
    REQUIRE(done_future.wait_for(20s).ok());
}

} // namespace

TEST_CASE("SearchRun on a loop: the waker and poll deliver every report, on_settled comes after the last "
          "process") {
    auto rt = make_runtime();
    test::TempDir dir("search-run-async");
    auto quick = dir.write("q/scripted", "#!/bin/sh\necho 'hello-1.0-r0 - quick'\n", 0755);
    auto slow = dir.write("s/scripted",
                          "#!/bin/sh\necho $$ >>\"$0.pids\"\nsleep 0.4\necho 'hello-2.0-r0 - slow'\n", 0755);
    std::vector<pkg::PlannedSearch> plan;
    plan.push_back({"slow", "", command_backend(*rt, slow, Clock::now() + 30s)});
    plan.push_back({"quick", "", command_backend(*rt, quick, Clock::now() + 30s)});
    pkg::SearchRequest request;
    request.query.text = "hello";
    request.timeout = 30s;
    auto run = pkg::SearchRun::run(std::move(plan), request, *rt);
    auto seen = std::make_shared<Seen>();
    drive_on_loop(*rt, run, seen);
    CHECK_FALSE(seen->off_loop);
    CHECK(seen->settled);
    CHECK(run->all_returned());
    CHECK(seen->order == std::vector<std::size_t>{1, 0}); // completion order: quick first
    REQUIRE(run->reports().size() == 2);
    for (const auto& r : run->reports()) {
        CHECK_MESSAGE(r.status == pkg::ManagerStatus::ok, r.manager << ": " << r.error);
        CHECK(r.hits.size() == 1);
    }
    CHECK_FALSE(run->poll().has_value());
    auto started = Clock::now();
    run.reset(); // settled: the destructor does not wait
    CHECK(Clock::now() - started < 100ms);
}

TEST_CASE("SearchRun's parent token cancels it, the root token does not; settled means reaped") {
    auto rt = make_runtime();
    test::TempDir dir("search-run-parent");
    auto script = dir.write(
        "bin/scripted", "#!/bin/sh\necho $$ >>\"$0.pids\"\nsleep 30 &\necho $! >>\"$0.pids\"\nwait\n", 0755);
    auto fast = dir.write("f/scripted", "#!/bin/sh\necho 'hello-1.0-r0 - fast'\n", 0755);
    core::CancellationToken parent;
    std::vector<pkg::PlannedSearch> plan;
    plan.push_back({"fast", "", command_backend(*rt, fast, Clock::now() + 60s)});
    plan.push_back({"hung", "", command_backend(*rt, script, Clock::now() + 60s)});
    pkg::SearchRequest request;
    request.query.text = "hello";
    request.timeout = 60s;
    request.parent = parent;
    auto run = pkg::SearchRun::run(std::move(plan), request, *rt);
    auto pids = read_pids(script.string() + ".pids", 2);
    REQUIRE(pids.size() == 2);
    auto seen = std::make_shared<Seen>();
    seen->watch = pids;
    auto started = Clock::now();
    // The first report (fast) cancels the parent from the loop, as a client leaving does.
    drive_on_loop(*rt, run, seen, [parent] { parent.cancel(); });
    CHECK(Clock::now() - started < 10s);
    CHECK(seen->alive_at_settle.empty());
    for (pid_t p : pids) {
        CHECK_MESSAGE(!process_exists(p), "pid " << p << " survived the parent's cancellation");
    }
    REQUIRE(run->all_returned());
    CHECK(run->reports()[0].status == pkg::ManagerStatus::ok);
    CHECK(run->reports()[1].status == pkg::ManagerStatus::cancelled);
    CHECK_FALSE(rt->token().is_cancelled());
}

TEST_CASE("SearchRun with a parent token outlives the runtime's root token being cancelled (a signal)") {
    auto rt = make_runtime();
    test::TempDir dir("search-run-root");
    auto script = dir.write("bin/scripted", "#!/bin/sh\nsleep 0.3\necho 'hello-1.0-r0 - late'\n", 0755);
    auto start = [&](std::optional<core::CancellationToken> parent) {
        std::vector<pkg::PlannedSearch> plan;
        plan.push_back({"late", "", command_backend(*rt, script, Clock::now() + 30s)});
        pkg::SearchRequest request;
        request.query.text = "hello";
        request.timeout = 30s;
        request.parent = std::move(parent);
        return pkg::SearchRun::run(std::move(plan), request, *rt);
    };
    auto own = start(core::CancellationToken());
    auto rooted = start(std::nullopt);
    core::CancellationToken root = rt->token();
    root.cancel(); // what the signal monitor does at SIGTERM
    for (auto* run : {own.get(), rooted.get()}) {
        for (auto limit = Clock::now() + 20s; !run->all_returned() && Clock::now() < limit;) {
            (void)run->next_finished(500ms);
        }
        REQUIRE(run->all_returned());
    }
    CHECK_MESSAGE(own->reports()[0].status == pkg::ManagerStatus::ok, own->reports()[0].error);
    CHECK(rooted->reports()[0].status == pkg::ManagerStatus::cancelled);
}
