#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "core/errors.hpp"
#include "core/event_loop.hpp"
#include "platform/io_uring_probe.hpp"

namespace zsyncctl::core {

namespace {

// user_data values: completions we ignore, the eventfd read, then one fresh token per armed operation
// (so a completion of a poll or timeout that was replaced is recognised as stale and dropped).
constexpr std::uint64_t k_ignore = 0;
constexpr std::uint64_t k_wake_read = 1;
constexpr std::uint64_t k_first_token = 16;

unsigned to_poll(std::uint32_t events) {
    unsigned out = 0;
    if ((events & EventLoop::k_readable) != 0) {
        out |= POLLIN | POLLRDHUP;
    }
    if ((events & EventLoop::k_writable) != 0) {
        out |= POLLOUT;
    }
    return out;
}

std::uint32_t from_poll(unsigned events) {
    std::uint32_t out = 0;
    if ((events & (POLLIN | POLLPRI)) != 0) {
        out |= EventLoop::k_readable;
    }
    if ((events & POLLOUT) != 0) {
        out |= EventLoop::k_writable;
    }
    if ((events & (POLLHUP | POLLRDHUP)) != 0) {
        out |= EventLoop::k_hangup | EventLoop::k_readable;
    }
    if ((events & (POLLERR | POLLNVAL)) != 0) {
        out |= EventLoop::k_error | EventLoop::k_readable;
    }
    return out;
}

/// io_uring for everything: one-shot POLL_ADD per watch, re-armed after each callback (which gives the
/// same level-triggered behaviour as the epoll backend), an absolute TIMEOUT for the next timer, and the
/// wake-up eventfd read by an IORING_OP_READ on the ring.
class UringLoop final : public EventLoop {
public:
    UringLoop() = default;
    ~UringLoop() override {
        drop_everything();
        if (m_ring_ready) {
            io_uring_queue_exit(&m_ring);
        }
        if (m_wakefd >= 0) {
            ::close(m_wakefd);
        }
    }

    util::Result<void> init() {
        int r = io_uring_queue_init(256, &m_ring, 0);
        if (r < 0) {
            return util::fail(runtime_error(RuntimeErrc::IoUringNotAvailable,
                                            "io_uring_queue_init failed: " + platform::errno_name(-r)));
        }
        m_ring_ready = true;
        m_wakefd = eventfd(0, EFD_CLOEXEC);
        if (m_wakefd < 0) {
            return util::fail(util::errno_error("eventfd", errno));
        }
        arm_wake_read();
        if (int s = io_uring_submit(&m_ring); s < 0) {
            return util::fail(
                runtime_error(RuntimeErrc::IoUringNotAvailable,
                              "submitting the wake-up read failed: " + platform::errno_name(-s)));
        }
        return util::ok();
    }

    IoBackend backend() const override { return IoBackend::io_uring; }

protected:
    util::Result<void> backend_add(WatchId id, int fd, std::uint32_t events) override {
        Info& info = m_info[id];
        info.fd = fd;
        info.events = events;
        arm_poll(id, info);
        return util::ok();
    }

    util::Result<void> backend_modify(WatchId id, int fd, std::uint32_t events) override {
        Info& info = m_info[id];
        info.fd = fd;
        info.events = events;
        if (info.token != 0) {
            cancel_poll(info.token);
            info.token = 0;
        }
        if (!m_dispatching || m_dispatching_id != id) {
            arm_poll(id, info); // the callback of `id` re-arms itself when it returns
        }
        return util::ok();
    }

    void backend_remove(WatchId id, int /*fd*/) override {
        auto it = m_info.find(id);
        if (it == m_info.end()) {
            return;
        }
        if (it->second.token != 0) {
            cancel_poll(it->second.token);
        }
        m_info.erase(it);
    }

    util::Result<void> backend_wait(const Clock::time_point* deadline) override {
        bool block = true;
        if (deadline != nullptr) {
            if (*deadline <= Clock::now()) {
                block = false;
            } else if (!m_timeout_armed || m_timeout_deadline != *deadline) {
                arm_timeout(*deadline);
            }
        }
        int r = block ? io_uring_submit_and_wait(&m_ring, 1) : io_uring_submit(&m_ring);
        if (r < 0 && r != -EINTR && r != -ETIME && r != -EBUSY) {
            return util::fail(util::errno_error("io_uring_enter", -r));
        }
        // Copy the completions out first: callbacks queue new SQEs and may need CQ space.
        m_completions.clear();
        io_uring_cqe* cqe = nullptr;
        unsigned head = 0;
        unsigned count = 0;
        io_uring_for_each_cqe(&m_ring, head, cqe) {
            m_completions.emplace_back(cqe->user_data, cqe->res);
            ++count;
        }
        io_uring_cq_advance(&m_ring, count);
        for (auto [token, res] : m_completions) {
            handle(token, res);
        }
        return util::ok();
    }

