#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/errors.hpp"
#include "core/event_loop.hpp"
#include "core/runtime.hpp"
#include "core_loop_helpers.hpp"
#include "platform/io_uring_probe.hpp"
#include "thread_count.hpp"

using namespace zsyncctl;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using namespace test_support;

TEST_CASE("EventLoop create honours the requested backend") {
    auto epoll = core::EventLoop::create(core::IoBackend::epoll);
    REQUIRE(epoll.ok());
    CHECK((*epoll)->backend() == core::IoBackend::epoll);
    CHECK((*epoll)->fallback_reason().empty());

    platform::IoUringProbe probe = platform::probe_io_uring();
    auto automatic = core::EventLoop::create(core::IoBackend::automatic);
    REQUIRE(automatic.ok());
    auto forced = core::EventLoop::create(core::IoBackend::io_uring);
    if (probe.usable) {
        CHECK(probe.reason.empty());
        CHECK(probe.missing_opcodes.empty());
        CHECK((*automatic)->backend() == core::IoBackend::io_uring);
        REQUIRE(forced.ok());
        CHECK((*forced)->backend() == core::IoBackend::io_uring);
    } else {
        // Automatic falls back with the probe's reason; forcing fails with it.
        CHECK_FALSE(probe.reason.empty());
        CHECK((*automatic)->backend() == core::IoBackend::epoll);
        CHECK((*automatic)->fallback_reason().find(probe.reason) != std::string::npos);
        REQUIRE_FALSE(forced.ok());
        CHECK(core::runtime_errc(forced.error()) == core::RuntimeErrc::IoUringNotAvailable);
        CHECK(forced.error().message.find(probe.reason) != std::string::npos);
    }
}

