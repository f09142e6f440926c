#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
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

constexpr std::uint64_t k_wake_key = 0; // watch ids start at 1

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
    EpollLoop(int epfd, int wakefd) : m_epfd(epfd), m_wakefd(wakefd) {}
    ~EpollLoop() override {
        drop_everything();
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

    void backend_wake() override {
        std::uint64_t one = 1;
        [[maybe_unused]] ssize_t r = ::write(m_wakefd, &one, sizeof one);
    }

private:
    int m_epfd;
    int m_wakefd;
    bool m_have_pwait2 = true;
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
    return std::unique_ptr<EventLoop>(new EpollLoop(epfd, wakefd));
}

} // namespace detail

} // namespace zsyncctl::core
