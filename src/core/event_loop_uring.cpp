#include <liburing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
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

// user_data values: completions we ignore, the eventfd read, then one fresh token per armed timeout; a
// poll's user_data has k_poll_bit set, its watch's slot in the low 32 bits and the slot's arm count in
// the 31 bits above (so a completion of a poll or timeout that was replaced is recognised as stale and
// dropped, without a map lookup).
constexpr std::uint64_t k_ignore = 0;
constexpr std::uint64_t k_wake_read = 1;
constexpr std::uint64_t k_first_token = 16;
constexpr std::uint64_t k_poll_bit = 1ULL << 63;
constexpr unsigned k_sq_entries = 256; // more are submitted in batches of this size (see sqe())
constexpr unsigned k_cq_entries = 8192;
// A socket operation's user_data: k_io_bit (EventLoop::k_native_io), its slot in the low 32 bits and the
// slot's generation in the 30 bits above.
constexpr std::uint64_t k_io_bit = 1ULL << 62;
// The provided-buffer ring that receives land in: one group, k_buffers of k_buffer_size bytes. A receive
// that finds it empty (ENOBUFS: more receives completed in one wait than there are buffers) is submitted
// again once the batch has given its buffers back.
constexpr unsigned k_buffers = 1024;
constexpr unsigned k_buffer_size = 4096;
constexpr int k_buffer_group = 0;

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

    util::Result<void> init() {
        // Completions are handled only by this loop's own io_uring_enter, so the kernel need not interrupt
        // the thread to run their task work (COOP_TASKRUN; TASKRUN_FLAG tells liburing to enter when it is
        // pending). The completion queue holds a poll per watched fd of a server with thousands of
        // connections without overflowing into the kernel's slow list (CQSIZE). Kernels before 5.19 reject
        // the flags: plain setup there.
        io_uring_params params{};
        params.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL |
                       IORING_SETUP_CQSIZE;
        params.cq_entries = k_cq_entries;
        int r = io_uring_queue_init_params(k_sq_entries, &m_ring, &params);
        if (r == -EINVAL) {
            r = io_uring_queue_init(k_sq_entries, &m_ring, 0);
        }
        if (r < 0) {
            return util::fail(runtime_error(RuntimeErrc::IoUringNotAvailable,
                                            "io_uring_queue_init failed: " + platform::errno_name(-r)));
        }
        m_ring_ready = true;
        setup_buffer_ring();
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
    std::size_t backend_io_count() const override { return m_ops_live; }

private:
    struct Completion {
        std::uint64_t token;
        int res;
        std::uint32_t flags;
    };
    /// A socket operation in flight; a free slot has token 0.
    struct UOp {
        IoId token = 0;
        std::uint32_t generation = 0;
        int fd = -1;
        bool send = false;
        bool cancelled = false; // its completion only frees the slot
        bool waiting = false;   // a receive in m_retry, not in the kernel
        std::string buffer;
        std::size_t offset = 0;
        RecvCallback recv;
        SendCallback sent;
    };
    struct FdOps {
        IoId recv = 0;
        IoId send = 0;
    };

    void setup_buffer_ring();
    std::uint32_t take_slot(int fd, bool send);
    void free_slot(std::uint32_t slot);
    FdOps& fd_ops(int fd);
    void submit_recv(const UOp& op);
    void submit_send(const UOp& op);
    void give_back(std::uint32_t flags);
    void handle_io(std::uint64_t token, int res, std::uint32_t flags);
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
            io_uring_submit(&m_ring); // the SQ is full: hand it to the kernel and retry
            s = io_uring_get_sqe(&m_ring);
        }
        return s;
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
    io_uring_buf_ring* m_buffer_ring = nullptr;
    std::size_t m_buffer_ring_bytes = 0;
    std::unique_ptr<char[]> m_buffers;
    __kernel_timespec m_timeout_ts{};
    std::uint64_t m_timeout_token = 0;
    bool m_timeout_armed = false;
    Clock::time_point m_timeout_deadline;
    bool m_dispatching = false;
    WatchId m_dispatching_id = 0;
};

