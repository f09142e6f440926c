#pragma once

#include <algorithm>
#include <chrono>

#include <sched.h>

namespace zsyncctl::core::detail {

/// `count` times the CPU's pause hint (spin-wait loops: it saves power and lets a sibling hyperthread run).
inline void pause_hints(int count) {
    for (int i = 0; i < count; ++i) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        asm volatile("yield");
#endif
    }
}

/// Whether a spin gives up the CPU between its probes (see spin_yielding_until).
enum class SpinYield { no, yes };

/// spin_until and spin_yielding_until.
template <SpinYield Yield, typename Ready>
bool spin_probing(Ready ready, std::chrono::nanoseconds limit) {
    if (ready()) {
        return true; // the common case: no clock read (5.6 % of the awaiting thread in spawn+await-all)
    }
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!ready()) {
        pause_hints(32);
        if constexpr (Yield == SpinYield::yes) {
            ::sched_yield();
        }
        if (std::chrono::steady_clock::now() >= until) {
            return ready();
        }
    }
    return true;
}

/// Busy-waits (with the CPU's pause hint, never holding a lock) until `ready()` is true or `limit` has
/// passed; returns the last `ready()`. For waits that usually end within microseconds, where a futex
/// sleep and wake-up would cost more than the wait itself.
template <typename Ready>
bool spin_until(Ready ready, std::chrono::nanoseconds limit) {
    return spin_probing<SpinYield::no>(ready, limit);
}

/// Like spin_until, but gives up the CPU (sched_yield) between probes. For a thread waiting on work that
/// another thread produces when there are more runnable threads than CPUs: if the scheduler put the
/// producer on this CPU, a plain spin only takes its time slice, so the wait outlasts the spin and the
/// producer falls behind. The pool's idle worker spins this way: in bench_runtime's submit+complete with the
/// submitting thread and one worker pinned to the same CPU, a plain spin gave 1,880-2,530 ktask/s, a
/// yielding one 3,890-5,500 (the other placements were as fast or faster). On an idle CPU sched_yield
/// returns at once (a syscall's cost per probe).
template <typename Ready>
bool spin_yielding_until(Ready ready, std::chrono::nanoseconds limit) {
    return spin_probing<SpinYield::yes>(ready, limit);
}

/// Locks `lock` (a std::unique_lock, unlocked), trying a few times with the pause hint before blocking: for a
/// mutex held only across a few instructions (the pool's queue), the holder releases it within that time,
/// and a blocked lock costs a futex wait and, on unlock, a futex wake (73 % of the pool's futex calls in
/// bench_runtime's spawn+await-all were such contention, glibc's default mutex never spins).
template <typename Lock>
void lock_spinning(Lock& lock) {
    for (int attempt = 0; attempt < 16; ++attempt) {
        if (lock.try_lock()) {
            return;
        }
        pause_hints(16);
    }
    lock.lock();
}

} // namespace zsyncctl::core::detail

namespace zsyncctl::core::detail {

/// A spin budget that adapts to whether spinning pays, kept per thread: a wait that ended within its
/// spin doubles the budget (up to `max`), one that had to sleep halves it. When the CPUs are
/// oversubscribed the thread that would complete the wait is often not running, so spinning only delays
/// it (bench/bench_runtime at load 30: 87 us per await with a fixed 30 us spin, 6 us without); the
/// budget then falls to zero, and every 64th wait probes again with the smallest budget.
class AdaptiveSpin {
public:
    /// Spins on `ready()` for at most the current budget; returns `ready()`'s last value.
    template <typename Ready>
    bool spin(Ready ready, std::chrono::microseconds max) {
        if (m_budget_us == 0) {
            if (++m_skipped % 64 != 0) {
                return ready();
            }
            m_budget_us = 1;
        }
        const bool ok = spin_until(ready, std::chrono::microseconds(m_budget_us));
        if (ok) {
            m_budget_us = std::min<long>(m_budget_us * 2, max.count());
        } else {
            m_budget_us /= 2;
        }
        return ok;
    }

private:
    long m_budget_us = 1;
    unsigned m_skipped = 0;
};

} // namespace zsyncctl::core::detail
