#include "core/event_loop.hpp"

#include <thread>

#include "core/errors.hpp"
#include "platform/io_uring_probe.hpp"

namespace zsyncctl::core {

EventLoop::EventLoop() = default;

EventLoop::~EventLoop() {
    drop_everything();
}

void EventLoop::wait_for_posters() const {
    while (m_posters.load(std::memory_order_acquire) != 0) {
        std::this_thread::yield();
    }
}

void EventLoop::drop_everything() {
    {
        std::lock_guard lock(m_post_mutex);
        m_closed = true;
    }
    wait_for_posters(); // the backend is destroyed next: no other thread may be about to wake it
    // Captures may add timers or post while they are destroyed (an abandoned promise runs its
    // continuation); take the containers out first and repeat until nothing is left.
    for (int round = 0; round < 16; ++round) {
        auto fd_io = std::move(m_fd_io);
        m_fd_io.clear();
        m_io_live = 0;
        auto deferred = std::move(m_deferred);
        m_deferred.clear();
        auto watches = std::move(m_watches);
        m_watches.clear();
        auto timers = std::move(m_timers);
        m_timers.clear();
        m_timer_ids.clear();
        std::vector<util::UniqueFunction<void()>> posted;
        {
            std::lock_guard lock(m_post_mutex);
            posted.swap(m_posted);
        }
        if (watches.empty() && timers.empty() && posted.empty() && fd_io.empty() && deferred.empty()) {
            break;
        }
    }
}

util::Result<std::unique_ptr<EventLoop>> EventLoop::create(IoBackend requested, LoopUse use) {
    switch (requested) {
    case IoBackend::epoll:
        return detail::make_epoll_loop();
    case IoBackend::io_uring:
        return detail::make_uring_loop(use);
    case IoBackend::automatic:
        break;
    }
    auto uring = detail::make_uring_loop(use);
    if (uring) {
        return uring;
    }
    auto epoll = detail::make_epoll_loop();
    if (epoll) {
        (*epoll)->m_fallback_reason = uring.error().message;
    }
    return epoll;
}

util::Result<EventLoop::WatchId> EventLoop::watch_fd(int fd, std::uint32_t events,
                                                     util::UniqueFunction<void(std::uint32_t)> callback) {
    if (fd < 0 || (events & (k_readable | k_writable)) == 0 || !callback) {
        return util::fail(util::ErrorKind::invalid_input,
                          "watch_fd needs an open fd, k_readable and/or k_writable, and a callback");
    }
    WatchId id = m_next_watch++;
    if (auto added = backend_add(id, fd, events & (k_readable | k_writable)); !added) {
        return util::fail(std::move(added).error());
    }
    auto watch = std::make_shared<Watch>();
    watch->fd = fd;
    watch->events = events & (k_readable | k_writable);
    watch->callback = std::move(callback);
    m_watches.emplace(id, std::move(watch));
    return id;
}

bool EventLoop::modify_fd(WatchId id, std::uint32_t events) {
    auto it = m_watches.find(id);
    if (it == m_watches.end()) {
        return false;
    }
    events &= k_readable | k_writable;
    if (events == it->second->events) {
        return true;
    }
    if (events == 0) {
        // A watch with no interest: keep the registration id but stop listening.
        backend_remove(id, it->second->fd);
        it->second->events = 0;
        return true;
    }
    util::Result<void> changed = it->second->events == 0 ? backend_add(id, it->second->fd, events)
                                                         : backend_modify(id, it->second->fd, events);
    if (!changed) {
        return false;
    }
    it->second->events = events;
    return true;
}

bool EventLoop::unwatch_fd(WatchId id) {
    auto it = m_watches.find(id);
    if (it == m_watches.end()) {
        return false;
    }
    if (it->second->events != 0) {
        backend_remove(id, it->second->fd);
    }
    // A callback that unwatches itself keeps running: dispatch_fd holds its own reference.
    m_watches.erase(it);
    return true;
}

EventLoop::TimerId EventLoop::add_timer(Clock::time_point deadline, util::UniqueFunction<void()> callback) {
    TimerId id = m_next_timer++;
    m_timers.emplace(std::make_pair(deadline, id), std::move(callback));
    m_timer_ids.emplace(id, deadline);
    return id;
}

bool EventLoop::cancel_timer(TimerId id) {
    auto it = m_timer_ids.find(id);
    if (it == m_timer_ids.end()) {
        return false;
    }
    auto node = m_timers.extract(std::make_pair(it->second, id));
    m_timer_ids.erase(it);
    return true; // `node` (and the callback's captures) is destroyed here, after the maps are consistent
}

bool EventLoop::post(util::UniqueFunction<void()> task) {
    // Counted until the end, a rejected task's destruction included (it is declared after the guard).
    struct Leave {
        std::atomic<int>& posters;
        ~Leave() { posters.fetch_sub(1, std::memory_order_release); }
    };
    m_posters.fetch_add(1, std::memory_order_acq_rel);
    Leave leave{m_posters};
    util::UniqueFunction<void()> rejected; // destroyed after the lock is released
    {
        std::lock_guard lock(m_post_mutex);
        if (m_closed) {
            rejected = std::move(task);
        } else {
            m_posted.push_back(std::move(task));
        }
    }
    if (rejected) {
        return false;
    }
    if (!m_wake_pending.exchange(true)) {
        backend_wake();
    }
    return true;
}

void EventLoop::stop() {
    m_stop.store(true);
    backend_wake();
}

void EventLoop::close() {
    {
        std::lock_guard lock(m_post_mutex);
        m_closed = true;
    }
    stop();
    wait_for_posters();
}

void EventLoop::dispatch_fd(WatchId id, std::uint32_t revents) {
    if ((id & k_io_watch) != 0) {
        on_io_ready(static_cast<int>(static_cast<std::uint32_t>(id)), revents); // the readiness path's fd
        return;
    }
    auto it = m_watches.find(id);
    if (it == m_watches.end()) {
        return;
    }
    std::shared_ptr<Watch> watch = it->second; // survives unwatch_fd() from inside the callback
    if (watch->events == 0) {
        return;
    }
    watch->callback(revents);
}

void EventLoop::drain_posted() {
    std::vector<util::UniqueFunction<void()>> tasks;
    {
        std::lock_guard lock(m_post_mutex);
        tasks.swap(m_posted);
    }
    for (auto& task : tasks) {
        task();
        task = nullptr;
    }
}

void EventLoop::run_due_timers() {
    // Only timers due when this pass starts fire in it, so a timer that re-adds itself at "now" cannot
    // starve the fds; a timer cancelled by an earlier callback of the same pass is skipped.
    const Clock::time_point now = Clock::now();
    std::vector<std::pair<Clock::time_point, TimerId>> due;
    for (const auto& entry : m_timers) {
        if (entry.first.first > now) {
            break;
        }
        due.push_back(entry.first);
    }
    for (const auto& key : due) {
        if (m_stop.load()) {
            return;
        }
        auto node = m_timers.extract(key);
        if (node.empty()) {
            continue;
        }
        m_timer_ids.erase(key.second);
        node.mapped()();
    }
}

util::Result<void> EventLoop::run() {
    m_loop_thread.store(std::this_thread::get_id());
    util::Result<void> status;
    while (!m_stop.load()) {
        run_deferred();
        if (m_stop.load()) {
            break;
        }
        run_due_timers();
        if (m_stop.load()) {
            break;
        }
        const Clock::time_point* deadline = nullptr;
        Clock::time_point next;
        if (!m_timers.empty()) {
            next = m_timers.begin()->first.first;
            deadline = &next;
        }
        {
            std::lock_guard lock(m_post_mutex);
            if (!m_posted.empty() || !m_deferred.empty()) {
                next = Clock::time_point::min();
                deadline = &next;
            }
        }
        if (auto waited = backend_wait(deadline); !waited) {
            status = std::move(waited);
            break;
        }
        drain_posted();
    }
    m_loop_thread.store(std::thread::id{});
    // A stop() consumed here lets run() be called again; close() keeps the loop stopped for good.
    std::lock_guard lock(m_post_mutex);
    if (!m_closed) {
        m_stop.store(false);
    }
    return status;
}

#ifndef ZSYNCCTL_HAVE_IO_URING
namespace detail {
util::Result<std::unique_ptr<EventLoop>> make_uring_loop(LoopUse /*use*/) {
    return util::fail(
        runtime_error(RuntimeErrc::IoUringNotAvailable, platform::probe_io_uring_once().reason));
}
} // namespace detail
#endif

} // namespace zsyncctl::core
