// The loop's thread contract under the io_uring backend's single-issuer ring (SINGLE_ISSUER +
// DEFER_TASKRUN where the kernel has them): a loop is made and filled on one thread and run on another,
// more registrations than the submission queue holds may come before run(), and the loop is torn down on
// a thread that never ran it. Each case runs on both backends; before the ring was enabled on the thread
// inside run(), the registrations past a full queue made the creating thread spin for ever (EBADFD).
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <thread>
#include <vector>

#include "core/event_loop.hpp"
#include "core_loop_helpers.hpp"

using namespace zsyncctl;
using namespace std::chrono_literals;
using namespace test_support;

namespace {

/// Socket pairs with one byte waiting on each first end; closed at scope exit.
struct Pairs {
    std::vector<std::array<int, 2>> fds;
    explicit Pairs(int n) {
        for (int i = 0; i < n; ++i) {
            std::array<int, 2> p{};
            REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, p.data()) == 0);
            REQUIRE(::write(p[1], "x", 1) == 1);
            fds.push_back(p);
        }
    }
    ~Pairs() {
        for (auto& p : fds) {
            ::close(p[0]);
            ::close(p[1]);
        }
    }
};

} // namespace

TEST_CASE("EventLoop made and filled on one thread runs on another, past a full submission queue") {
    // 400 watches and 400 receives before run(): more than the io_uring backend's 256-entry queue.
    constexpr int k_fds = 400;
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        auto created = core::EventLoop::create(backend);
        REQUIRE(created.ok());
        core::EventLoop& loop = **created;
        Pairs watched(k_fds);
        Pairs received(k_fds);
        std::atomic<int> ready{0};
        std::atomic<int> bytes{0};
        std::vector<core::EventLoop::WatchId> ids;
        for (auto& p : watched.fds) {
            int fd = p[0];
            auto id = loop.watch_fd(fd, core::EventLoop::k_readable,
                                    [&loop, &ready, &ids, fd, &watched](std::uint32_t) {
                                        char c = 0;
                                        CHECK(::read(fd, &c, 1) == 1);
                                        // Each watch fires once: unwatched from its own callback.
                                        for (std::size_t i = 0; i < watched.fds.size(); ++i) {
                                            if (watched.fds[i][0] == fd) {
                                                loop.unwatch_fd(ids[i]);
                                            }
                                        }
                                        ready.fetch_add(1);
                                    });
            REQUIRE(id.ok());
            ids.push_back(*id);
        }
        for (auto& p : received.fds) {
            loop.recv_async(p[0], [&bytes](std::string_view data, int error) {
                CHECK(error == 0);
                bytes.fetch_add(static_cast<int>(data.size()));
            });
        }
        std::thread runner([&loop] { CHECK(loop.run().ok()); });
        for (int i = 0; i < 500 && (ready.load() < k_fds || bytes.load() < k_fds); ++i) {
            std::this_thread::sleep_for(10ms);
        }
        CHECK(ready.load() == k_fds);
        CHECK(bytes.load() == k_fds);
        // Still served after the start: a new watch posted to the loop thread fires too.
        std::atomic<bool> late{false};
        int late_fd = received.fds[0][1];
        REQUIRE(::write(received.fds[0][0], "y", 1) == 1);
        REQUIRE(loop.post([&loop, &late, late_fd] {
            (void)loop.watch_fd(late_fd, core::EventLoop::k_readable,
                                [&late](std::uint32_t) { late = true; });
        }));
        for (int i = 0; i < 500 && !late.load(); ++i) {
            std::this_thread::sleep_for(10ms);
        }
        CHECK(late.load());
        loop.stop();
        runner.join();
        // Torn down here, on a thread that never ran it, with a receive per socket pair still open and a
        // watch left: their cancels cannot be submitted from this thread and must not block.
        for (auto& p : received.fds) {
            loop.recv_async(p[0], [](std::string_view, int) {});
        }
        created->reset();
    }
}