void UringLoop::setup_buffer_ring() {
    // Kernels before 5.19 (or a seccomp filter) refuse the registration: receives then take the readiness
    // path of the base class.
    m_buffer_ring_bytes = k_buffers * sizeof(io_uring_buf);
    void* mem =
        ::mmap(nullptr, m_buffer_ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) {
        return;
    }
    auto* ring = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uint64_t>(ring);
    reg.ring_entries = k_buffers;
    reg.bgid = k_buffer_group;
    if (io_uring_register_buf_ring(&m_ring, &reg, 0) != 0) {
        ::munmap(mem, m_buffer_ring_bytes);
        return;
    }
    m_buffers = std::make_unique_for_overwrite<char[]>(std::size_t{k_buffers} * k_buffer_size);
    io_uring_buf_ring_init(ring);
    for (unsigned i = 0; i < k_buffers; ++i) {
        io_uring_buf_ring_add(ring, m_buffers.get() + std::size_t{i} * k_buffer_size, k_buffer_size,
                              static_cast<unsigned short>(i), io_uring_buf_ring_mask(k_buffers),
                              static_cast<int>(i));
    }
    io_uring_buf_ring_advance(ring, static_cast<int>(k_buffers));
    m_buffer_ring = ring;
}

UringLoop::FdOps& UringLoop::fd_ops(int fd) {
    if (static_cast<std::size_t>(fd) >= m_fd_ops.size()) {
        m_fd_ops.resize(static_cast<std::size_t>(fd) + 64);
    }
    return m_fd_ops[static_cast<std::size_t>(fd)];
}

std::uint32_t UringLoop::take_slot(int fd, bool send) {
    std::uint32_t slot = 0;
    if (m_ops_free.empty()) {
        m_ops.emplace_back();
        slot = static_cast<std::uint32_t>(m_ops.size() - 1);
    } else {
        slot = m_ops_free.back();
        m_ops_free.pop_back();
    }
    UOp& op = m_ops[slot];
    op.generation = (op.generation + 1) & 0x3fffffffU;
    op.token = k_io_bit | (static_cast<std::uint64_t>(op.generation) << 32) | slot;
    op.fd = fd;
    op.send = send;
    op.cancelled = false;
    op.waiting = false;
    op.offset = 0;
    ++m_ops_live;
    return slot;
}

void UringLoop::free_slot(std::uint32_t slot) {
    UOp& op = m_ops[slot];
    op.token = 0;
    op.fd = -1;
    op.recv = nullptr;
    op.sent = nullptr;
    op.buffer.clear();
    m_ops_free.push_back(slot);
    --m_ops_live;
}