TEST_CASE("EventLoop created to be described is the loop created to run, and runs on its own thread") {
    // doctor describes the loop with LoopUse::same_thread (a ring enabled at creation, so the probe runs on
    // it): the backend and the fallback reason must be what a loop made to run elsewhere gets.
    for (auto backend : {core::IoBackend::automatic, core::IoBackend::io_uring, core::IoBackend::epoll}) {
        CAPTURE(static_cast<int>(backend));
        auto real = core::EventLoop::create(backend);
        auto described = core::EventLoop::create(backend, core::LoopUse::same_thread);
        REQUIRE(real.ok() == described.ok());
        if (!real.ok()) {
            CHECK(real.error().message == described.error().message);
            continue;
        }
        CHECK((*real)->backend() == (*described)->backend());
        CHECK((*real)->fallback_reason() == (*described)->fallback_reason());
        // The described loop works on this thread: a posted task, a timer and a readable socket.
        core::EventLoop& loop = **described;
        int sv[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
        REQUIRE(::write(sv[1], "x", 1) == 1);
        int seen = 0;
        auto mark = [&seen, &loop](int bit) {
            seen |= bit;
            if (seen == 7) {
                loop.stop();
            }
        };
        REQUIRE(loop.post([&mark] { mark(1); }));
        loop.add_timer(Clock::now() + 1ms, [&mark] { mark(2); });
        core::EventLoop::WatchId watch = 0;
        auto watched = loop.watch_fd(sv[0], core::EventLoop::k_readable, [&](std::uint32_t) {
            char c = 0;
            CHECK(::read(sv[0], &c, 1) == 1);
            loop.unwatch_fd(watch);
            mark(4);
        });
        REQUIRE(watched.ok());
        watch = *watched;
        REQUIRE(loop.run().ok());
        CHECK(seen == 7);
        ::close(sv[0]);
        ::close(sv[1]);
    }
}

TEST_CASE("EventLoop for a few fds runs on another thread and loses no completion past its queue") {
    // A command's loop (LoopUse::few_fds): the same backend and fallback as a server's, its ring enabled at
    // creation and run by another thread. 600 watches ready at once complete more polls than its completion
    // queue holds (512 entries): the rest wait in the kernel's overflow list, and every callback still runs.
    for (auto backend : {core::IoBackend::automatic, core::IoBackend::io_uring, core::IoBackend::epoll}) {
        CAPTURE(static_cast<int>(backend));
        auto server = core::EventLoop::create(backend);
        auto command = core::EventLoop::create(backend, core::LoopUse::few_fds);
        REQUIRE(server.ok() == command.ok());
        if (!command.ok()) {
            CHECK(server.error().message == command.error().message);
            continue;
        }
        CHECK((*server)->backend() == (*command)->backend());
        CHECK((*server)->fallback_reason() == (*command)->fallback_reason());
        core::EventLoop& loop = **command;
        constexpr int k_fds = 600;
        std::vector<int> fds;
        for (int i = 0; i < k_fds; ++i) {
            int fd[2];
            REQUIRE(::pipe2(fd, O_CLOEXEC | O_NONBLOCK) == 0);
            REQUIRE(::write(fd[1], "x", 1) == 1);
            ::close(fd[1]); // readable, then at end of file
            fds.push_back(fd[0]);
        }
        // Each watch counts once and unwatches itself (a level-triggered watch at end of file would fire
        // again and again): all k_fds distinct watches must have fired.
        std::atomic<int> fired{0};
        std::vector<core::EventLoop::WatchId> ids(fds.size(), 0);
        std::vector<char> seen(fds.size(), 0);
        for (std::size_t i = 0; i < fds.size(); ++i) {
            auto watched = loop.watch_fd(fds[i], core::EventLoop::k_readable, [&, i](std::uint32_t) {
                if (seen[i] == 0) {
                    seen[i] = 1;
                    loop.unwatch_fd(ids[i]);
                    if (fired.fetch_add(1) + 1 == k_fds) {
                        loop.stop();
                    }
                }
            });
            REQUIRE(watched.ok());
            ids[i] = *watched;
        }
        std::thread runner([&loop] { CHECK(loop.run().ok()); });
        const auto deadline = Clock::now() + 20s;
        while (fired.load() < k_fds && Clock::now() < deadline) {
            std::this_thread::sleep_for(1ms);
        }
        loop.stop();
        runner.join();
        CHECK(fired.load() == k_fds);
        for (int fd : fds) {
            ::close(fd);
        }
    }
}

TEST_CASE("EventLoop errno_name names the errnos the probe reports") {
    CHECK(platform::errno_name(EPERM) == "EPERM");
    CHECK(platform::errno_name(ENOSYS) == "ENOSYS");
    CHECK(platform::errno_name(EOPNOTSUPP) == "EOPNOTSUPP");
    CHECK(platform::errno_name(12345) == "errno 12345");
}

TEST_CASE("EventLoop post from many threads wakes the loop and runs every task in order per thread") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        constexpr int k_threads = 4;
        constexpr int k_per_thread = 500;
        std::vector<std::vector<int>> seen(k_threads); // loop thread only
        Latch latch;
        std::vector<std::thread> posters;
        for (int t = 0; t < k_threads; ++t) {
            posters.emplace_back([&, t] {
                for (int i = 0; i < k_per_thread; ++i) {
                    REQUIRE(lt.loop->post([&, t, i] {
                        CHECK(lt.loop->in_loop_thread());
                        seen[t].push_back(i);
                        latch.hit();
                    }));
                }
            });
        }
        for (auto& p : posters) {
            p.join();
        }
        REQUIRE(latch.wait_for_count(k_threads * k_per_thread));
        lt.sync([&] {
            for (const auto& s : seen) {
                REQUIRE(s.size() == static_cast<std::size_t>(k_per_thread));
                for (int i = 0; i < k_per_thread; ++i) {
                    CHECK(s[i] == i);
                }
            }
        });
    }
}

TEST_CASE("EventLoop wakes up promptly for a post from another thread while idle") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        for (int round = 0; round < 20; ++round) {
            std::this_thread::sleep_for(2ms); // let the loop block in its wait
            Latch latch;
            REQUIRE(lt.loop->post([&] { latch.hit(); }));
            // No timer is armed, so only the eventfd wake-up can get the task run.
            REQUIRE(latch.wait_for_count(1, 5000ms));
        }
    }
}

