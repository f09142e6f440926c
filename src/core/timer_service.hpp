#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "util/unique_function.hpp"

namespace zsyncctl::core {

/// Monotonic one-shot timers. One background thread, started on the first schedule() and woken by a
/// condition variable at the next deadline (no polling). Callbacks run on that thread and must be short
/// (complete a promise, cancel a token). Thread-safe. A cancelled timer never fires.
class TimerService {
public:
    using Clock = std::chrono::steady_clock;
    using TimerId = std::uint64_t;

    TimerService();
    /// Stops the thread; timers that have not fired are dropped without running.
    ~TimerService();
    TimerService(const TimerService&) = delete;
    TimerService& operator=(const TimerService&) = delete;

    /// Runs `callback` once at `deadline`; returns an id for cancel(), or 0 after stop().
    TimerId schedule_at(Clock::time_point deadline, util::UniqueFunction<void()> callback);

    /// Runs `callback` once after `delay`.
    TimerId schedule_after(Clock::duration delay, util::UniqueFunction<void()> callback) {
        return schedule_at(Clock::now() + delay, std::move(callback));
    }

    /// Cancels a pending timer; true when it had not fired. When it returns false the callback has
    /// already finished, unless it is cancelling itself from inside its own callback.
    bool cancel(TimerId id);

    /// Drops every pending timer and joins the thread; idempotent.
    void stop();

    /// True while the background thread exists.
    bool running() const;

private:
    struct State;
    std::shared_ptr<State> m_state;
};

} // namespace zsyncctl::core