void UringLoop::submit_recv(const UOp& op) {
    io_uring_sqe* s = sqe();
    io_uring_prep_recv(s, op.fd, nullptr, k_buffer_size, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = k_buffer_group;
    io_uring_sqe_set_data64(s, op.token);
}

void UringLoop::submit_send(const UOp& op) {
    io_uring_sqe* s = sqe();
    io_uring_prep_send(s, op.fd, op.buffer.data() + op.offset, op.buffer.size() - op.offset, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, op.token);
}

void UringLoop::give_back(std::uint32_t flags) {
    if ((flags & IORING_CQE_F_BUFFER) == 0 || m_buffer_ring == nullptr) {
        return;
    }
    const unsigned id = flags >> IORING_CQE_BUFFER_SHIFT;
    io_uring_buf_ring_add(m_buffer_ring, m_buffers.get() + std::size_t{id} * k_buffer_size, k_buffer_size,
                          static_cast<unsigned short>(id), io_uring_buf_ring_mask(k_buffers), 0);
    io_uring_buf_ring_advance(m_buffer_ring, 1);
}

EventLoop::IoId UringLoop::backend_recv(int fd, RecvCallback& done) {
    if (m_buffer_ring == nullptr) {
        return ready_recv(fd, done);
    }
    if (fd < 0 || fd_ops(fd).recv != 0) {
        defer([cb = std::move(done), fd]() mutable { cb({}, fd < 0 ? EBADF : EBUSY); });
        return 0;
    }
    std::uint32_t slot = take_slot(fd, false);
    UOp& op = m_ops[slot];
    op.recv = std::move(done);
    fd_ops(fd).recv = op.token;
    submit_recv(op);
    return op.token;
}

EventLoop::IoId UringLoop::backend_send(int fd, std::string& data, SendCallback& done) {
    if (fd < 0 || fd_ops(fd).send != 0) {
        defer(
            [cb = std::move(done), buf = std::move(data), fd]() mutable { cb(fd < 0 ? EBADF : EBUSY, buf); });
        return 0;
    }
    std::uint32_t slot = take_slot(fd, true);
    UOp& op = m_ops[slot];
    op.buffer = std::move(data);
    op.sent = std::move(done);
    fd_ops(fd).send = op.token;
    if (op.buffer.empty()) {
        // Nothing to send: complete without a trip to the kernel.
        IoId id = op.token;
        defer([this, slot, id] {
            if (m_ops[slot].token != id || m_ops[slot].cancelled) {
                return;
            }
            fd_ops(m_ops[slot].fd).send = 0;
            SendCallback cb = std::move(m_ops[slot].sent);
            std::string buf = std::move(m_ops[slot].buffer);
            free_slot(slot);
            cb(0, buf);
        });
        return id;
    }
    submit_send(op);
    return op.token;
}

bool UringLoop::backend_cancel_io(IoId id) {
    const auto slot = static_cast<std::uint32_t>(id);
    if (slot >= m_ops.size() || m_ops[slot].token != id || m_ops[slot].cancelled) {
        return false;
    }
    UOp& op = m_ops[slot];
    FdOps& f = fd_ops(op.fd);
    if (f.recv == id) {
        f.recv = 0;
    }
    if (f.send == id) {
        f.send = 0;
    }
    RecvCallback recv = std::move(op.recv); // destroyed at return, when the slot is consistent
    SendCallback sent = std::move(op.sent);
    if (op.waiting || (op.send && op.buffer.empty())) {
        free_slot(slot); // not in the kernel: nothing will complete
        return true;
    }
    op.cancelled = true;
    io_uring_sqe* s = sqe();
    io_uring_prep_cancel64(s, id, 0);
    io_uring_sqe_set_data64(s, k_ignore);
    return true;
}

void UringLoop::backend_close_io(int fd) {
    if (fd < 0 || static_cast<std::size_t>(fd) >= m_fd_ops.size()) {
        return;
    }
    FdOps f = m_fd_ops[static_cast<std::size_t>(fd)];
    if (f.recv == 0 && f.send == 0) {
        return;
    }
    if (f.recv != 0) {
        backend_cancel_io(f.recv);
    }
    if (f.send != 0) {
        backend_cancel_io(f.send);
    }
    // An operation still in the submission queue names the fd by number: hand it (and its cancel) to the
    // kernel before the caller closes the fd, which a later accept may reuse.
    io_uring_submit(&m_ring);
}

void UringLoop::handle_io(std::uint64_t token, int res, std::uint32_t flags) {
    const auto slot = static_cast<std::uint32_t>(token);
    if (slot >= m_ops.size() || m_ops[slot].token != token) {
        give_back(flags);
        return;
    }
    UOp& op = m_ops[slot];
    if (op.cancelled) {
        give_back(flags);
        free_slot(slot);
        return;
    }
    if (!op.send) {
        if (res == -ENOBUFS) {
            op.waiting = true;
            m_retry.push_back(slot);
            return;
        }
        fd_ops(op.fd).recv = 0;
        RecvCallback cb = std::move(op.recv);
        free_slot(slot);
        if (res > 0 && (flags & IORING_CQE_F_BUFFER) != 0) {
            const unsigned id = flags >> IORING_CQE_BUFFER_SHIFT;
            cb(std::string_view(m_buffers.get() + std::size_t{id} * k_buffer_size,
                                static_cast<std::size_t>(res)),
               0);
            give_back(flags);
        } else {
            give_back(flags);
            cb({}, res < 0 ? -res : 0);
        }
        return;
    }
    if (res > 0 && op.offset + static_cast<std::size_t>(res) < op.buffer.size()) {
        op.offset += static_cast<std::size_t>(res);
        submit_send(op); // a partial send: the rest, under the same token
        return;
    }
    fd_ops(op.fd).send = 0;
    SendCallback cb = std::move(op.sent);
    std::string buf = std::move(op.buffer);
    free_slot(slot);
    cb(res < 0 ? -res : (res == 0 ? EPIPE : 0), buf);
}

void UringLoop::retry_receives() {
    if (m_retry.empty()) {
        return;
    }
    std::vector<std::uint32_t> slots;
    slots.swap(m_retry);
    for (std::uint32_t slot : slots) {
        UOp& op = m_ops[slot];
        if (op.token != 0 && op.waiting) {
            op.waiting = false;
            submit_recv(op);
        }
    }
}

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
