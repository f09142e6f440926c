#pragma once

#include <chrono>

namespace zsyncctl::core::detail {

/// Busy-waits (with the CPU's pause hint, never holding a lock) until `ready()` is true or `limit` has
/// passed; returns the last `ready()`. For waits that usually end within microseconds, where a futex
/// sleep and wake-up would cost more than the wait itself.
template <typename Ready>
bool spin_until(Ready ready, std::chrono::nanoseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!ready()) {
        for (int i = 0; i < 32; ++i) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#elif defined(__aarch64__)
            asm volatile("yield");
#endif
        }
        if (std::chrono::steady_clock::now() >= until) {
            return ready();
        }
    }
    return true;
}

} // namespace zsyncctl::core::detail
