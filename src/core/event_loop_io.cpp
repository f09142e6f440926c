// Completion-based socket I/O of the EventLoop: the public calls, and the readiness path that the epoll
// backend uses (and the io_uring backend where the kernel has no provided-buffer rings): one watch per
// fd, a recv()/send() when it is ready. The watch's interest is widened at once when an operation needs
// it and narrowed lazily, when an event finds nothing to do, so a connection that answers and receives
// again in the same callback costs no epoll_ctl.

#include <sys/socket.h>

#include <cerrno>

#include "core/event_loop.hpp"

namespace zsyncctl::core {

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
    auto it = m_io_ops.find(id);
    if (it == m_io_ops.end()) {
        return false;
    }
    if (static_cast<std::size_t>(it->second.fd) < m_fd_io.size()) {
        FdIo& f = m_fd_io[static_cast<std::size_t>(it->second.fd)];
        if (f.recv == id) {
            f.recv = 0;
        }
        if (f.send == id) {
            f.send = 0;
            f.send_wait = false;
        }
    }
    auto node = m_io_ops.extract(it); // the callback is destroyed after the table is consistent
    return true;
}

void EventLoop::close_io(int fd) {
    if (fd >= 0 && static_cast<std::size_t>(fd) < m_fd_io.size()) {
        FdIo f = m_fd_io[static_cast<std::size_t>(fd)];
        m_fd_io[static_cast<std::size_t>(fd)] = FdIo{};
        if (f.recv != 0) {
            auto node = m_io_ops.extract(f.recv);
        }
        if (f.send != 0) {
            auto node = m_io_ops.extract(f.send);
        }
        if (f.watch != 0) {
            unwatch_fd(f.watch);
        }
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

EventLoop::IoId EventLoop::ready_recv(int fd, RecvCallback& done) {
    if (fd < 0 || fd_io(fd).recv != 0) {
        defer([cb = std::move(done), fd]() mutable { cb({}, fd < 0 ? EBADF : EBUSY); });
        return 0;
    }
    IoId id = m_next_io++;
    IoOp& op = m_io_ops[id];
    op.fd = fd;
    op.recv = std::move(done);
    fd_io(fd).recv = id;
    update_io_watch(fd);
    return id;
}

EventLoop::IoId EventLoop::ready_send(int fd, std::string& data, SendCallback& done) {
    if (fd < 0 || fd_io(fd).send != 0) {
        defer(
            [cb = std::move(done), buf = std::move(data), fd]() mutable { cb(fd < 0 ? EBADF : EBUSY, buf); });
        return 0;
    }
    IoId id = m_next_io++;
    IoOp& op = m_io_ops[id];
    op.fd = fd;
    op.send = true;
    op.buffer = std::move(data);
    op.sent = std::move(done);
    // In flight until its callback has run (a send that completed at once included): close_io drops it.
    fd_io(fd).send = id;
    // Most sends fit in the socket buffer: try at once, and watch for writability only when it is full.
    while (op.offset < op.buffer.size()) {
        ssize_t n = ::send(fd, op.buffer.data() + op.offset, op.buffer.size() - op.offset, MSG_NOSIGNAL);
        if (n > 0) {
            op.offset += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            fd_io(fd).send_wait = true;
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
    auto it = m_io_ops.find(id);
    if (it == m_io_ops.end()) {
        return;
    }
    it->second.done = true;
    it->second.error = error;
    defer([this, id] {
        auto node = m_io_ops.extract(id);
        if (node.empty()) {
            return; // cancelled before its callback ran
        }
        IoOp& op = node.mapped();
        if (static_cast<std::size_t>(op.fd) < m_fd_io.size()) {
            FdIo& f = m_fd_io[static_cast<std::size_t>(op.fd)];
            if (f.recv == id) {
                f.recv = 0;
            }
            if (f.send == id) {
                f.send = 0;
                f.send_wait = false;
            }
        }
        if (op.send) {
            op.sent(op.error, op.buffer);
        } else {
            op.recv({}, op.error);
        }
    });
}

void EventLoop::update_io_watch(int fd) {
    FdIo& f = fd_io(fd);
    // A send that completed at once (its callback deferred) needs no writability: only one that waits.
    std::uint32_t want = (f.recv != 0 ? k_readable : 0U) | (f.send != 0 && f.send_wait ? k_writable : 0U);
    if ((want & ~f.mask) == 0) {
        return; // everything needed is watched already (extra interest is dropped lazily)
    }
    if (f.watch == 0) {
        auto watched = watch_fd(fd, want, [this, fd](std::uint32_t revents) { on_io_ready(fd, revents); });
        if (!watched) {
            IoId recv = f.recv;
            IoId send = f.send;
            f = FdIo{};
            finish_io(recv, EBADF);
            finish_io(send, EBADF);
            return;
        }
        m_fd_io[static_cast<std::size_t>(fd)].watch = *watched;
        m_fd_io[static_cast<std::size_t>(fd)].mask = want;
        return;
    }
    modify_fd(f.watch, want);
    f.mask = want;
}

void EventLoop::on_io_ready(int fd, std::uint32_t revents) {
    const WatchId watch = m_fd_io[static_cast<std::size_t>(fd)].watch;
    if ((revents & (k_readable | k_hangup | k_error)) != 0 &&
        m_fd_io[static_cast<std::size_t>(fd)].recv != 0) {
        if (!m_recv_scratch) {
            m_recv_scratch = std::make_unique_for_overwrite<char[]>(k_recv_chunk);
        }
        ssize_t n = 0;
        do {
            n = ::recv(fd, m_recv_scratch.get(), k_recv_chunk, 0);
        } while (n < 0 && errno == EINTR);
        if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            const int error = n < 0 ? errno : 0;
            IoId id = std::exchange(m_fd_io[static_cast<std::size_t>(fd)].recv, 0);
            auto node = m_io_ops.extract(id);
            if (!node.empty()) {
                node.mapped().recv(n > 0 ? std::string_view(m_recv_scratch.get(), static_cast<std::size_t>(n))
                                         : std::string_view{},
                                   error);
            }
        }
    }
    if (m_fd_io[static_cast<std::size_t>(fd)].watch != watch) {
        return; // the callback closed the fd's I/O
    }
    if ((revents & (k_writable | k_hangup | k_error)) != 0 &&
        m_fd_io[static_cast<std::size_t>(fd)].send != 0 && m_fd_io[static_cast<std::size_t>(fd)].send_wait) {
        IoId id = m_fd_io[static_cast<std::size_t>(fd)].send;
        IoOp& op = m_io_ops[id];
        int error = -1; // -1: not finished
        while (op.offset < op.buffer.size()) {
            ssize_t n = ::send(fd, op.buffer.data() + op.offset, op.buffer.size() - op.offset, MSG_NOSIGNAL);
            if (n > 0) {
                op.offset += static_cast<std::size_t>(n);
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else {
                if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                    error = n < 0 ? errno : EPIPE;
                }
                break;
            }
        }
        if (op.offset == op.buffer.size()) {
            error = 0;
        }
        if (error >= 0) {
            m_fd_io[static_cast<std::size_t>(fd)].send = 0;
            m_fd_io[static_cast<std::size_t>(fd)].send_wait = false;
            auto node = m_io_ops.extract(id);
            node.mapped().sent(error, node.mapped().buffer);
        }
    }
    if (m_fd_io[static_cast<std::size_t>(fd)].watch != watch) {
        return;
    }
    FdIo& f = m_fd_io[static_cast<std::size_t>(fd)];
    std::uint32_t want = (f.recv != 0 ? k_readable : 0U) | (f.send != 0 && f.send_wait ? k_writable : 0U);
    if (want != f.mask && (revents & ~want & (k_readable | k_writable)) != 0) {
        modify_fd(f.watch, want); // an event nobody asked for: stop listening for it
        f.mask = want;
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
