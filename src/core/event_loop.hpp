#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/config.hpp"
#include "util/result.hpp"
#include "util/unique_function.hpp"

namespace zsyncctl::core {

/// Which thread a loop runs on. `other_thread`: created here, run by another thread; an io_uring ring is
/// created disabled and enabled by the first wait on the thread that runs it, its one issuer (the process's
/// probe then needs a small ring of its own). `same_thread`: run on the thread
/// that creates it; a ring is enabled at once and the probe runs on it (one ring set up, not two). A
/// same_thread loop can run only on the thread that created it. `few_fds`: run by another thread, like
/// other_thread, but watching a handful of fds (a command's signal pipe, its children's pipes, a download;
/// doctor describes this one, the loop its commands run on):
/// an io_uring ring gets a small completion queue and no single issuer, so it is enabled at once and the
/// probe runs on it (a command's loop cost ~0.1 ms to set up and as much to tear down with a server's
/// queue and a second ring; a full queue only moves completions to the kernel's overflow list). None sets up
/// io_uring's receive buffers at creation: the first receive does, on the loop thread (their set-up never
/// fails a loop; sockets then receive into their own buffers).
enum class LoopUse { other_thread, same_thread, few_fds };

/// A single-threaded event loop: fd readiness watches, monotonic timers and cross-thread wake-up, over
/// one of two backends (io_uring or epoll) chosen at run time by create().
///
/// Threads: run() makes the calling thread the loop thread. watch_fd/modify_fd/unwatch_fd, add_timer/
/// cancel_timer and run() belong to that thread (or to any thread before run() starts); post() and stop()
/// may be called from any thread. Callbacks run on the loop thread, one at a time, and may call any loop
/// method (including unwatching or cancelling themselves).
class EventLoop {
public:
    using Clock = std::chrono::steady_clock;
    using WatchId = std::uint64_t;
    using TimerId = std::uint64_t;

    /// Interest and readiness bits for watch_fd()/modify_fd() and the watch callback.
    static constexpr std::uint32_t k_readable = 1U << 0;
    static constexpr std::uint32_t k_writable = 1U << 1;
    /// Only in a callback's `revents`: the peer hung up (a reader should read to EOF) or the fd has an error.
    static constexpr std::uint32_t k_hangup = 1U << 2;
    static constexpr std::uint32_t k_error = 1U << 3;

    /// Builds a loop for `requested`: automatic probes io_uring (see probe_io_uring_once(): one probe per
    /// process) and falls back to epoll on any failure, keeping the reason in fallback_reason(); io_uring
    /// fails with IoUringNotAvailable (the reason in the message) where the probe says it is unusable or the
    /// build has no io_uring; epoll fails only when epoll_create1/eventfd fail (SystemResourceExhausted or
    /// io).
    static util::Result<std::unique_ptr<EventLoop>> create(IoBackend requested,
                                                           LoopUse use = LoopUse::other_thread);

    /// Drops every watch, timer and posted task without running them (their captures are destroyed on
    /// the destroying thread) and closes the backend's fds. Must not run while run() is running.
    virtual ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    /// The backend in use (never automatic).
    virtual IoBackend backend() const = 0;

    /// Why automatic selection fell back to epoll; empty when io_uring was chosen or epoll was requested.
    const std::string& fallback_reason() const { return m_fallback_reason; }

    /// Calls `callback(revents)` on the loop thread whenever `fd` is ready for one of `events`
    /// (k_readable|k_writable; level-triggered: it repeats while the fd stays ready). The fd stays owned by
    /// the caller and must stay open until unwatch_fd(). Fails (io, invalid_input) for fds the backend
    /// cannot watch (regular files with epoll) or a zero interest mask.
    util::Result<WatchId> watch_fd(int fd, std::uint32_t events,
                                   util::UniqueFunction<void(std::uint32_t)> callback);

    /// Changes the interest mask of a watch; false when `id` is unknown (already unwatched).
    bool modify_fd(WatchId id, std::uint32_t events);

    /// Removes a watch; its callback never runs again (it is destroyed after any running call returns).
    /// False when `id` is unknown.
    bool unwatch_fd(WatchId id);

    /// Runs `callback` once on the loop thread at `deadline` (at once, on the next iteration, when it is
    /// past). Timers with equal deadlines fire in the order they were added. Returns the id for cancel_timer.
    TimerId add_timer(Clock::time_point deadline, util::UniqueFunction<void()> callback);

    /// Cancels a timer; a cancelled timer never fires. False when it already fired or `id` is unknown.
    bool cancel_timer(TimerId id);

