#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <ctime>

#include "core/errors.hpp"
#include "core/event_loop.hpp"

namespace zsyncctl::core {

namespace {

constexpr std::uint64_t k_wake_key = 0;                  // watch ids start at 1
constexpr std::uint64_t k_timer_key = ~std::uint64_t{0}; // the deadline timerfd; ids never get there

std::uint32_t to_epoll(std::uint32_t events) {
    std::uint32_t out = 0;
    if ((events & EventLoop::k_readable) != 0) {
        out |= EPOLLIN | EPOLLRDHUP;
    }
    if ((events & EventLoop::k_writable) != 0) {
        out |= EPOLLOUT;
    }
    return out;
}

std::uint32_t from_epoll(std::uint32_t events) {
    std::uint32_t out = 0;
    if ((events & (EPOLLIN | EPOLLPRI)) != 0) {
        out |= EventLoop::k_readable;
    }
    if ((events & EPOLLOUT) != 0) {
        out |= EventLoop::k_writable;
    }
    if ((events & (EPOLLHUP | EPOLLRDHUP)) != 0) {
        out |= EventLoop::k_hangup | EventLoop::k_readable;
    }
    if ((events & EPOLLERR) != 0) {
        out |= EventLoop::k_error | EventLoop::k_readable;
    }
    return out;
}

util::Error resource_error(std::string_view what, int err) {
    if (err == EMFILE || err == ENFILE || err == ENOMEM) {
        return runtime_error(RuntimeErrc::SystemResourceExhausted,
                             std::string(what) + ": " + std::strerror(err));
    }
    return util::errno_error(what, err);
}

/// Level-triggered epoll plus an eventfd for wake-ups.
class EpollLoop final : public EventLoop {
public:
    EpollLoop(int epfd, int wakefd, int timerfd) : m_epfd(epfd), m_wakefd(wakefd), m_timerfd(timerfd) {}
    ~EpollLoop() override {
        drop_everything();
        if (m_timerfd >= 0) {
            ::close(m_timerfd);
        }
        ::close(m_wakefd);
        ::close(m_epfd);
    }

