#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include "core/errors.hpp"
#include "core/futex.hpp"
#include "core/spin.hpp"
#include "util/result.hpp"
#include "util/unique_function.hpp"

namespace zsyncctl::core {

namespace detail {

/// FutureState::m_word bits. A state has one writer (the promise) and one consumer (wait, wait_for or
/// on_complete), and the result and the consumer's callback share one slot: whichever side comes first
/// claims the slot (k_claimed, one compare-exchange), writes it, and publishes k_ready or k_callback; the
/// other side waits for that bit (a few instructions, unless the writer is preempted) and then runs the
/// callback with the result. `k_waiting` says a thread sleeps (or is about to) in futex_wait on the word,
/// so only then does publishing make the wake-up syscall. `k_consumed`: the slot was moved out.
inline constexpr std::uint32_t k_claimed = 1;
inline constexpr std::uint32_t k_ready = 2;
inline constexpr std::uint32_t k_callback = 4;
inline constexpr std::uint32_t k_waiting = 8;
inline constexpr std::uint32_t k_consumed = 16;

/// How long a side that found the slot claimed by the other spins before sleeping on the word.
inline constexpr std::chrono::microseconds k_claim_spin{20};

/// One future's shared state: a state word and one slot, no mutex and no condition variable. It was a
/// mutex, a condition variable, an optional result and a callback (336 bytes allocated per spawned task,
/// two lock round trips on the worker and one on the awaiting thread); it is now 128 bytes, which is
/// where bench/bench_runtime's spawn+await-all lost to boost::asio (page faults and cache misses on the
/// spawning thread).
template <typename T>
class FutureState {
public:
    using Callback = util::UniqueFunction<void(util::Result<T>)>;

    /// An empty state: nothing claimed, the slot unconstructed.
    FutureState() {}
    FutureState(const FutureState&) = delete;
    FutureState& operator=(const FutureState&) = delete;
    /// Destroys what the slot still holds (a result nobody took, a callback that never ran).
    ~FutureState() {
        const std::uint32_t word = m_word.load(std::memory_order_acquire);
        if ((word & k_consumed) != 0) {
            return;
        }
        if ((word & k_ready) != 0) {
            std::destroy_at(&m_slot.result);
        } else if ((word & k_callback) != 0) {
            std::destroy_at(&m_slot.callback);
        }
    }

    /// The promise's side, once: stores the result, or runs the consumer's callback with it when that
    /// came first. Returns false when the state already holds a result.
    bool complete(util::Result<T>&& result) {
        std::uint32_t word = m_word.load(std::memory_order_acquire);
        while (true) {
            if ((word & k_ready) != 0) {
                return false;
            }
            if ((word & k_callback) != 0) {
                Callback callback = std::move(m_slot.callback);
                std::destroy_at(&m_slot.callback);
                m_word.fetch_or(k_consumed, std::memory_order_release);
                callback(std::move(result));
                return true;
            }
            if ((word & k_claimed) != 0) {
                word = await_bit(k_callback, k_claim_spin, nullptr); // on_complete is storing it
                continue;
            }
            if (m_word.compare_exchange_weak(word, word | k_claimed, std::memory_order_acq_rel,
                                             std::memory_order_acquire)) {
                break;
            }
        }
        ::new (static_cast<void*>(&m_slot.result)) util::Result<T>(std::move(result));
        publish(k_ready);
        return true;
    }

    /// The consumer's side, once: runs `callback` now when the result is there, else stores it for
    /// complete() to run.
    void on_complete(Callback&& callback) {
        std::uint32_t word = m_word.load(std::memory_order_acquire);
        while (true) {
            if ((word & k_ready) != 0) {
                callback(take());
                return;
            }
            if ((word & k_claimed) != 0) {
                word = await_bit(k_ready, k_claim_spin, nullptr); // complete() is storing the result
                continue;
            }
            if (m_word.compare_exchange_weak(word, word | k_claimed, std::memory_order_acq_rel,
                                             std::memory_order_acquire)) {
                break;
            }
        }
        ::new (static_cast<void*>(&m_slot.callback)) Callback(std::move(callback));
        publish(k_callback);
    }

    /// True once the result is stored.
    bool ready() const { return (m_word.load(std::memory_order_acquire) & k_ready) != 0; }

    /// Waits until ready() (after an optional spin of up to `spin`), or until `timeout` passed when one
    /// is given; returns ready().
    bool await_ready(std::chrono::microseconds spin, const std::chrono::nanoseconds* timeout) {
        return (await_bit(k_ready, spin, timeout) & k_ready) != 0;
    }

