#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "core/cancellation.hpp"
#include "core/event_loop.hpp"
#include "core/future.hpp"
#include "util/result.hpp"
#include "util/unique_function.hpp"

namespace zsyncctl::core {

/// Monotonic timers driven by an EventLoop: one-shot (schedule_at/after), interval (schedule_every) and
/// sleep futures, with no thread of their own. Callbacks run on the loop thread, one at a time, and must
/// be short and never block (complete a promise, cancel a token, post work).
///
/// Threads: every method may be called from any thread, including from inside a timer callback.
///
/// Cancellation: cancel(id) returning true means the callback will never run (again); false means the id
/// is unknown (a one-shot timer that already ran, an id already cancelled) or its callback is running at
/// that moment. Unless told not to (Wait::no) or called from inside that very callback, cancel() returns
/// only after a running callback has returned, so afterwards the callback is neither running nor ever
/// started again; an interval timer cancelled while a tick runs gets no further tick.
///
/// Shutdown: stop() (and the destructor) drops every pending timer without running it, destroying its
/// callback on the stopping thread; a sleep future then fails with RuntimeShutdown.
class TimerService {
public:
    using Clock = EventLoop::Clock;
    using TimerId = std::uint64_t;
    /// Gives the loop the timers run on; called from any thread on a schedule until it first succeeds.
    using LoopSource = util::UniqueFunction<util::Result<EventLoop*>()>;

    /// Whether cancel() waits for a callback that is running on the loop thread.
    enum class Wait { yes, no };

    /// Timers on the loop that `source` gives, fetched lazily: nothing is created before the first schedule.
    explicit TimerService(LoopSource source);
    /// Timers on `loop`, which must outlive this service or its stop().
    explicit TimerService(EventLoop& loop);
    /// Stops (see stop()).
    ~TimerService();
    TimerService(const TimerService&) = delete;
    TimerService& operator=(const TimerService&) = delete;

    /// Runs `callback` once on the loop thread at `deadline` (on the next loop iteration if it is past);
    /// returns the id for cancel(). Fails with the loop source's error (e.g. IoUringNotAvailable), or
    /// RuntimeShutdown after stop() or once the loop is closed; `callback` is then destroyed unrun.
    util::Result<TimerId> schedule_at(Clock::time_point deadline, util::UniqueFunction<void()> callback);

    /// Like schedule_at(now + delay); fails the same way.
    util::Result<TimerId> schedule_after(Clock::duration delay, util::UniqueFunction<void()> callback) {
        return schedule_at(Clock::now() + delay, std::move(callback));
    }

    /// Runs `callback` at `first`, then every `period` on the grid first + k * period until cancelled: the
    /// next deadline is the previous one plus the period, so lateness never accumulates, and ticks whose
    /// grid point passed while the loop was busy are skipped (never run in a burst). Fails like
    /// schedule_at, and with invalid_input for a period that is not positive.
    util::Result<TimerId> schedule_interval(Clock::time_point first, Clock::duration period,
                                            util::UniqueFunction<void()> callback);

    /// Like schedule_interval(now + period, period, callback); fails the same way.
    util::Result<TimerId> schedule_every(Clock::duration period, util::UniqueFunction<void()> callback) {
        return schedule_interval(Clock::now() + period, period, std::move(callback));
    }

    /// Cancels a timer; see the class comment for what true and false guarantee. Never fails.
    bool cancel(TimerId id, Wait wait = Wait::yes);

    /// A future that completes on the loop thread at `deadline`. It fails with CancellationRequested as soon
    /// as `token` is cancelled (its timer is then cancelled), with RuntimeShutdown when the service stops
    /// first, and with schedule_at's errors.
    Future<void> sleep_until(Clock::time_point deadline, CancellationToken token = {});

    /// Like sleep_until(now + delay, token); fails the same way.
    Future<void> sleep_for(Clock::duration delay, CancellationToken token = {}) {
        return sleep_until(Clock::now() + delay, std::move(token));
    }

    /// Drops every pending timer without running it and refuses later schedules; a callback already running
    /// finishes (it is not waited for). Idempotent; never blocks on the loop.
    void stop();

    /// The deadline of a live timer (inside an interval callback: the tick being run); nullopt when `id` is
    /// unknown (fired one-shot, cancelled, stopped).
    std::optional<Clock::time_point> deadline(TimerId id) const;

    /// Number of live timers: scheduled and not yet fired or cancelled (interval timers until cancelled).
    std::size_t count() const;

private:
    struct State;
    /// The loop, fetched from the source on first use; fails with the source's error or RuntimeShutdown.
    util::Result<EventLoop*> get_loop();
    /// Registers a timer (period zero: one-shot) and arms it on the loop; fails like schedule_at().
    util::Result<TimerId> add(Clock::time_point deadline, Clock::duration period,
                              util::UniqueFunction<void()> callback);

    std::shared_ptr<State> m_state;
    std::mutex m_source_mutex;
    LoopSource m_source; // under m_source_mutex
};

} // namespace zsyncctl::core
