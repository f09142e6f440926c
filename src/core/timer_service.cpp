#include "core/timer_service.hpp"

#include <condition_variable>
#include <thread>
#include <unordered_map>
#include <utility>

#include "core/errors.hpp"

namespace zsyncctl::core {

namespace {
util::Error stopped_error() {
    return runtime_error(RuntimeErrc::RuntimeShutdown, "the timers are stopped");
}
} // namespace

// Our own table of timers, under one mutex. The loop only holds small stubs (id + state) that look an id
// up here when they fire, so cancelling from any thread is a table erase under the mutex: a stub that
// fires afterwards finds nothing and does nothing. The stub itself is removed from the loop by a posted
// cancel_timer (or directly on the loop thread) so cancelled long timers do not pile up there.
struct TimerService::State {
    struct Entry {
        Clock::time_point deadline;
        Clock::duration period{0};             // zero: one-shot
        util::UniqueFunction<void()> callback; // empty while it runs
        EventLoop::TimerId loop_timer = 0;     // zero: not armed on the loop (yet, or any more)
    };

    mutable std::mutex mutex;
    std::condition_variable fired_cv;
    std::unordered_map<TimerId, Entry> entries;
    TimerId next_id = 1;
    TimerId firing = 0; // the timer whose callback runs now (on the loop thread), or 0
    std::thread::id firing_thread;
    EventLoop* loop = nullptr; // set once; used only while !stopped (the loop outlives stop())
    bool stopped = false;

    // Adds the loop timer for `it`; loop thread, mutex held.
    static void arm_locked(const std::shared_ptr<State>& self,
                           std::unordered_map<TimerId, Entry>::iterator it) {
        const TimerId id = it->first;
        it->second.loop_timer = self->loop->add_timer(it->second.deadline, [self, id] { fire(self, id); });
    }

    // Runs the callback of `id` if it is still live; loop thread.
    static void fire(const std::shared_ptr<State>& self, TimerId id) {
        util::UniqueFunction<void()> callback;
        {
            std::lock_guard lock(self->mutex);
            auto it = self->entries.find(id);
            if (it == self->entries.end() || self->stopped) {
                return;
            }
            it->second.loop_timer = 0;
            callback = std::move(it->second.callback);
            self->firing = id;
            self->firing_thread = std::this_thread::get_id();
        }
        callback();
        {
            std::lock_guard lock(self->mutex);
            auto it = self->entries.find(id);
            if (it != self->entries.end()) {
                const Clock::duration period = it->second.period;
                if (period > Clock::duration::zero() && !self->stopped) {
                    // Stay on the grid: lateness of this tick does not shift the next one, and grid points
                    // that passed while this callback (or the loop) was busy are skipped.
                    Clock::time_point next = it->second.deadline + period;
                    const Clock::time_point now = Clock::now();
                    if (next <= now) {
                        next += ((now - next) / period + 1) * period;
                    }
                    it->second.deadline = next;
                    it->second.callback = std::move(callback);
                    arm_locked(self, it);
                } else {
                    self->entries.erase(it);
                }
            }
        }
        callback = nullptr; // a one-shot's captures are destroyed before a waiting cancel() returns
        {
            std::lock_guard lock(self->mutex);
            self->firing = 0;
            self->firing_thread = std::thread::id{};
        }
        self->fired_cv.notify_all();
    }

