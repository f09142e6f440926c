#pragma once

// The io_uring backend of the EventLoop, shared by event_loop_uring.cpp (the ring, watches, timers) and
// event_loop_uring_io.cpp (the completion-based socket I/O). Only those two files include it.

#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <unordered_map>
#include <vector>

#include "core/errors.hpp"
#include "core/event_loop.hpp"
#include "platform/io_uring_probe.hpp"

namespace zsyncctl::core::uring {

// user_data values: completions we ignore, the eventfd read, then one fresh token per armed timeout; a
// poll's user_data has k_poll_bit set, its watch's slot in the low 32 bits and the slot's arm count in
// the 31 bits above (so a completion of a poll or timeout that was replaced is recognised as stale and
// dropped, without a map lookup).
inline constexpr std::uint64_t k_ignore = 0;
inline constexpr std::uint64_t k_wake_read = 1;
inline constexpr std::uint64_t k_first_token = 16;
inline constexpr std::uint64_t k_poll_bit = 1ULL << 63;
inline constexpr unsigned k_sq_entries = 256; // more are submitted in batches of this size (see sqe())
inline constexpr unsigned k_cq_entries = 8192;
// A socket operation's user_data: k_io_bit (EventLoop::k_native_io), its slot in the low 32 bits and the
// slot's generation in the 30 bits above.
inline constexpr std::uint64_t k_io_bit = 1ULL << 62;
// The provided-buffer ring that receives land in: one group, k_buffers of k_buffer_size bytes. A receive
// that finds it empty (ENOBUFS: more receives completed in one wait than there are buffers) is submitted
// again once the batch has given its buffers back.
inline constexpr unsigned k_buffers = 1024;
inline constexpr unsigned k_buffer_size = 4096;
inline constexpr int k_buffer_group = 0;

/// Unmaps the receive buffers (see UringLoop::setup_buffer_ring).
struct Unmap {
    std::size_t bytes = 0;
    void operator()(char* p) const { ::munmap(p, bytes); }
};

inline unsigned to_poll(std::uint32_t events) {
    unsigned out = 0;
    if ((events & EventLoop::k_readable) != 0) {
        out |= POLLIN | POLLRDHUP;
    }
    if ((events & EventLoop::k_writable) != 0) {
        out |= POLLOUT;
    }
    return out;
}

inline std::uint32_t from_poll(unsigned events) {
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
        for (UOp& op : m_ops) { // their buffers stay until the ring is gone
            op.recv = nullptr;
            op.sent = nullptr;
        }
        if (m_ring_ready) {
            io_uring_queue_exit(&m_ring);
        }
        if (m_buffer_ring != nullptr) {
            ::munmap(m_buffer_ring, m_buffer_ring_bytes);
        }
        if (m_wakefd >= 0) {
            ::close(m_wakefd);
        }
    }