    /// Moves the result out; only after ready(), by the one consumer.
    util::Result<T> take() {
        util::Result<T> result = std::move(m_slot.result);
        std::destroy_at(&m_slot.result);
        m_word.fetch_or(k_consumed, std::memory_order_release);
        return result;
    }

private:
    void publish(std::uint32_t bit) {
        if ((m_word.fetch_or(bit, std::memory_order_acq_rel) & k_waiting) != 0) {
            futex_wake_all(m_word);
        }
    }

    // Returns the word once it has `bit`, or when `timeout` (if given) has passed; spins up to `spin` first.
    std::uint32_t await_bit(std::uint32_t bit, std::chrono::microseconds spin,
                            const std::chrono::nanoseconds* timeout) {
        if (spin.count() > 0) {
            spin_until([&] { return (m_word.load(std::memory_order_acquire) & bit) != 0; }, spin);
        }
        std::chrono::steady_clock::time_point deadline{};
        if (timeout != nullptr) {
            deadline = std::chrono::steady_clock::now() + *timeout;
        }
        std::uint32_t word = m_word.load(std::memory_order_acquire);
        while ((word & bit) == 0) {
            std::chrono::nanoseconds left{0};
            if (timeout != nullptr) {
                left = deadline - std::chrono::steady_clock::now();
                if (left.count() <= 0) {
                    return word;
                }
            }
            if ((word & k_waiting) == 0 &&
                !m_word.compare_exchange_weak(word, word | k_waiting, std::memory_order_acq_rel,
                                              std::memory_order_acquire)) {
                continue; // `word` reloaded: maybe the bit is there now
            }
            futex_wait(m_word, word | k_waiting, timeout != nullptr ? &left : nullptr);
            word = m_word.load(std::memory_order_acquire);
        }
        return word;
    }

    // The result or the callback, never both; which one is live is told by m_word.
    union Slot {
        Slot() {}
        ~Slot() {}
        util::Result<T> result; // live from k_ready until k_consumed
        Callback callback;      // live from k_callback until k_consumed
    };

    std::atomic<std::uint32_t> m_word{0};
    Slot m_slot;
};

/// The most Future::wait() spins for a result before it sleeps on the state word's futex (the budget
/// adapts per thread, detail::AdaptiveSpin): a short task on the pool completes within this, and the wait
/// then costs no futex wait and wake-up on either side (bench/bench_runtime's await latency, where a
/// sleep-first wait lost to boost::asio).
inline constexpr std::chrono::microseconds k_wait_spin{30};

/// Turns the exception in flight into an `internal` error, so nothing escapes a task.
inline util::Error current_exception_error() {
    try {
        throw;
    } catch (const std::exception& e) {
        return util::make_error(util::ErrorKind::internal, std::string("task threw: ") + e.what());
    } catch (...) {
        return util::make_error(util::ErrorKind::internal, "task threw a non-standard exception");
    }
}

} // namespace detail

template <typename T>
class Future;

/// The writing end of a Future. Move-only; set_value/set_error may be called from any thread, once.
/// A promise destroyed without a value completes its future with RuntimeShutdown.
template <typename T>
class Promise {
public:
    Promise() : m_state(std::make_shared<detail::FutureState<T>>()) {}
    Promise(Promise&&) noexcept = default;
    Promise& operator=(Promise&& other) noexcept {
        if (this != &other) {
            abandon();
            m_state = std::move(other.m_state);
        }
        return *this;
    }
    Promise(const Promise&) = delete;
    Promise& operator=(const Promise&) = delete;
    ~Promise() { abandon(); }

    /// The future bound to this promise; call once.
    Future<T> future() { return Future<T>(m_state); }

    /// Completes the future; returns false when it was already completed.
    bool set(util::Result<T> result) {
        if (!m_state) {
            return false;
        }
        auto state = std::move(m_state);
        return state->complete(std::move(result));
    }

    /// Completes the future with an error; returns false when it was already completed.
    bool set_error(util::Error error) { return set(util::fail(std::move(error))); }

    /// True while this promise still owns an uncompleted state.
    bool valid() const { return m_state != nullptr; }

private:
    void abandon() {
        if (m_state) {
            set(util::fail(
                runtime_error(RuntimeErrc::RuntimeShutdown, "a task was dropped before it completed")));
        }
    }
    std::shared_ptr<detail::FutureState<T>> m_state;
};

/// The reading end of an asynchronous result. Move-only; a Future is awaited once: the first wait()
/// (or then/on_complete) takes the result and a second one fails with FutureAlreadyAwaited.
/// A Future may be waited on from any thread, but one Future object by one thread at a time.
template <typename T>
class Future {
public:
    using value_type = T;