    static bool cancel(const std::shared_ptr<State>& self, TimerId id, Wait wait) {
        util::UniqueFunction<void()> victim; // destroyed after the lock is released
        std::unique_lock lock(self->mutex);
        auto it = self->entries.find(id);
        if (id != 0 && self->firing == id) {
            if (it != self->entries.end()) {
                self->entries.erase(it); // an interval timer gets no further tick
            }
            if (wait == Wait::yes && self->firing_thread != std::this_thread::get_id()) {
                self->fired_cv.wait(lock, [&] { return self->firing != id; });
            }
            return false;
        }
        if (it == self->entries.end()) {
            return false;
        }
        victim = std::move(it->second.callback);
        const EventLoop::TimerId loop_timer = it->second.loop_timer;
        self->entries.erase(it);
        if (loop_timer != 0 && !self->stopped) {
            EventLoop* loop = self->loop;
            if (loop->in_loop_thread()) {
                loop->cancel_timer(loop_timer);
            } else {
                // If the loop is closed the stub is dropped with it; either way it finds nothing to run.
                (void)loop->post([loop, loop_timer] { loop->cancel_timer(loop_timer); });
            }
        }
        return true;
    }
};

TimerService::TimerService(LoopSource source)
    : m_state(std::make_shared<State>()), m_source(std::move(source)) {}

TimerService::TimerService(EventLoop& loop) : m_state(std::make_shared<State>()) {
    m_state->loop = &loop;
}

TimerService::~TimerService() {
    stop();
}

util::Result<EventLoop*> TimerService::get_loop() {
    {
        std::lock_guard lock(m_state->mutex);
        if (m_state->stopped) {
            return util::fail(stopped_error());
        }
        if (m_state->loop != nullptr) {
            return m_state->loop;
        }
    }
    // Serialises the source (it may create the loop and its thread); never taken under m_state->mutex.
    std::lock_guard source_lock(m_source_mutex);
    {
        std::lock_guard lock(m_state->mutex);
        if (m_state->loop != nullptr) {
            return m_state->loop;
        }
    }
    if (!m_source) {
        return util::fail(runtime_error(RuntimeErrc::RuntimeShutdown, "the timers have no event loop"));
    }
    auto got = m_source();
    if (!got) {
        return util::fail(std::move(got).error());
    }
    std::lock_guard lock(m_state->mutex);
    if (m_state->loop == nullptr) {
        m_state->loop = *got;
    }
    return m_state->loop;
}

util::Result<TimerService::TimerId> TimerService::add(Clock::time_point deadline, Clock::duration period,
                                                      util::UniqueFunction<void()> callback) {
    util::UniqueFunction<void()> rejected; // destroyed after the lock is released
    auto loop = get_loop();
    if (!loop) {
        rejected = std::move(callback);
        return util::fail(std::move(loop).error());
    }
    std::lock_guard lock(m_state->mutex);
    if (m_state->stopped) {
        rejected = std::move(callback);
        return util::fail(stopped_error());
    }
    const TimerId id = m_state->next_id++;
    auto [it, inserted] = m_state->entries.try_emplace(id);
    (void)inserted;
    it->second.deadline = deadline;
    it->second.period = period;
    it->second.callback = std::move(callback);
    if ((*loop)->in_loop_thread()) {
        State::arm_locked(m_state, it);
        return id;
    }
    bool posted = (*loop)->post([state = m_state, id] {
        std::lock_guard arm_lock(state->mutex);
        auto entry = state->entries.find(id);
        // Gone: cancelled (or stopped) before the loop got here, so it never fires.
        if (entry != state->entries.end() && !state->stopped) {
            State::arm_locked(state, entry);
        }
    });
    if (!posted) {
        rejected = std::move(m_state->entries.find(id)->second.callback);
        m_state->entries.erase(id);
        return util::fail(runtime_error(RuntimeErrc::RuntimeShutdown, "the event loop is closed"));
    }
    return id;
}

util::Result<TimerService::TimerId> TimerService::schedule_at(Clock::time_point deadline,
                                                              util::UniqueFunction<void()> callback) {
    return add(deadline, Clock::duration::zero(), std::move(callback));
}

util::Result<TimerService::TimerId> TimerService::schedule_interval(Clock::time_point first,
                                                                    Clock::duration period,
                                                                    util::UniqueFunction<void()> callback) {
    if (period <= Clock::duration::zero()) {
        return util::fail(util::ErrorKind::invalid_input, "an interval timer needs a positive period");
    }
    return add(first, period, std::move(callback));
}

bool TimerService::cancel(TimerId id, Wait wait) {
    return State::cancel(m_state, id, wait);
}

Future<void> TimerService::sleep_until(Clock::time_point deadline, CancellationToken token) {
    if (token.is_cancelled()) {
        return Future<void>::ready(util::fail(
            runtime_error(RuntimeErrc::CancellationRequested, "sleep cancelled before it started")));
    }
    struct Sleep {
        std::mutex mutex;
        Promise<void> promise;
        bool decided = false;
        TimerId timer = 0;
        CancellationToken::CallbackId registration = 0;

        // True for the one caller that gets to complete the promise.
        bool decide() {
            std::lock_guard lock(mutex);
            return !std::exchange(decided, true);
        }
    };
    // Owned by the timer callback: when stop() drops the timer unrun, the sleep fails instead of hanging.
    struct DropGuard {
        std::shared_ptr<Sleep> sleep;
        explicit DropGuard(std::shared_ptr<Sleep> s) : sleep(std::move(s)) {}
        DropGuard(DropGuard&&) noexcept = default;
        DropGuard& operator=(DropGuard&&) = delete;
        DropGuard(const DropGuard&) = delete;
        DropGuard& operator=(const DropGuard&) = delete;
        ~DropGuard() {
            if (sleep && sleep->decide()) {
                sleep->promise.set_error(
                    runtime_error(RuntimeErrc::RuntimeShutdown, "the timers stopped before the sleep ended"));
            }
        }
    };
    auto sleep = std::make_shared<Sleep>();
    Future<void> result = sleep->promise.future();
    auto timer = schedule_at(deadline, [guard = DropGuard(sleep), token]() mutable {
        Sleep& s = *guard.sleep;
        CancellationToken::CallbackId registration = 0;
        {
            std::lock_guard lock(s.mutex);
            if (std::exchange(s.decided, true)) {
                return;
            }
            registration = s.registration;
        }
        // A cancel callback racing us saw `decided` and returns at once, so this never waits for long.
        token.remove_callback(registration);
        s.promise.set(util::ok());
    });
    if (!timer) {
        return Future<void>::ready(util::fail(std::move(timer).error()));
    }
    {
        std::lock_guard lock(sleep->mutex);
        sleep->timer = *timer;
    }
    std::weak_ptr<State> weak = m_state;
    // Wait::no: the cancel callback must not wait for the timer callback, which may be waiting in
    // remove_callback() for this very callback.
    auto registration = token.on_cancel([weak, sleep] {
        TimerId id = 0;
        {
            std::lock_guard lock(sleep->mutex);
            if (std::exchange(sleep->decided, true)) {
                return;
            }
            id = sleep->timer;
        }
        if (auto state = weak.lock()) {
            State::cancel(state, id, Wait::no);
        }
        sleep->promise.set_error(runtime_error(RuntimeErrc::CancellationRequested, "sleep cancelled"));
    });
    bool finished = false;
    {
        std::lock_guard lock(sleep->mutex);
        finished = sleep->decided;
        sleep->registration = registration;
    }
    if (finished) {
        token.remove_callback(registration); // the timer fired before we registered: nothing to keep
    }
    return result;
}

void TimerService::stop() {
    std::unordered_map<TimerId, State::Entry> dropped; // destroyed after the lock is released
    std::lock_guard lock(m_state->mutex);
    m_state->stopped = true;
    dropped.swap(m_state->entries);
}

std::optional<TimerService::Clock::time_point> TimerService::deadline(TimerId id) const {
    std::lock_guard lock(m_state->mutex);
    auto it = m_state->entries.find(id);
    if (it == m_state->entries.end()) {
        return std::nullopt;
    }
    return it->second.deadline;
}

std::size_t TimerService::count() const {
    std::lock_guard lock(m_state->mutex);
    return m_state->entries.size();
}

} // namespace zsyncctl::core