    util::Result<void> init(LoopUse use) {
        // Completions are handled only by this loop's own io_uring_enter. Preferred (6.1+): the ring has one
        // issuer, the loop thread, and the kernel queues completion work on the ring itself, run only when
        // that thread waits (SINGLE_ISSUER + DEFER_TASKRUN): no task-work notification of the thread per
        // completion, and a whole batch handled in one pass. The issuer is the thread that enables the ring:
        // a loop created on one thread to run on another (LoopUse::other_thread) starts disabled and the
        // first backend_wait (on the thread inside run()) enables it; a same_thread loop is enabled at
        // creation by its creator, its issuer. Else (5.19+) COOP_TASKRUN: the kernel need not
        // interrupt the thread to run task work (TASKRUN_FLAG tells liburing to enter when it is pending).
        // The completion queue holds a poll per watched fd of a server with thousands of connections
        // without overflowing into the kernel's slow list (CQSIZE). Older kernels reject the flags: plain
        // setup there.
        // A few_fds loop (a command's) skips the first choice: its ring is shared by the creating thread
        // (the probe) and the loop thread, and its completion queue is the kernel's default.
        const bool few = use == LoopUse::few_fds;
        const unsigned common =
            IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL | (few ? 0U : IORING_SETUP_CQSIZE);
        io_uring_params params{};
        int r = -EINVAL;
        if (!few) {
            params.flags = common | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
                           (use == LoopUse::other_thread ? IORING_SETUP_R_DISABLED : 0U);
            params.cq_entries = k_cq_entries;
            r = io_uring_queue_init_params(k_sq_entries, &m_ring, &params);
        }
        if (r == -EINVAL) {
            params = io_uring_params{};
            params.flags = common | IORING_SETUP_COOP_TASKRUN;
            params.cq_entries = few ? 0U : k_cq_entries;
            r = io_uring_queue_init_params(k_sq_entries, &m_ring, &params);
        }
        if (r == -EINVAL) {
            r = io_uring_queue_init(k_sq_entries, &m_ring, 0);
        }
        if (r < 0) {
            // The process's probe (a small ring of its own) says why io_uring is unusable, when it is.
            const platform::IoUringProbe& probe = platform::probe_io_uring_once();
            return util::fail(runtime_error(
                RuntimeErrc::IoUringNotAvailable,
                !probe.usable ? probe.reason : "io_uring_queue_init failed: " + platform::errno_name(-r)));
        }
        m_ring_ready = true;
        m_disabled = (m_ring.flags & IORING_SETUP_R_DISABLED) != 0;
        // The opcodes and a NOP round trip: on this ring while it is live (one ring set up, not two:
        // doctor spent ~8 % of its time on the second ring's setup, perf), else on the process's own small
        // probe ring, since a disabled ring takes no submission until the first wait enables it.
        const platform::IoUringProbe& probe =
            m_disabled ? platform::probe_io_uring_once() : platform::probe_io_uring_once_on(m_ring);
        if (!probe.usable) {
            return util::fail(runtime_error(RuntimeErrc::IoUringNotAvailable, probe.reason));
        }
        // The receive buffers (a registered ring of 1024) are set up by the first receive, on the loop
        // thread: most commands never receive, and the registration, its two mappings and their unmapping
        // at exit were ~0.2 ms of every one.
        m_wakefd = eventfd(0, EFD_CLOEXEC);
        if (m_wakefd < 0) {
            return util::fail(util::errno_error("eventfd", errno));
        }
        arm_wake_read();
        if (m_disabled) {
            return util::ok(); // submitted by the first backend_wait, which enables the ring
        }
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
        // A new id, or one whose interest came back from none (backend_remove freed its slot).
        std::uint32_t slot = slot_of(id);
        Info& info = m_slots[slot];
        info.fd = fd;
        info.events = events;
        arm_poll(slot, info);
        return util::ok();
    }

    util::Result<void> backend_modify(WatchId id, int fd, std::uint32_t events) override {
        std::uint32_t slot = slot_of(id);
        Info& info = m_slots[slot];
        info.fd = fd;
        info.events = events;
        if (info.token != 0) {
            cancel_poll(info);
        }
        if (!m_dispatching || m_dispatching_id != id) {
            arm_poll(slot, info); // the callback of `id` re-arms itself when it returns
        }
        return util::ok();
    }

    void backend_remove(WatchId id, int /*fd*/) override {
        auto it = m_slot_of.find(id);
        if (it == m_slot_of.end()) {
            return;
        }
        Info& info = m_slots[it->second];
        if (info.token != 0) {
            cancel_poll(info);
        }
        info.id = 0;
        info.fd = -1;
        info.events = 0;
        m_free.push_back(it->second);
        m_slot_of.erase(it);
    }

    util::Result<void> backend_wait(const Clock::time_point* deadline) override {
        if (m_disabled) {
            // The first wait: this thread (inside run()) becomes the ring's only issuer; a later run() on
            // another thread fails (EEXIST).
            if (int e = io_uring_enable_rings(&m_ring); e < 0) {
                return util::fail(util::errno_error("io_uring_register(ENABLE_RINGS)", -e));
            }
            m_disabled = false;
        }
        move_parked();
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
            m_completions.push_back(Completion{cqe->user_data, cqe->res, cqe->flags});
            ++count;
        }
        io_uring_cq_advance(&m_ring, count);
        for (const Completion& c : m_completions) {
            if ((c.token & (k_poll_bit | k_io_bit)) == k_io_bit) {
                handle_io(c.token, c.res, c.flags);
            } else {
                handle(c.token, c.res);
            }
        }
        retry_receives();
        return util::ok();
    }

    void backend_wake() override {
        std::uint64_t one = 1;
        [[maybe_unused]] ssize_t r = ::write(m_wakefd, &one, sizeof one);
    }

    IoId backend_recv(int fd, RecvCallback& done) override;
    IoId backend_send(int fd, std::string& data, SendCallback& done) override;
    bool backend_cancel_io(IoId id) override;
    void backend_close_io(int fd) override;
    std::size_t backend_io_count() const override;