    /// Queues `task` to run on the loop thread and wakes the loop (eventfd, no polling); tasks run in the
    /// order they were posted. Returns false (and destroys `task` unrun) once the loop is stopped for good.
    bool post(util::UniqueFunction<void()> task);

    /// Makes run() return after the callback in progress (or at once, if called before run() starts); the
    /// loop can be run() again afterwards unless close() was called (on the same thread: an io_uring loop
    /// with a single issuer stays bound to the thread of its first run()). Any thread; idempotent.
    void stop();

    /// Like stop(), and makes every later post() fail: call before the loop is destroyed.
    void close();

    /// Dispatches events, timers and posted tasks on the calling thread until stop() (returns at once after
    /// close()). Fails only when
    /// the backend's wait fails for a reason other than EINTR.
    util::Result<void> run();

    /// True on the thread that is inside run().
    bool in_loop_thread() const { return m_loop_thread.load() == std::this_thread::get_id(); }

    /// Number of live watches and timers (tests and diagnostics; loop thread).
    std::size_t watch_count() const { return m_watches.size(); }
    std::size_t timer_count() const { return m_timer_ids.size(); }

    // Completion-based socket I/O (event_loop_io.cpp): the io_uring backend submits each operation as an
    // io_uring op on the loop's ring (received into buffers the ring provides), so a request costs no
    // system call beyond the loop's own io_uring_enter; the epoll backend (and io_uring where the kernel
    // has no provided-buffer rings) waits for readiness and makes the call. Loop thread only; at most one
    // receive and one send in flight per fd; callbacks run on the loop thread, never inside the call that
    // started the operation.
    using IoId = std::uint64_t;
    /// A receive's result: the bytes (valid only during the call; empty at end of stream or on error) and
    /// 0, or the errno (ECONNRESET, ...).
    using RecvCallback = util::UniqueFunction<void(std::string_view data, int error)>;
    /// A send's result: 0 once every byte was sent, or the errno (EPIPE, ...); and the buffer handed back,
    /// so its capacity can be reused.
    using SendCallback = util::UniqueFunction<void(int error, std::string& buffer)>;
    /// Most bytes one receive delivers.
    static constexpr std::size_t k_recv_chunk = 16 * 1024;

    /// Receives once from connected socket `fd` (up to k_recv_chunk bytes) and calls `done`. EBUSY when a
    /// receive is already in flight on `fd`.
    IoId recv_async(int fd, RecvCallback done);
    /// Sends all of `data` on `fd` (partial sends continue by themselves) and calls `done`; the loop owns
    /// the buffer until then. EBUSY when a send is already in flight on `fd`.
    IoId send_async(int fd, std::string data, SendCallback done);
    /// Cancels an operation: its callback never runs (it is destroyed here); the loop keeps the buffers
    /// until the kernel lets go of them. False when it already completed or `id` is unknown.
    bool cancel_io(IoId id);
    /// Cancels the operations on `fd` and forgets the loop's state for it; call it before closing an fd
    /// that was used with recv_async/send_async.
    void close_io(int fd);
    /// Operations in flight (tests and diagnostics).
    std::size_t io_count() const { return m_io_live + backend_io_count(); }

protected:
    EventLoop();

    /// The backend part. Registration calls happen on the loop thread (or before run()).
    virtual util::Result<void> backend_add(WatchId id, int fd, std::uint32_t events) = 0;
    virtual util::Result<void> backend_modify(WatchId id, int fd, std::uint32_t events) = 0;
    virtual void backend_remove(WatchId id, int fd) = 0;
    /// Waits until an fd is ready, the wake-up fires, or `deadline` (none: wait indefinitely; a past
    /// deadline: do not block), then calls dispatch_fd()/drain_posted() for what happened.
    virtual util::Result<void> backend_wait(const Clock::time_point* deadline) = 0;
    /// Makes a blocked backend_wait() return soon; called from any thread.
    virtual void backend_wake() = 0;

    /// Closes the loop and destroys every watch, timer and posted task; derived destructors call it first
    /// so nothing destroyed here can reach a half-destroyed backend. Idempotent.
    void drop_everything();
    /// Runs the callback of watch `id` (ignores unknown ids, e.g. events of a just-removed watch).
    void dispatch_fd(WatchId id, std::uint32_t revents);
    /// Runs the tasks posted so far.
    void drain_posted();
    /// Called by the backend once its wake-up fd was read: the next post() must signal again.
    void clear_wake_pending() { m_wake_pending.store(false); }