    IoBackend backend() const override { return IoBackend::epoll; }

protected:
    util::Result<void> backend_add(WatchId id, int fd, std::uint32_t events) override {
        epoll_event ev{};
        ev.events = to_epoll(events);
        ev.data.u64 = id;
        if (epoll_ctl(m_epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            int err = errno;
            if (err == EPERM) {
                return util::fail(util::ErrorKind::invalid_input,
                                  "fd " + std::to_string(fd) +
                                      " cannot be watched by epoll (a regular file?)");
            }
            return util::fail(resource_error("epoll_ctl(ADD)", err));
        }
        return util::ok();
    }

    util::Result<void> backend_modify(WatchId id, int fd, std::uint32_t events) override {
        epoll_event ev{};
        ev.events = to_epoll(events);
        ev.data.u64 = id;
        if (epoll_ctl(m_epfd, EPOLL_CTL_MOD, fd, &ev) != 0) {
            return util::fail(resource_error("epoll_ctl(MOD)", errno));
        }
        return util::ok();
    }

    void backend_remove(WatchId /*id*/, int fd) override {
        // ENOENT/EBADF: the fd was already closed, which removed it from the set.
        epoll_ctl(m_epfd, EPOLL_CTL_DEL, fd, nullptr);
    }

    util::Result<void> backend_wait(const Clock::time_point* deadline) override {
        set_timer_slack();
        std::array<epoll_event, 64> events{};
        int n = wait_for_events(events, deadline);
        if (n < 0) {
            if (errno == EINTR) {
                return util::ok();
            }
            return util::fail(util::errno_error("epoll_wait", errno));
        }
        for (int i = 0; i < n; ++i) {
            if (events[i].data.u64 == k_wake_key) {
                std::uint64_t value = 0;
                [[maybe_unused]] ssize_t r = ::read(m_wakefd, &value, sizeof value);
                clear_wake_pending();
                continue;
            }
            if (events[i].data.u64 == k_timer_key) {
                std::uint64_t expirations = 0;
                [[maybe_unused]] ssize_t r = ::read(m_timerfd, &expirations, sizeof expirations);
                m_armed = Clock::time_point{};
                continue;
            }
            dispatch_fd(events[i].data.u64, from_epoll(events[i].events));
        }
        return util::ok();
    }

    // epoll_pwait2's timeout is stretched by the thread's timer slack (50 us by default), which made epoll
    // timers fire 45-50 us late against io_uring's; 1 ns on the loop thread brings them level
    // (bench/bench_loop). The slack is per thread, so it is set once on each thread that waits here.
    static void set_timer_slack() {
        thread_local bool done = false;
        if (!done) {
            done = true;
            ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
        }
    }

    // epoll_pwait2 (Linux 5.11) takes the timeout in nanoseconds; epoll_wait takes whole milliseconds, which
    // makes a timer up to 1 ms late (bench/bench_loop shows it). Where the kernel or a seccomp filter lacks
    // epoll_pwait2 (ENOSYS, EPERM), the loop uses epoll_wait from then on.
    int wait_for_events(std::array<epoll_event, 64>& events, const Clock::time_point* deadline) {
        const auto now = Clock::now();
        const bool past = deadline != nullptr && *deadline <= now;
        // A relative epoll timeout gets the kernel's select-style slack (0.1 % of the timeout, 0.2 % when
        // niced) on top of the thread's: 10 ms timers fired 1.6-2.1x later than io_uring's. A timerfd armed
        // at the absolute deadline has none, so the wait itself is unbounded.
        if (deadline != nullptr && !past && arm_timerfd(*deadline)) {
            return ::epoll_wait(m_epfd, events.data(), static_cast<int>(events.size()), -1);
        }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
        if (m_have_pwait2) {
            timespec timeout{};
            if (deadline != nullptr && !past) {
                auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(*deadline - now).count();
                timeout.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
                timeout.tv_nsec = static_cast<long>(ns % 1'000'000'000);
            }
            int n = ::epoll_pwait2(m_epfd, events.data(), static_cast<int>(events.size()),
                                   deadline != nullptr ? &timeout : nullptr, nullptr);
            if (n >= 0 || (errno != ENOSYS && errno != EPERM)) {
                return n;
            }
            m_have_pwait2 = false;
        }
#endif
        int timeout_ms = -1;
        if (deadline != nullptr) {
            if (past) {
                timeout_ms = 0;
            } else {
                // Round up so a timer is never woken for early and spun on.
                auto us = std::chrono::duration_cast<std::chrono::microseconds>(*deadline - now).count();
                long long ms = (us + 999) / 1000;
                timeout_ms = ms > INT_MAX ? INT_MAX : static_cast<int>(ms);
            }
        }
        return ::epoll_wait(m_epfd, events.data(), static_cast<int>(events.size()), timeout_ms);
    }

    // Arms the loop's timerfd to fire at `deadline` on CLOCK_MONOTONIC, which is steady_clock's. False when
    // the loop has no timerfd; the caller then waits with a relative timeout.
    bool arm_timerfd(Clock::time_point deadline) {
        if (m_timerfd < 0) {
            return false;
        }
        if (deadline == m_armed) {
            return true; // still armed (a fired timer is read, which clears m_armed)
        }
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
        itimerspec spec{};
        spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
        spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
        if (::timerfd_settime(m_timerfd, TFD_TIMER_ABSTIME, &spec, nullptr) != 0) {
            return false;
        }
        m_armed = deadline;
        return true;
    }

    void backend_wake() override {
        std::uint64_t one = 1;
        [[maybe_unused]] ssize_t r = ::write(m_wakefd, &one, sizeof one);
    }

private:
    int m_epfd;
    int m_wakefd;
    bool m_have_pwait2 = true;
    int m_timerfd;               // -1: none could be made, deadlines are relative timeouts
    Clock::time_point m_armed{}; // the deadline m_timerfd is armed for; epoch when disarmed or fired
};

} // namespace

namespace detail {

util::Result<std::unique_ptr<EventLoop>> make_epoll_loop() {
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) {
        return util::fail(resource_error("epoll_create1", errno));
    }
    int wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wakefd < 0) {
        int err = errno;
        ::close(epfd);
        return util::fail(resource_error("eventfd", err));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = k_wake_key;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, wakefd, &ev) != 0) {
        int err = errno;
        ::close(wakefd);
        ::close(epfd);
        return util::fail(resource_error("epoll_ctl(eventfd)", err));
    }
    // Made with the loop, not on its first timer: the loop's descriptors stay the same for its life.
    int timerfd = ::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    ev.data.u64 = k_timer_key;
    if (timerfd >= 0 && epoll_ctl(epfd, EPOLL_CTL_ADD, timerfd, &ev) != 0) {
        ::close(timerfd);
        timerfd = -1;
    }
    return std::unique_ptr<EventLoop>(new EpollLoop(epfd, wakefd, timerfd));
}

} // namespace detail

} // namespace zsyncctl::core