private:
    struct Completion {
        std::uint64_t token;
        int res;
        std::uint32_t flags;
    };
    /// A socket operation in flight; a free slot has token 0.
    /// A socket operation in flight; a free slot has user_data 0. A receive is multishot: its slot stays
    /// armed in the kernel across receives, and what arrives while nobody waits is kept in `stash`.
    struct UOp {
        IoId token = 0;              // the id the caller holds (a receive's changes per recv_async)
        std::uint64_t user_data = 0; // what the kernel's completions carry; 0: a free slot
        std::uint32_t generation = 0;
        int fd = -1;
        bool send = false;
        bool cancelled = false; // its completions only give buffers back; the last frees the slot
        bool waiting = false;   // a receive in m_retry, not in the kernel
        bool armed = false;     // a receive: the multishot is in the kernel (its last completion not seen)
        bool stopping = false;  // a receive: the stash is full, a cancel of the multishot was asked for
        bool ended = false;     // a receive: end of stream or an error (recv_error) came, after the stash
        int recv_error = 0;
        std::string buffer;
        std::size_t offset = 0;
        std::string stash; // a receive: bytes that arrived while no callback waited
        RecvCallback recv; // a receive: the callback waiting (empty: none)
        SendCallback sent;
    };
    /// An fd's operations: the receive's and the send's user_data (0: none).
    struct FdOps {
        std::uint64_t recv = 0;
        std::uint64_t send = 0;
    };

    void setup_buffer_ring();
    std::uint32_t take_slot(int fd, bool send);
    void free_slot(std::uint32_t slot);
    FdOps& fd_ops(int fd);
    /// Arms the multishot receive of `op` in the kernel.
    void submit_recv(UOp& op);
    void submit_send(const UOp& op);
    void give_back(std::uint32_t flags);
    void handle_io(std::uint64_t token, int res, std::uint32_t flags);
    /// A completion of receive `slot`.
    void handle_recv(std::uint32_t slot, int res, std::uint32_t flags);
    /// Hands the waiting callback of receive `slot` what the stash holds, or its end (deferred from
    /// recv_async; `id` must still be the receive's).
    void deliver_stash(std::uint32_t slot, IoId id);
    /// Drops receive `slot`: its callback never runs; the kernel's multishot is cancelled.
    void drop_recv(std::uint32_t slot);
    void retry_receives();

    struct Info {
        WatchId id = 0; // 0: a free slot
        int fd = -1;
        std::uint32_t events = 0;
        std::uint32_t arms = 0;  // POLL_ADDs armed through this slot, part of their user_data
        std::uint64_t token = 0; // the armed POLL_ADD's user_data, 0 when none
    };

    /// The slot of watch `id`, taking a free one for a new id.
    std::uint32_t slot_of(WatchId id) {
        auto [it, fresh] = m_slot_of.try_emplace(id, 0);
        if (fresh) {
            if (m_free.empty()) {
                m_slots.emplace_back();
                it->second = static_cast<std::uint32_t>(m_slots.size() - 1);
            } else {
                it->second = m_free.back();
                m_free.pop_back();
            }
            m_slots[it->second].id = id;
        }
        return it->second;
    }

    io_uring_sqe* sqe() {
        io_uring_sqe* s = io_uring_get_sqe(&m_ring);
        while (s == nullptr) {
            // The SQ is full: hand it to the kernel and retry. Only the issuer thread may submit to a
            // SINGLE_ISSUER ring (EEXIST elsewhere; EBADFD before it is enabled): registrations made
            // before run() or after it ended, on another thread, park their entries until the loop
            // thread waits again (or the ring is gone).
            if (int r = io_uring_submit(&m_ring); r == -EEXIST || r == -EBADFD) {
                m_parked.emplace_back();
                return &m_parked.back();
            }
            s = io_uring_get_sqe(&m_ring);
        }
        return s;
    }

    /// Moves the entries sqe() parked into the ring (the loop thread, before it submits).
    void move_parked() {
        while (!m_parked.empty()) {
            io_uring_sqe* s = io_uring_get_sqe(&m_ring);
            if (s == nullptr) {
                if (int r = io_uring_submit(&m_ring); r < 0 && r != -EINTR) {
                    return; // the next wait tries again
                }
                continue;
            }
            *s = m_parked.front();
            m_parked.pop_front();
        }
    }

    void arm_poll(std::uint32_t slot, Info& info) {
        info.arms = (info.arms + 1) & 0x7fffffffU;
        std::uint64_t token = k_poll_bit | (static_cast<std::uint64_t>(info.arms) << 32) | slot;
        io_uring_sqe* s = sqe();
        io_uring_prep_poll_add(s, info.fd, to_poll(info.events));
        io_uring_sqe_set_data64(s, token);
        info.token = token;
    }

    void cancel_poll(Info& info) {
        io_uring_sqe* s = sqe();
        io_uring_prep_poll_remove(s, info.token);
        io_uring_sqe_set_data64(s, k_ignore);
        info.token = 0; // its completion (-ECANCELED) no longer matches and is dropped
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
        if ((token & k_poll_bit) == 0) {
            return; // a timeout that was replaced
        }
        auto slot = static_cast<std::uint32_t>(token);
        if (slot >= m_slots.size() || m_slots[slot].token != token) {
            return; // a poll that was cancelled or replaced
        }
        m_slots[slot].token = 0;
        const WatchId id = m_slots[slot].id;
        std::uint32_t revents = res >= 0 ? from_poll(static_cast<unsigned>(res)) : k_error | k_readable;
        m_dispatching = true;
        m_dispatching_id = id;
        dispatch_fd(id, revents);
        m_dispatching = false;
        // Re-arm unless the callback removed the watch (its slot is free or already reused by another
        // id) or modify_fd already re-armed it; a poll that failed (closed fd) is not re-armed, so it
        // cannot spin. m_slots may have grown: index it again.
        Info& info = m_slots[slot];
        if (res >= 0 && info.id == id && info.token == 0 && info.events != 0) {
            arm_poll(slot, info);
        }
    }

    io_uring m_ring{};
    bool m_ring_ready = false;
    bool m_disabled = false;           // created disabled (SINGLE_ISSUER): enabled by the first backend_wait
    std::deque<io_uring_sqe> m_parked; // entries queued by another thread while the SQ was full
    int m_wakefd = -1;
    std::uint64_t m_wake_value = 0;
    std::uint64_t m_next_token = k_first_token;
    std::vector<Info> m_slots;                            // by slot; free slots have id 0
    std::vector<std::uint32_t> m_free;                    // free slots, reused last-freed first
    std::unordered_map<WatchId, std::uint32_t> m_slot_of; // live watches (add/modify/remove only)
    std::vector<Completion> m_completions;
    std::vector<UOp> m_ops;                // by slot
    std::vector<std::uint32_t> m_ops_free; // free slots
    std::size_t m_ops_live = 0;
    std::vector<FdOps> m_fd_ops;        // by fd
    std::vector<std::uint32_t> m_retry; // receives that found no buffer
    std::string m_delivery;             // a stash's bytes being handed to a callback
    io_uring_buf_ring* m_buffer_ring = nullptr;
    bool m_buffer_ring_tried = false; // setup_buffer_ring() ran (it may have left m_buffer_ring null)
    std::size_t m_buffer_ring_bytes = 0;
    std::unique_ptr<char[], Unmap> m_buffers;
    __kernel_timespec m_timeout_ts{};
    std::uint64_t m_timeout_token = 0;
    bool m_timeout_armed = false;
    Clock::time_point m_timeout_deadline;
    bool m_dispatching = false;
    WatchId m_dispatching_id = 0;
};

} // namespace zsyncctl::core::uring
