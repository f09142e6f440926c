#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace zsyncctl::core::detail {

/// Sleeps while `word` holds `expected` (process-private futex): returns at once when it differs, on a
/// wake-up, spuriously, or after `timeout` when one is given (negative or zero: no sleep). Callers re-check
/// their condition in a loop.
void futex_wait(const std::atomic<std::uint32_t>& word, std::uint32_t expected,
                const std::chrono::nanoseconds* timeout = nullptr);

/// Wakes every thread sleeping in futex_wait on `word`.
void futex_wake_all(const std::atomic<std::uint32_t>& word);

} // namespace zsyncctl::core::detail
