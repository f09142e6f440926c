// The io_uring backend's completion-based socket I/O: multishot receives into the ring's provided buffers,
// sends from the caller's buffer, both as io_uring operations on the loop's ring.
//
// A receive is armed once per connection and stays armed: the kernel keeps its poll on the socket and
// completes a receive each time data arrives, instead of a receive (and its poll) submitted per request.
// What arrives while no callback waits (the connection is handling a request, or reading is paused) is
// kept in the operation's stash and handed to the next recv_async; a stash past k_stash_limit cancels
// the multishot, so a client that sends without reading is not read further (backpressure), and the next
// recv_async after the stash is drained arms it again.
#include <cerrno>

#include "core/event_loop_uring_internal.hpp"

namespace zsyncctl::core::uring {

namespace {

/// Stashed bytes past which the multishot receive is stopped until the stash is taken.
constexpr std::size_t k_stash_limit = 64 * 1024;

} // namespace

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
    op.user_data = op.token;
    op.fd = fd;
    op.send = send;
    op.cancelled = false;
    op.waiting = false;
    op.armed = false;
    op.stopping = false;
    op.ended = false;
    op.recv_error = 0;
    op.offset = 0;
    ++m_ops_live;
    return slot;
}

void UringLoop::free_slot(std::uint32_t slot) {
    UOp& op = m_ops[slot];
    op.token = 0;
    op.user_data = 0;
    op.fd = -1;
    op.recv = nullptr;
    op.sent = nullptr;
    op.buffer.clear();
    op.stash.clear();
    m_ops_free.push_back(slot);
    --m_ops_live;
}

std::size_t UringLoop::backend_io_count() const {
    // Operations a callback waits on, and sends the kernel still holds; an idle armed receive (nobody
    // waits) or a cancelled one is not an operation of the caller's any more.
    std::size_t n = 0;
    for (const UOp& op : m_ops) {
        if (op.user_data != 0 && (op.send || (!op.cancelled && op.recv))) {
            ++n;
        }
    }
    return n;
}

void UringLoop::submit_recv(UOp& op) {
    io_uring_sqe* s = sqe();
    io_uring_prep_recv_multishot(s, op.fd, nullptr, 0, 0);
    // Armed right after an answer is sent, before the client can have read it: poll first instead of a
    // receive that would fail with EAGAIN (data already there makes the poll fire at once).
    s->ioprio |= IORING_RECVSEND_POLL_FIRST;
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = k_buffer_group;
    io_uring_sqe_set_data64(s, op.user_data);
    op.armed = true;
}

void UringLoop::submit_send(const UOp& op) {
    io_uring_sqe* s = sqe();
    io_uring_prep_send(s, op.fd, op.buffer.data() + op.offset, op.buffer.size() - op.offset, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, op.user_data);
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
    if (!m_buffer_ring_tried) {
        m_buffer_ring_tried = true;
        setup_buffer_ring(); // on the loop thread, the ring's one issuer
    }
    if (m_buffer_ring == nullptr) {
        return ready_recv(fd, done);
    }
    if (fd < 0) {
        defer([cb = std::move(done)]() mutable { cb({}, EBADF); });
        return 0;
    }
    FdOps& f = fd_ops(fd);
    if (f.recv != 0) {
        const auto slot = static_cast<std::uint32_t>(f.recv);
        UOp& op = m_ops[slot];
        if (op.recv) {
            defer([cb = std::move(done)]() mutable { cb({}, EBUSY); });
            return 0;
        }
        // The connection's receive is armed (or has stashed bytes, or its end): a fresh id for this call.
        op.generation = (op.generation + 1) & 0x3fffffffU;
        op.token = k_io_bit | (static_cast<std::uint64_t>(op.generation) << 32) | slot;
        op.recv = std::move(done);
        if (!op.stash.empty() || op.ended) {
            defer([this, slot, id = op.token] { deliver_stash(slot, id); });
        } else if (!op.armed && !op.waiting) {
            submit_recv(op);
        }
        return op.token;
    }
    std::uint32_t slot = take_slot(fd, false);
    UOp& op = m_ops[slot];
    op.recv = std::move(done);
    f.recv = op.user_data;
    submit_recv(op);
    return op.token;
}

void UringLoop::deliver_stash(std::uint32_t slot, IoId id) {
    UOp& op = m_ops[slot];
    if (op.token != id || op.user_data == 0 || op.cancelled || !op.recv) {
        return; // cancelled or closed meanwhile
    }
    RecvCallback cb = std::move(op.recv);
    if (!op.stash.empty()) {
        const std::size_t n = std::min(op.stash.size(), k_recv_chunk);
        m_delivery.assign(op.stash, 0, n);
        op.stash.erase(0, n);
        cb(m_delivery, 0);
        return; // the callback's next recv_async takes the rest, or arms the receive again
    }
    const int error = op.recv_error;
    fd_ops(op.fd).recv = 0;
    free_slot(slot);
    cb({}, error);
}