TEST_CASE("EventLoop timers fire in deadline order and a cancelled timer never fires") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        std::vector<int> order; // loop thread only
        Latch latch;
        Clock::time_point start = Clock::now();
        std::vector<Clock::time_point> fired_at(6);
        lt.sync([&] {
            auto add = [&](int tag, std::chrono::milliseconds at) {
                return lt.loop->add_timer(start + at, [&, tag] {
                    order.push_back(tag);
                    fired_at[static_cast<std::size_t>(tag)] = Clock::now();
                    latch.hit();
                });
            };
            add(3, 60ms);
            add(1, 20ms);
            auto cancelled = add(5, 40ms);
            add(2, 40ms);
            add(4, 40ms); // same deadline as 2: fires after it
            auto late = add(0, 30ms);
            CHECK(lt.loop->cancel_timer(cancelled));
            CHECK_FALSE(lt.loop->cancel_timer(cancelled));
            CHECK(lt.loop->cancel_timer(late));
            CHECK(lt.loop->timer_count() == 4);
        });
        REQUIRE(latch.wait_for_count(4));
        std::this_thread::sleep_for(50ms); // a cancelled timer would have fired by now
        lt.sync([&] {
            CHECK(order == std::vector<int>{1, 2, 4, 3});
            CHECK(lt.loop->timer_count() == 0);
        });
        CHECK(fired_at[1] >= start + 20ms);
        CHECK(fired_at[3] >= start + 60ms);
    }
}

TEST_CASE("EventLoop a timer may cancel a later timer and add new ones from its callback") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        std::atomic<int> victim_fired{0};
        Latch latch;
        lt.sync([&] {
            auto now = Clock::now();
            auto victim = lt.loop->add_timer(now + 10ms, [&] { victim_fired++; });
            // Same pass, earlier in order: cancels the victim that is also due.
            lt.loop->add_timer(now + 5ms, [&, victim] {
                lt.loop->cancel_timer(victim);
                lt.loop->add_timer(Clock::now(), [&] { latch.hit(); });
            });
        });
        REQUIRE(latch.wait_for_count(1));
        std::this_thread::sleep_for(30ms);
        CHECK(victim_fired.load() == 0);
    }
}

TEST_CASE("EventLoop watch_fd reports readable and writable, modify and unwatch take effect") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        int sv[2];
        REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) == 0);
        std::string received; // loop thread only
        Latch readable;
        Latch writable;
        core::EventLoop::WatchId id = 0;
        lt.sync([&] {
            auto watched = lt.loop->watch_fd(sv[0], core::EventLoop::k_readable, [&](std::uint32_t revents) {
                CHECK((revents & core::EventLoop::k_readable) != 0);
                char buf[64];
                ssize_t n = ::read(sv[0], buf, sizeof buf);
                if (n > 0) {
                    received.append(buf, static_cast<std::size_t>(n));
                    readable.hit();
                }
            });
            REQUIRE(watched.ok());
            id = *watched;
        });
        REQUIRE(::write(sv[1], "hello", 5) == 5);
        REQUIRE(readable.wait_for_count(1));
        REQUIRE(::write(sv[1], " world", 6) == 6);
        REQUIRE(readable.wait_for_count(2));
        lt.sync([&] {
            CHECK(received == "hello world");
            CHECK(lt.loop->unwatch_fd(id));
            CHECK_FALSE(lt.loop->unwatch_fd(id));
            // Nothing to read on sv[1]: this watch stays quiet until modify_fd asks for writability.
            auto w = lt.loop->watch_fd(sv[1], core::EventLoop::k_readable, [&](std::uint32_t revents) {
                CHECK((revents & core::EventLoop::k_writable) != 0);
                writable.hit();
            });
            REQUIRE(w.ok());
            id = *w;
        });
        std::this_thread::sleep_for(20ms);
        lt.sync([&] {
            CHECK(writable.count == 0);
            CHECK(lt.loop->modify_fd(id, core::EventLoop::k_writable));
        });
        REQUIRE(writable.wait_for_count(3)); // level-triggered: repeats while writable
        lt.sync([&] { CHECK(lt.loop->unwatch_fd(id)); });
        // Nothing fires after unwatch: data written now is not read by anyone.
        int before = 0;
        lt.sync([&] { before = writable.count; });
        REQUIRE(::write(sv[0], "x", 1) == 1);
        std::this_thread::sleep_for(20ms);
        lt.sync([&] {
            CHECK(writable.count == before);
            CHECK(lt.loop->watch_count() == 0);
        });
        ::close(sv[0]);
        ::close(sv[1]);
    }
}

