#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

#include "core/errors.hpp"
#include "core/futex.hpp"
#include "core/spin.hpp"
#include "util/result.hpp"
#include "util/unique_function.hpp"

namespace zsyncctl::core {

namespace detail {

/// FutureState::state bits. A state is written by one promise and read by one consumer (wait, wait_for
/// or on_complete), so the word needs no lock: `k_ready` is set once by the promise after `result` is
/// stored, `k_callback` once by on_complete after `continuation` is stored, and whichever of the two
/// fetch_or()s comes second sees the other bit and runs the continuation. `k_waiting` says a thread sleeps
/// (or is about to) in futex_wait on the word, so only then does the promise make the wake-up syscall.
inline constexpr std::uint32_t k_ready = 1;
inline constexpr std::uint32_t k_callback = 2;
inline constexpr std::uint32_t k_waiting = 4;

/// One future's shared state: no mutex and no condition variable (88 bytes and a lock round trip per
/// side before), which made every spawned task's allocation 336 bytes and cost two mutex round trips on
/// the worker and one on the awaiting thread (bench/bench_runtime's spawn+await-all against boost::asio).
template <typename T>
struct FutureState {
    std::atomic<std::uint32_t> state{0};
    std::optional<util::Result<T>> result;                    // written before k_ready is set
    util::UniqueFunction<void(util::Result<T>)> continuation; // written before k_callback is set

    /// Moves the stored result out (k_ready seen with acquire, by the one consumer).
    util::Result<T> take() {
        util::Result<T> r = std::move(*result);
        result.reset();
        return r;
    }
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
        std::uint32_t seen = state->state.load(std::memory_order_acquire);
        if ((seen & detail::k_ready) != 0) {
            return false;
        }
        if ((seen & detail::k_callback) == 0) {
            state->result.emplace(std::move(result));
            seen = state->state.fetch_or(detail::k_ready, std::memory_order_acq_rel);
            if ((seen & detail::k_callback) == 0) {
                if ((seen & detail::k_waiting) != 0) {
                    detail::futex_wake_all(state->state);
                }
                return true;
            }
            result = state->take(); // on_complete stored its callback meanwhile: it is ours to run
        }
        auto continuation = std::move(state->continuation);
        continuation(std::move(result));
        return true;
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
        return (m_state->state.load(std::memory_order_acquire) & detail::k_ready) != 0;
    }

    /// Blocks until complete and takes the result; FutureAlreadyAwaited when already taken.
    util::Result<T> wait() {
        if (!m_state) {
            return util::fail(runtime_error(RuntimeErrc::FutureAlreadyAwaited));
        }
        auto state = std::move(m_state);
        thread_local detail::AdaptiveSpin spin;
        auto& word = state->state;
        spin.spin([&] { return (word.load(std::memory_order_acquire) & detail::k_ready) != 0; },
                  detail::k_wait_spin);
        std::uint32_t seen = word.load(std::memory_order_acquire);
        while ((seen & detail::k_ready) == 0) {
            if ((seen & detail::k_waiting) == 0 &&
                !word.compare_exchange_weak(seen, seen | detail::k_waiting, std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {
                continue; // `seen` reloaded: maybe ready now
            }
            detail::futex_wait(word, seen | detail::k_waiting);
            seen = word.load(std::memory_order_acquire);
        }
        return state->take();
    }

    /// Waits at most `timeout`; TimeoutExpired leaves the future valid so it can be waited again.
    template <typename Rep, typename Period>
    util::Result<T> wait_for(std::chrono::duration<Rep, Period> timeout) {
        if (!m_state) {
            return util::fail(runtime_error(RuntimeErrc::FutureAlreadyAwaited));
        }
        const auto deadline =
            std::chrono::steady_clock::now() + std::chrono::ceil<std::chrono::nanoseconds>(timeout);
        auto& word = m_state->state;
        std::uint32_t seen = word.load(std::memory_order_acquire);
        while ((seen & detail::k_ready) == 0) {
            const auto left = std::chrono::nanoseconds(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                return util::fail(runtime_error(RuntimeErrc::TimeoutExpired, "future not ready in time"));
            }
            if ((seen & detail::k_waiting) == 0 &&
                !word.compare_exchange_weak(seen, seen | detail::k_waiting, std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {
                continue;
            }
            detail::futex_wait(word, seen | detail::k_waiting, &left);
            seen = word.load(std::memory_order_acquire);
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
        if ((state->state.load(std::memory_order_acquire) & detail::k_ready) == 0) {
            state->continuation = std::move(callback);
            if ((state->state.fetch_or(detail::k_callback, std::memory_order_acq_rel) & detail::k_ready) ==
                0) {
                return true; // the promise runs it when it completes
            }
            callback = std::move(state->continuation); // completed meanwhile: run it here after all
        }
        callback(state->take());
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