void UringLoop::drop_recv(std::uint32_t slot) {
    UOp& op = m_ops[slot];
    fd_ops(op.fd).recv = 0;
    RecvCallback recv = std::move(op.recv); // destroyed at return, when the slot is consistent
    if (!op.armed) {
        free_slot(slot); // not in the kernel (never armed again, ended, or waiting for a buffer)
        return;
    }
    op.cancelled = true;
    io_uring_sqe* s = sqe();
    io_uring_prep_cancel64(s, op.user_data, 0);
    io_uring_sqe_set_data64(s, k_ignore);
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
    fd_ops(fd).send = op.user_data;
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
    if (slot >= m_ops.size() || m_ops[slot].token != id || m_ops[slot].user_data == 0 ||
        m_ops[slot].cancelled) {
        return false;
    }
    UOp& op = m_ops[slot];
    if (!op.send) {
        if (!op.recv) {
            return false; // that receive completed; the multishot armed now is the next one's
        }
        drop_recv(slot);
        return true;
    }
    fd_ops(op.fd).send = 0;
    SendCallback sent = std::move(op.sent); // destroyed at return, when the slot is consistent
    if (op.buffer.empty()) {
        free_slot(slot); // not in the kernel: nothing will complete
        return true;
    }
    op.cancelled = true;
    io_uring_sqe* s = sqe();
    io_uring_prep_cancel64(s, op.user_data, 0);
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
        drop_recv(static_cast<std::uint32_t>(f.recv));
    }
    if (f.send != 0) {
        backend_cancel_io(m_ops[static_cast<std::uint32_t>(f.send)].token);
    }
    // An operation still in the submission queue names the fd by number, and an armed multishot holds
    // the socket: hand them (and their cancels) to the kernel before the caller closes the fd, which a
    // later accept may reuse.
    io_uring_submit(&m_ring);
}

void UringLoop::handle_io(std::uint64_t token, int res, std::uint32_t flags) {
    const auto slot = static_cast<std::uint32_t>(token);
    if (slot >= m_ops.size() || m_ops[slot].user_data != token) {
        give_back(flags);
        return;
    }
    UOp& op = m_ops[slot];
    if (!op.send) {
        handle_recv(slot, res, flags);
        return;
    }
    if (op.cancelled) {
        free_slot(slot);
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

void UringLoop::handle_recv(std::uint32_t slot, int res, std::uint32_t flags) {
    UOp& op = m_ops[slot];
    const bool more = (flags & IORING_CQE_F_MORE) != 0;
    if (!more) {
        op.armed = false; // the multishot's last completion
    }
    if (op.cancelled) {
        give_back(flags);
        if (!more) {
            free_slot(slot);
        }
        return;
    }
    if (res > 0 && (flags & IORING_CQE_F_BUFFER) != 0) {
        const unsigned id = flags >> IORING_CQE_BUFFER_SHIFT;
        const std::string_view data(m_buffers.get() + std::size_t{id} * k_buffer_size,
                                    static_cast<std::size_t>(res));
        if (op.recv && op.stash.empty()) {
            const std::uint64_t user_data = op.user_data;
            RecvCallback cb = std::move(op.recv);
            cb(data, 0);
            give_back(flags);
            // The callback may have closed the fd (the slot freed or reused) or asked for the next receive.
            UOp& again = m_ops[slot];
            if (again.user_data == user_data && !again.cancelled && !again.armed && !again.waiting &&
                again.recv && again.stash.empty()) {
                submit_recv(again); // the multishot had ended: arm it again for the waiting callback
            }
            return;
        }
        op.stash.append(data);
        give_back(flags);
        if (op.armed && !op.stopping && op.stash.size() >= k_stash_limit) {
            op.stopping = true; // nobody reads: stop receiving until the stash is taken
            io_uring_sqe* s = sqe();
            io_uring_prep_cancel64(s, op.user_data, 0);
            io_uring_sqe_set_data64(s, k_ignore);
        }
        if (!op.armed) {
            op.stopping = false;
        }
        return;
    }
    give_back(flags);
    if (res == -ENOBUFS || (res == -ECANCELED && op.stopping) || (res > 0 && !more)) {
        // Out of buffers (armed again once the batch gave them back), or stopped for backpressure (armed
        // again by the recv_async that finds the stash empty).
        op.stopping = false;
        if (res == -ENOBUFS) {
            op.waiting = true;
            m_retry.push_back(slot);
        } else if (op.recv && op.stash.empty()) {
            submit_recv(op);
        }
        return;
    }
    // End of stream or an error: the receive's end, handed over after what the stash holds.
    op.ended = true;
    op.recv_error = res < 0 ? -res : 0;
    if (more) {
        return; // not expected: an end with the multishot still armed; its last completion follows
    }
    if (op.recv && op.stash.empty()) {
        RecvCallback cb = std::move(op.recv);
        const int error = op.recv_error;
        fd_ops(op.fd).recv = 0;
        free_slot(slot);
        cb({}, error);
    }
}

void UringLoop::retry_receives() {
    if (m_retry.empty()) {
        return;
    }
    std::vector<std::uint32_t> slots;
    slots.swap(m_retry);
    for (std::uint32_t slot : slots) {
        UOp& op = m_ops[slot];
        if (op.user_data != 0 && op.waiting) {
            op.waiting = false;
            if (!op.cancelled) {
                submit_recv(op);
            }
        }
    }
}

} // namespace zsyncctl::core::uring