    /// The backend's native completion I/O; the defaults use the readiness path (watch_fd and a system
    /// call). Native ids have k_native_io set.
    virtual IoId backend_recv(int fd, RecvCallback& done);
    virtual IoId backend_send(int fd, std::string& data, SendCallback& done);
    virtual bool backend_cancel_io(IoId id);
    virtual void backend_close_io(int fd);
    virtual std::size_t backend_io_count() const { return 0; }
    static constexpr IoId k_native_io = 1ULL << 62;
    /// The readiness path's operations, for backends that fall back to it.
    IoId ready_recv(int fd, RecvCallback& done);
    IoId ready_send(int fd, std::string& data, SendCallback& done);
    /// Queues a completion callback to run on this thread before the loop waits again.
    void defer(util::UniqueFunction<void()> task) { m_deferred.push_back(std::move(task)); }

    std::string m_fallback_reason;

private:
    friend class EventLoopFactory;

    struct Watch {
        int fd = -1;
        std::uint32_t events = 0;
        util::UniqueFunction<void(std::uint32_t)> callback;
    };
    void run_due_timers();
    /// Runs the completions queued by defer(), including those they queue.
    void run_deferred();

    // The readiness path (event_loop_io.cpp): one backend registration per fd, its interest narrowed
    // lazily; an fd's operations live in its slot of m_fd_io (no allocation per operation).
    /// An fd's registration, the interest it has and the receive and send waiting on it.
    struct FdIo {
        std::uint32_t mask = 0;       // the interest registered with the backend; 0: not registered
        std::uint32_t generation = 0; // bumped per operation, part of its IoId (kept across close_io)
        std::uint32_t epoch = 0;      // bumped by close_io: a callback that closed the fd is noticed
        IoId recv_id = 0;             // the receive in flight; 0: none
        bool recv_done = false;       // completed with recv_error, its callback deferred
        int recv_error = 0;
        RecvCallback recv;
        IoId send_id = 0;       // the send in flight (until its callback has run); 0: none
        bool send_wait = false; // the send found the socket full and waits for writability
        bool send_done = false; // completed with send_error, its callback deferred
        int send_error = 0;
        std::size_t offset = 0;
        std::string buffer;
        SendCallback sent;
    };
    /// The key the readiness path registers an fd under with the backend (watch ids never get there).
    static constexpr WatchId k_io_watch = 1ULL << 61;
    /// The readiness state of `fd` (the table grows to hold it).
    FdIo& fd_io(int fd);
    /// A fresh id for an operation on `fd`: the fd in the low 32 bits, its slot's generation above.
    static IoId next_io_id(int fd, FdIo& f);
    /// The fd's registration fired: receive and/or continue the send, then narrow the interest if nothing
    /// wants it.
    void on_io_ready(int fd, std::uint32_t revents);
    /// Widens the fd's registration to what its operations need (registers it on first use).
    void update_io_watch(int fd);
    /// Marks operation `id` done with `error` and defers its callback.
    void finish_io(IoId id, int error);
    /// Runs the deferred callback of operation `id` if it is still the fd's (not cancelled or closed).
    void complete_io(IoId id);
    std::vector<FdIo> m_fd_io;                            // by fd
    std::size_t m_io_live = 0;                            // readiness-path operations in flight
    std::unique_ptr<char[]> m_recv_scratch;               // k_recv_chunk bytes, made on first receive
    std::vector<util::UniqueFunction<void()>> m_deferred; // completions to run before the next wait

    std::unordered_map<WatchId, std::shared_ptr<Watch>> m_watches;
    WatchId m_next_watch = 1;

    std::map<std::pair<Clock::time_point, TimerId>, util::UniqueFunction<void()>> m_timers;
    std::unordered_map<TimerId, Clock::time_point> m_timer_ids;
    TimerId m_next_timer = 1;

    std::mutex m_post_mutex;
    std::vector<util::UniqueFunction<void()>> m_posted;
    bool m_closed = false; // under m_post_mutex
    /// Threads inside post(): closing waits for them, so a post that passed the closed check before the loop
    /// closed has finished waking it before the backend's wake-up descriptor can go away.
    std::atomic<int> m_posters{0};
    void wait_for_posters() const;
    std::atomic<bool> m_wake_pending{false};
    std::atomic<bool> m_stop{false};
    std::atomic<std::thread::id> m_loop_thread{};
};

namespace detail {
/// The epoll backend (always available on Linux).
util::Result<std::unique_ptr<EventLoop>> make_epoll_loop();
/// The io_uring backend; IoUringNotAvailable when this build or this kernel cannot run it.
util::Result<std::unique_ptr<EventLoop>> make_uring_loop(LoopUse use = LoopUse::other_thread);
} // namespace detail

} // namespace zsyncctl::core
