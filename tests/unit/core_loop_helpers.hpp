#pragma once
// Shared by the loop and process tests: the backends to parametrise over, a loop on its own thread,
// and a deadline-bounded counter.

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/event_loop.hpp"
#include "platform/io_uring_probe.hpp"

namespace test_support {

using namespace zsyncctl;
using namespace std::chrono_literals;

/// The backends this machine can run; io_uring is listed only when the probe says it is usable (and a
/// message says why it is skipped otherwise).
inline std::vector<core::IoBackend> backends() {
    std::vector<core::IoBackend> out{core::IoBackend::epoll};
    platform::IoUringProbe probe = platform::probe_io_uring();
    if (probe.usable) {
        out.push_back(core::IoBackend::io_uring);
    } else {
        static bool said = false;
        if (!said) {
            MESSAGE("io_uring loop cases skipped: " << probe.reason);
            said = true;
        }
    }
    return out;
}

/// Runs a loop on its own thread for the duration of a test; stops and joins it at scope exit.
struct LoopThread {
    std::unique_ptr<core::EventLoop> loop;
    std::thread thread;
    explicit LoopThread(core::IoBackend backend) {
        auto created = core::EventLoop::create(backend);
        REQUIRE(created.ok());
        loop = std::move(*created);
        thread = std::thread([this] { REQUIRE(loop->run().ok()); });
    }
    ~LoopThread() {
        loop->close();
        thread.join();
    }
    /// Runs `f` on the loop thread and waits (deadline 5 s) for it to finish.
    template <typename F>
    void sync(F f) {
        std::mutex m;
        std::condition_variable cv;
        bool done = false;
        REQUIRE(loop->post([&] {
            f();
            std::lock_guard lock(m);
            done = true;
            cv.notify_all();
        }));
        std::unique_lock lock(m);
        REQUIRE(cv.wait_for(lock, 5s, [&] { return done; }));
    }
};

/// A flag with a deadline-bounded wait.
struct Latch {
    std::mutex m;
    std::condition_variable cv;
    int count = 0;
    void hit() {
        std::lock_guard lock(m);
        ++count;
        cv.notify_all();
    }
    bool wait_for_count(int n, std::chrono::milliseconds limit = 5000ms) {
        std::unique_lock lock(m);
        return cv.wait_for(lock, limit, [&] { return count >= n; });
    }
};

} // namespace test_support