    Future() = default;
    Future(Future&&) noexcept = default;
    Future& operator=(Future&&) noexcept = default;
    Future(const Future&) = delete;
    Future& operator=(const Future&) = delete;

    /// A future that is already complete.
    static Future ready(util::Result<T> result) {
        Promise<T> promise;
        Future f = promise.future();
        promise.set(std::move(result));
        return f;
    }

    /// True when this future still holds a result (or will): not yet awaited.
    bool valid() const { return m_state != nullptr; }

    /// True when the result is available now.
    bool is_ready() const {
        if (!m_state) {
            return false;
        }
        return m_state->ready();
    }

    /// Blocks until complete and takes the result; FutureAlreadyAwaited when already taken.
    util::Result<T> wait() {
        if (!m_state) {
            return util::fail(runtime_error(RuntimeErrc::FutureAlreadyAwaited));
        }
        auto state = std::move(m_state);
        thread_local detail::AdaptiveSpin spin;
        spin.spin([&] { return state->ready(); }, detail::k_wait_spin);
        state->await_ready(std::chrono::microseconds(0), nullptr);
        return state->take();
    }

    /// Waits at most `timeout`; TimeoutExpired leaves the future valid so it can be waited again.
    template <typename Rep, typename Period>
    util::Result<T> wait_for(std::chrono::duration<Rep, Period> timeout) {
        if (!m_state) {
            return util::fail(runtime_error(RuntimeErrc::FutureAlreadyAwaited));
        }
        const auto limit = std::chrono::ceil<std::chrono::nanoseconds>(timeout);
        if (!m_state->await_ready(std::chrono::microseconds(0), &limit)) {
            return util::fail(runtime_error(RuntimeErrc::TimeoutExpired, "future not ready in time"));
        }
        auto state = std::move(m_state);
        return state->take();
    }

    /// Takes the future and runs `callback(result)` once it completes: inline now if it already has,
    /// otherwise on the completing thread. Returns false (callback never runs) when already awaited.
    bool on_complete(util::UniqueFunction<void(util::Result<T>)> callback) {
        if (!m_state) {
            return false;
        }
        auto state = std::move(m_state);
        state->on_complete(std::move(callback));
        return true;
    }

    /// Chains `f(Result<T>)` (returning U or Result<U>); the returned future completes with its value.
    /// An exception from `f` becomes an internal error. An already-awaited future gives FutureAlreadyAwaited.
    template <typename F>
    auto then(F f) {
        using Raw = std::invoke_result_t<F&, util::Result<T>>;
        using U = util::result_value_t<Raw>;
        Promise<U> promise;
        Future<U> next = promise.future();
        auto callback = [p = std::move(promise), fn = std::move(f)](util::Result<T> r) mutable {
            try {
                if constexpr (util::is_result_v<Raw>) {
                    p.set(fn(std::move(r)));
                } else if constexpr (std::is_void_v<Raw>) {
                    fn(std::move(r));
                    p.set(util::ok());
                } else {
                    p.set(util::Result<U>(fn(std::move(r))));
                }
            } catch (...) {
                p.set_error(detail::current_exception_error());
            }
        };
        if (!on_complete(std::move(callback))) {
            return Future<U>::ready(util::fail(runtime_error(RuntimeErrc::FutureAlreadyAwaited)));
        }
        return next;
    }

private:
    friend class Promise<T>;
    explicit Future(std::shared_ptr<detail::FutureState<T>> state) : m_state(std::move(state)) {}
    std::shared_ptr<detail::FutureState<T>> m_state;
};

/// Runs `f()` and returns its outcome as a Result: a plain value is wrapped, a Result passed through, an
/// exception turned into an internal error.
template <typename F>
auto invoke_to_result(F& f) {
    using Raw = std::invoke_result_t<F&>;
    using U = util::result_value_t<Raw>;
    try {
        if constexpr (util::is_result_v<Raw>) {
            return util::Result<U>(f());
        } else if constexpr (std::is_void_v<Raw>) {
            f();
            return util::Result<void>();
        } else {
            return util::Result<U>(f());
        }
    } catch (...) {
        return util::Result<U>(util::Failure{detail::current_exception_error()});
    }
}

} // namespace zsyncctl::core