TEST_CASE("EventLoop a callback may drop and restore its own interest while other watches come and go") {
    // The io_uring backend keeps watches in reusable slots: here the callback's watch moves to another
    // watch's freed slot and a new watch takes its old one, and both must stay armed (level-triggered).
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        int a[2];
        int b[2];
        int c[2];
        REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, a) == 0);
        REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, b) == 0);
        REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, c) == 0);
        auto lt_owner = std::make_unique<LoopThread>(backend);
        LoopThread& lt = *lt_owner;
        Latch a_calls;
        Latch c_reads;
        core::EventLoop::WatchId wa = 0;
        core::EventLoop::WatchId wb = 0;
        std::string got; // loop thread only
        auto drain = [](int fd, std::string& into) {
            char buf[64];
            ssize_t n = 0;
            while ((n = ::read(fd, buf, sizeof buf)) > 0) {
                into.append(buf, static_cast<std::size_t>(n));
            }
        };
        lt.sync([&] {
            auto ib = lt.loop->watch_fd(b[0], core::EventLoop::k_readable, [](std::uint32_t) {});
            REQUIRE(ib.ok());
            wb = *ib;
            auto ia = lt.loop->watch_fd(a[0], core::EventLoop::k_readable, [&](std::uint32_t) {
                a_calls.hit();
                if (a_calls.count == 1) {
                    CHECK(lt.loop->modify_fd(wa, 0));
                    CHECK(lt.loop->unwatch_fd(wb));
                    CHECK(lt.loop->modify_fd(wa, core::EventLoop::k_readable));
                    auto ic = lt.loop->watch_fd(c[0], core::EventLoop::k_readable, [&](std::uint32_t) {
                        std::string cs;
                        drain(c[0], cs);
                        if (!cs.empty()) {
                            c_reads.hit();
                        }
                    });
                    CHECK(ic.ok());
                }
                if (a_calls.count >= 3) {
                    drain(a[0], got); // unread before: the watch had to fire again
                }
            });
            REQUIRE(ia.ok());
            wa = *ia;
        });
        REQUIRE(::write(a[1], "x", 1) == 1);
        REQUIRE(a_calls.wait_for_count(3));
        REQUIRE(::write(c[1], "y", 1) == 1);
        REQUIRE(c_reads.wait_for_count(1));
        int before = 0;
        lt.sync([&] {
            before = a_calls.count;
            CHECK(got == "x");
        });
        REQUIRE(::write(a[1], "z", 1) == 1);
        REQUIRE(a_calls.wait_for_count(before + 1));
        lt.sync([&] {
            CHECK(got == "xz");
            CHECK(lt.loop->watch_count() == 2);
        });
        lt_owner.reset(); // the loop stops before the fds close
        for (int fd : {a[0], a[1], b[0], b[1], c[0], c[1]}) {
            ::close(fd);
        }
    }
}

TEST_CASE("EventLoop reports hangup so a reader sees EOF, and a callback may unwatch itself") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        int p[2];
        REQUIRE(pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
        Latch eof;
        std::string got;
        core::EventLoop::WatchId self = 0;
        lt.sync([&] {
            auto w = lt.loop->watch_fd(p[0], core::EventLoop::k_readable, [&](std::uint32_t) {});
            REQUIRE(w.ok());
            CHECK(lt.loop->unwatch_fd(*w));
            auto w2 = lt.loop->watch_fd(p[0], core::EventLoop::k_readable, [&](std::uint32_t) {
                char buf[16];
                ssize_t n = ::read(p[0], buf, sizeof buf);
                if (n > 0) {
                    got.append(buf, static_cast<std::size_t>(n));
                } else if (n == 0) {
                    CHECK(lt.loop->unwatch_fd(self)); // destroys this callback once it returns
                    eof.hit();
                }
            });
            REQUIRE(w2.ok());
            self = *w2;
        });
        REQUIRE(::write(p[1], "abc", 3) == 3);
        ::close(p[1]);
        REQUIRE(eof.wait_for_count(1));
        std::this_thread::sleep_for(10ms);
        lt.sync([&] {
            CHECK(got == "abc");
            CHECK(eof.count == 1);
            CHECK(lt.loop->watch_count() == 0);
        });
        ::close(p[0]);
    }
}

