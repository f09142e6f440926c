// Completion-based socket I/O of the EventLoop: the public calls, and the readiness path that the epoll
// backend uses (and the io_uring backend where the kernel has no provided-buffer rings): one backend
// registration per fd, a recv()/send() when it is ready. The registration's interest is widened at once
// when an operation needs it and narrowed lazily, when an event finds nothing to do, so a connection that
// answers and receives again in the same callback costs no epoll_ctl. An operation lives in its fd's slot
// (the callback inline in it, the send's buffer moved in): no allocation and no table lookup per
// operation, and readiness goes straight to the fd's slot (k_io_watch), not through the watch table.

#include <sys/socket.h>

#include <cerrno>

#include "core/event_loop.hpp"

namespace zsyncctl::core {

namespace {

int fd_of(EventLoop::IoId id) {
    return static_cast<int>(static_cast<std::uint32_t>(id));
}

} // namespace

EventLoop::IoId EventLoop::recv_async(int fd, RecvCallback done) {
    return backend_recv(fd, done);
}

EventLoop::IoId EventLoop::send_async(int fd, std::string data, SendCallback done) {
    return backend_send(fd, data, done);
}

bool EventLoop::cancel_io(IoId id) {
    if ((id & k_native_io) != 0) {
        return backend_cancel_io(id);
    }
    const int fd = fd_of(id);
    if (id == 0 || static_cast<std::size_t>(fd) >= m_fd_io.size()) {
        return false;
    }
    FdIo& f = m_fd_io[static_cast<std::size_t>(fd)];
    // The callbacks are destroyed at return, after the slot is consistent.
    RecvCallback recv;
    SendCallback sent;
    if (f.recv_id == id) {
        f.recv_id = 0;
        f.recv_done = false;
        recv = std::move(f.recv);
    } else if (f.send_id == id) {
        f.send_id = 0;
        f.send_wait = false;
        f.send_done = false;
        sent = std::move(f.sent);
        f.buffer.clear();
    } else {
        return false;
    }
    --m_io_live;
    return true;
}

void EventLoop::close_io(int fd) {
    if (fd >= 0 && static_cast<std::size_t>(fd) < m_fd_io.size()) {
        FdIo& f = m_fd_io[static_cast<std::size_t>(fd)];
        RecvCallback recv = std::move(f.recv); // destroyed at the end, after the slot is consistent
        SendCallback sent = std::move(f.sent);
        m_io_live -= (f.recv_id != 0 ? 1U : 0U) + (f.send_id != 0 ? 1U : 0U);
        if (f.mask != 0) {
            backend_remove(k_io_watch | static_cast<std::uint32_t>(fd), fd);
        }
        const std::uint32_t generation = f.generation; // stale ids must not match the next operations
        const std::uint32_t epoch = f.epoch + 1;
        f = FdIo{};
        f.generation = generation;
        f.epoch = epoch;
    }
    backend_close_io(fd);
}

EventLoop::IoId EventLoop::backend_recv(int fd, RecvCallback& done) {
    return ready_recv(fd, done);
}

EventLoop::IoId EventLoop::backend_send(int fd, std::string& data, SendCallback& done) {
    return ready_send(fd, data, done);
}

bool EventLoop::backend_cancel_io(IoId /*id*/) {
    return false;
}

void EventLoop::backend_close_io(int /*fd*/) {}

EventLoop::FdIo& EventLoop::fd_io(int fd) {
    if (static_cast<std::size_t>(fd) >= m_fd_io.size()) {
        m_fd_io.resize(static_cast<std::size_t>(fd) + 64);
    }
    return m_fd_io[static_cast<std::size_t>(fd)];
}

EventLoop::IoId EventLoop::next_io_id(int fd, FdIo& f) {
    // 1 .. 2^30-1: an id is never 0 and stays below k_native_io.
    f.generation = f.generation % 0x3fffffffU + 1;
    return (static_cast<IoId>(f.generation) << 32) | static_cast<std::uint32_t>(fd);
}

EventLoop::IoId EventLoop::ready_recv(int fd, RecvCallback& done) {
    if (fd < 0 || fd_io(fd).recv_id != 0) {
        defer([cb = std::move(done), fd]() mutable { cb({}, fd < 0 ? EBADF : EBUSY); });
        return 0;
    }
    FdIo& f = fd_io(fd);
    IoId id = next_io_id(fd, f);
    f.recv_id = id;
    f.recv_done = false;
    f.recv = std::move(done);
    ++m_io_live;
    update_io_watch(fd);
    return id;
}

EventLoop::IoId EventLoop::ready_send(int fd, std::string& data, SendCallback& done) {
    if (fd < 0 || fd_io(fd).send_id != 0) {
        defer(
            [cb = std::move(done), buf = std::move(data), fd]() mutable { cb(fd < 0 ? EBADF : EBUSY, buf); });
        return 0;
    }
    FdIo& f = fd_io(fd);
    IoId id = next_io_id(fd, f);
    // In flight until its callback has run (a send that completed at once included): close_io drops it.
    f.send_id = id;
    f.send_wait = false;
    f.send_done = false;
    f.offset = 0;
    f.buffer = std::move(data);
    f.sent = std::move(done);
    ++m_io_live;
    // Most sends fit in the socket buffer: try at once, and watch for writability only when it is full.
    while (f.offset < f.buffer.size()) {
        ssize_t n = ::send(fd, f.buffer.data() + f.offset, f.buffer.size() - f.offset, MSG_NOSIGNAL);
        if (n > 0) {
            f.offset += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            f.send_wait = true;
            update_io_watch(fd);
            return id;
        }
        finish_io(id, n < 0 ? errno : EPIPE);
        return id;
    }
    finish_io(id, 0);
    return id;
}

void EventLoop::finish_io(IoId id, int error) {
    const int fd = fd_of(id);
    if (id == 0 || static_cast<std::size_t>(fd) >= m_fd_io.size()) {
        return;
    }
    FdIo& f = m_fd_io[static_cast<std::size_t>(fd)];
    if (f.recv_id == id) {
        f.recv_done = true;
        f.recv_error = error;
    } else if (f.send_id == id) {
        f.send_done = true;
        f.send_wait = false;
        f.send_error = error;
    } else {
        return;
    }
    defer([this, id] { complete_io(id); });
}

void EventLoop::complete_io(IoId id) {
    const int fd = fd_of(id);
    if (static_cast<std::size_t>(fd) >= m_fd_io.size()) {
        return;
    }
    FdIo& f = m_fd_io[static_cast<std::size_t>(fd)];
    if (f.recv_id == id && f.recv_done) {
        f.recv_id = 0;
        f.recv_done = false;
        --m_io_live;
        RecvCallback cb = std::move(f.recv);
        cb({}, f.recv_error);
    } else if (f.send_id == id && f.send_done) {
        f.send_id = 0;
        f.send_done = false;
        --m_io_live;
        SendCallback cb = std::move(f.sent);
        std::string buffer = std::move(f.buffer);
        const int error = f.send_error;
        cb(error, buffer);
    }
    // Otherwise cancelled or closed before its callback ran.
}

void EventLoop::update_io_watch(int fd) {
    FdIo& f = fd_io(fd);
    // A send that completed at once (its callback deferred) needs no writability: only one that waits.
    const std::uint32_t want = (f.recv_id != 0 && !f.recv_done ? k_readable : 0U) |
                               (f.send_id != 0 && f.send_wait ? k_writable : 0U);
    if ((want & ~f.mask) == 0) {
        return; // everything needed is watched already (extra interest is dropped lazily)
    }
    const WatchId key = k_io_watch | static_cast<std::uint32_t>(fd);
    util::Result<void> changed = f.mask == 0 ? backend_add(key, fd, want) : backend_modify(key, fd, want);
    if (!changed) {
        // The fd cannot be watched (closed, or not a socket): its operations fail.
        IoId recv = f.recv_done ? 0 : f.recv_id;
        IoId send = f.send_wait ? f.send_id : 0;
        finish_io(recv, EBADF);
        finish_io(send, EBADF);
        return;
    }
    f.mask = want;
}

void EventLoop::on_io_ready(int fd, std::uint32_t revents) {
    if (fd < 0 || static_cast<std::size_t>(fd) >= m_fd_io.size()) {
        return;
    }
    const std::uint32_t epoch = m_fd_io[static_cast<std::size_t>(fd)].epoch;
    FdIo* f = &m_fd_io[static_cast<std::size_t>(fd)];
    if ((revents & (k_readable | k_hangup | k_error)) != 0 && f->recv_id != 0 && !f->recv_done) {
        if (!m_recv_scratch) {
            m_recv_scratch = std::make_unique_for_overwrite<char[]>(k_recv_chunk);
        }
        ssize_t n = 0;
        do {
            n = ::recv(fd, m_recv_scratch.get(), k_recv_chunk, 0);
        } while (n < 0 && errno == EINTR);
        if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            const int error = n < 0 ? errno : 0;
            f->recv_id = 0;
            --m_io_live;
            RecvCallback cb = std::move(f->recv);
            cb(n > 0 ? std::string_view(m_recv_scratch.get(), static_cast<std::size_t>(n))
                     : std::string_view{},
               error);
            // The callback may have grown the table (another fd) or closed this fd's I/O.
            f = &m_fd_io[static_cast<std::size_t>(fd)];
            if (f->epoch != epoch) {
                return;
            }
        }
    }
    if ((revents & (k_writable | k_hangup | k_error)) != 0 && f->send_id != 0 && f->send_wait) {
        int error = -1; // -1: not finished
        while (f->offset < f->buffer.size()) {
            ssize_t n = ::send(fd, f->buffer.data() + f->offset, f->buffer.size() - f->offset, MSG_NOSIGNAL);
            if (n > 0) {
                f->offset += static_cast<std::size_t>(n);
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else {
                if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                    error = n < 0 ? errno : EPIPE;
                }
                break;
            }
        }
        if (f->offset == f->buffer.size()) {
            error = 0;
        }
        if (error >= 0) {
            f->send_id = 0;
            f->send_wait = false;
            --m_io_live;
            SendCallback cb = std::move(f->sent);
            std::string buffer = std::move(f->buffer);
            cb(error, buffer);
            f = &m_fd_io[static_cast<std::size_t>(fd)];
            if (f->epoch != epoch) {
                return;
            }
        }
    }
    const std::uint32_t want = (f->recv_id != 0 && !f->recv_done ? k_readable : 0U) |
                               (f->send_id != 0 && f->send_wait ? k_writable : 0U);
    if (want != f->mask && (revents & ~want & (k_readable | k_writable)) != 0) {
        // An event nobody asked for: stop listening for it.
        const WatchId key = k_io_watch | static_cast<std::uint32_t>(fd);
        if (want == 0) {
            backend_remove(key, fd);
            f->mask = 0;
        } else if (backend_modify(key, fd, want)) {
            f->mask = want;
        }
    }
}

void EventLoop::run_deferred() {
    while (!m_deferred.empty()) {
        std::vector<util::UniqueFunction<void()>> tasks;
        tasks.swap(m_deferred);
        for (auto& task : tasks) {
            task();
            task = nullptr;
        }
    }
}

} // namespace zsyncctl::core
