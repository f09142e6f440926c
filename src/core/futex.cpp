#include "core/futex.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <ctime>

namespace zsyncctl::core::detail {

namespace {

// std::atomic<uint32_t> is a plain 32-bit word (checked below), which is what the kernel compares.
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

std::uint32_t* address(const std::atomic<std::uint32_t>& word) {
    return reinterpret_cast<std::uint32_t*>(const_cast<std::atomic<std::uint32_t>*>(&word));
}

// ThreadSanitizer holds an asynchronous signal back until the thread next enters one of its interceptors
// (or is in an intercepted blocking call). A raw futex syscall is neither, so a thread asleep here never ran
// its handler: under TSan, `zsyncctl serve` never saw SIGTERM while its main thread waited. There the
// sleep is cut into slices, each followed by an intercepted nanosleep(0) that delivers what is pending.
#if defined(__SANITIZE_THREAD__)
#define ZSYNCCTL_FUTEX_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ZSYNCCTL_FUTEX_TSAN 1
#endif
#endif

#ifdef ZSYNCCTL_FUTEX_TSAN
constexpr std::chrono::nanoseconds k_tsan_slice = std::chrono::milliseconds(5);
#endif

} // namespace

void futex_wait(const std::atomic<std::uint32_t>& word, std::uint32_t expected,
                const std::chrono::nanoseconds* timeout) {
#ifdef ZSYNCCTL_FUTEX_TSAN
    if (timeout == nullptr || *timeout > k_tsan_slice) {
        timeout = &k_tsan_slice;
    }
#endif
    timespec ts{};
    timespec* tp = nullptr;
    if (timeout != nullptr) {
        if (timeout->count() <= 0) {
            return;
        }
        ts.tv_sec = static_cast<time_t>(timeout->count() / 1000000000);
        ts.tv_nsec = static_cast<long>(timeout->count() % 1000000000);
        tp = &ts;
    }
    // EAGAIN (the word changed), EINTR and ETIMEDOUT all mean "look again": the caller loops.
    syscall(SYS_futex, address(word), FUTEX_WAIT_PRIVATE, expected, tp, nullptr, 0);
#ifdef ZSYNCCTL_FUTEX_TSAN
    timespec zero{};
    nanosleep(&zero, nullptr);
#endif
}

void futex_wake_all(const std::atomic<std::uint32_t>& word) {
    syscall(SYS_futex, address(word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

} // namespace zsyncctl::core::detail