    void backend_wake() override {
        std::uint64_t one = 1;
        [[maybe_unused]] ssize_t r = ::write(m_wakefd, &one, sizeof one);
    }

private:
    struct Info {
        int fd = -1;
        std::uint32_t events = 0;
        std::uint64_t token = 0; // the armed POLL_ADD, 0 when none
    };

    io_uring_sqe* sqe() {
        io_uring_sqe* s = io_uring_get_sqe(&m_ring);
        while (s == nullptr) {
            io_uring_submit(&m_ring); // the SQ is full: hand it to the kernel and retry
            s = io_uring_get_sqe(&m_ring);
        }
        return s;
    }

    void arm_poll(WatchId id, Info& info) {
        std::uint64_t token = m_next_token++;
        io_uring_sqe* s = sqe();
        io_uring_prep_poll_add(s, info.fd, to_poll(info.events));
        io_uring_sqe_set_data64(s, token);
        info.token = token;
        m_polls.emplace(token, id);
    }

    void cancel_poll(std::uint64_t token) {
        m_polls.erase(token);
        io_uring_sqe* s = sqe();
        io_uring_prep_poll_remove(s, token);
        io_uring_sqe_set_data64(s, k_ignore);
    }

    void arm_wake_read() {
        io_uring_sqe* s = sqe();
        io_uring_prep_read(s, m_wakefd, &m_wake_value, sizeof m_wake_value, 0);
        io_uring_sqe_set_data64(s, k_wake_read);
    }

    void arm_timeout(Clock::time_point deadline) {
        if (m_timeout_armed) {
            io_uring_sqe* s = sqe();
            io_uring_prep_timeout_remove(s, m_timeout_token, 0);
            io_uring_sqe_set_data64(s, k_ignore);
        }
        // steady_clock is CLOCK_MONOTONIC, the clock of an absolute io_uring timeout.
        auto since =
            std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
        m_timeout_ts.tv_sec = since / 1000000000;
        m_timeout_ts.tv_nsec = since % 1000000000;
        m_timeout_token = m_next_token++;
        io_uring_sqe* s = sqe();
        io_uring_prep_timeout(s, &m_timeout_ts, 0, IORING_TIMEOUT_ABS);
        io_uring_sqe_set_data64(s, m_timeout_token);
        m_timeout_armed = true;
        m_timeout_deadline = deadline;
    }

    void handle(std::uint64_t token, int res) {
        if (token == k_ignore) {
            return;
        }
        if (token == k_wake_read) {
            clear_wake_pending();
            arm_wake_read();
            return;
        }
        if (token == m_timeout_token) {
            m_timeout_armed = false;
            return;
        }
        auto it = m_polls.find(token);
        if (it == m_polls.end()) {
            return; // a poll that was cancelled or replaced
        }
        WatchId id = it->second;
        m_polls.erase(it);
        auto info = m_info.find(id);
        if (info == m_info.end()) {
            return;
        }
        info->second.token = 0;
        std::uint32_t revents = res >= 0 ? from_poll(static_cast<unsigned>(res)) : k_error | k_readable;
        m_dispatching = true;
        m_dispatching_id = id;
        dispatch_fd(id, revents);
        m_dispatching = false;
        // Re-arm unless the callback removed the watch or modify_fd already re-armed it; a poll that
        // failed (closed fd) is not re-armed, so it cannot spin.
        info = m_info.find(id);
        if (res >= 0 && info != m_info.end() && info->second.token == 0 && info->second.events != 0) {
            arm_poll(id, info->second);
        }
    }

    io_uring m_ring{};
    bool m_ring_ready = false;
    int m_wakefd = -1;
    std::uint64_t m_wake_value = 0;
    std::uint64_t m_next_token = k_first_token;
    std::unordered_map<WatchId, Info> m_info;
    std::unordered_map<std::uint64_t, WatchId> m_polls;
    std::vector<std::pair<std::uint64_t, int>> m_completions;
    __kernel_timespec m_timeout_ts{};
    std::uint64_t m_timeout_token = 0;
    bool m_timeout_armed = false;
    Clock::time_point m_timeout_deadline;
    bool m_dispatching = false;
    WatchId m_dispatching_id = 0;
};

} // namespace

namespace detail {

util::Result<std::unique_ptr<EventLoop>> make_uring_loop() {
    const platform::IoUringProbe& probe = platform::probe_io_uring_once();
    if (!probe.usable) {
        return util::fail(runtime_error(RuntimeErrc::IoUringNotAvailable, probe.reason));
    }
    auto loop = std::make_unique<UringLoop>();
    if (auto ready = loop->init(); !ready) {
        return util::fail(std::move(ready).error());
    }
    return std::unique_ptr<EventLoop>(std::move(loop));
}

} // namespace detail

} // namespace zsyncctl::core