TEST_CASE("EventLoop rejects bad watches and posts after close") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        auto created = core::EventLoop::create(backend);
        REQUIRE(created.ok());
        core::EventLoop& loop = **created;
        CHECK_FALSE(loop.watch_fd(-1, core::EventLoop::k_readable, [](std::uint32_t) {}).ok());
        CHECK_FALSE(loop.watch_fd(0, 0, [](std::uint32_t) {}).ok());
        CHECK_FALSE(loop.modify_fd(999, core::EventLoop::k_readable));
        CHECK_FALSE(loop.cancel_timer(999));
        // Timer before run(): run() fires it, and stop() from inside ends run().
        bool fired = false;
        loop.add_timer(Clock::now() + 1ms, [&] {
            fired = true;
            loop.stop();
        });
        REQUIRE(loop.run().ok());
        CHECK(fired);
        loop.close();
        auto token = std::make_shared<int>(1);
        CHECK_FALSE(loop.post([token] {}));
        CHECK(token.use_count() == 1); // the rejected task was destroyed
    }
}

TEST_CASE("Runtime loop runs on one thread that shutdown joins") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        std::size_t before = user_thread_count();
        core::Config config;
        config.execution_model = core::ExecutionModel::thread_pool;
        config.workers = 2;
        config.io_backend = backend;
        auto rt = core::Runtime::create(config);
        REQUIRE(rt.ok());
        auto loop = (*rt)->loop();
        REQUIRE(loop.ok());
        CHECK((*loop)->backend() == backend);
        auto again = (*rt)->loop();
        REQUIRE(again.ok());
        CHECK(*again == *loop);
        CHECK(user_thread_count() == before + 3);
        // A pool task hands work to the loop and waits for it.
        auto f = (*rt)->spawn([&]() -> int {
            core::Promise<int> p;
            auto got = p.future();
            (*loop)->post([p = std::move(p), l = *loop]() mutable { p.set(l->in_loop_thread() ? 7 : -1); });
            return *got.wait_for(5s);
        });
        auto r = f.wait_for(5s);
        REQUIRE(r.ok());
        CHECK(*r == 7);
        // Work still queued at shutdown is dropped, which fails its promise instead of hanging.
        core::Promise<int> pending;
        auto pending_future = pending.future();
        // Whether it runs first or shutdown drops it, `p` is destroyed unset: the future fails, never hangs.
        (*loop)->post([p = std::move(pending)]() mutable { (void)p; });
        (*rt)->shutdown();
        CHECK(test_support::settled_thread_count(before) == before);
        auto dropped = pending_future.wait_for(5s);
        CHECK_FALSE(dropped.ok());
        auto after = (*rt)->loop();
        REQUIRE_FALSE(after.ok());
        CHECK(core::runtime_errc(after.error()) == core::RuntimeErrc::RuntimeShutdown);
    }
}

TEST_CASE("Runtime loop forced to io_uring fails clearly where io_uring is unusable") {
    platform::IoUringProbe probe = platform::probe_io_uring();
    core::Config config;
    config.execution_model = core::ExecutionModel::blocking;
    config.io_backend = core::IoBackend::io_uring;
    auto rt = core::Runtime::create(config);
    REQUIRE(rt.ok());
    auto loop = (*rt)->loop();
    if (probe.usable) {
        REQUIRE(loop.ok());
        CHECK((*loop)->backend() == core::IoBackend::io_uring);
    } else {
        REQUIRE_FALSE(loop.ok());
        CHECK(core::runtime_errc(loop.error()) == core::RuntimeErrc::IoUringNotAvailable);
    }
}
