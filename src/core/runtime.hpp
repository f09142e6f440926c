#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>

#include "core/cancellation.hpp"
#include "core/config.hpp"
#include "core/event_loop.hpp"
#include "core/future.hpp"
#include "core/thread_pool.hpp"
#include "core/timer_service.hpp"
#include "util/result.hpp"

namespace zsyncctl::core {

/// The embedded runtime: a worker pool (or none, for the blocking model), an event loop with its timers
/// (both created on first use), and the root cancellation token. run() executes the main task on the calling
/// thread and then shuts everything down and joins it, so a program can never hang after its main task
/// returns (unless keep_alive). spawn() is thread-safe; run() and shutdown() belong to the thread that owns
/// the runtime.
class Runtime {
public:
    /// Validates `config` and starts the pool for the thread_pool model. Fails with ConfigurationError
    /// (the findings in the message) or ThreadPoolExhausted.
    static util::Result<std::unique_ptr<Runtime>> create(Config config);

    Runtime(const Runtime&) = delete;
    Runtime& operator=(const Runtime&) = delete;
    /// Shuts down (see shutdown()); never blocks past the drain timeout.
    ~Runtime();

    /// Runs `main(*this)` on this thread, then shuts down unless keep_alive. Returns the task's result
    /// (a plain value is wrapped, an exception becomes an internal error); AlreadyRunning when nested.
    template <typename F>
    auto run(F main) {
        using Raw = std::invoke_result_t<F&, Runtime&>;
        using U = util::result_value_t<Raw>;
        if (m_running.exchange(true)) {
            return util::Result<U>(util::Failure{runtime_error(RuntimeErrc::AlreadyRunning)});
        }
        auto bound = [&] {
            return main(*this);
        };
        util::Result<U> result = invoke_to_result(bound);
        m_running = false;
        if (!m_config.keep_alive) {
            shutdown();
        }
        return result;
    }

    /// Runs `f()` directly with no pool, no loop thread, no runtime at all: for --help, --version and
    /// other commands that need no concurrency.
    template <typename F>
    static auto run_simple(F f) {
        return invoke_to_result(f);
    }

    /// Runs `f()` (or `f(token)` if it takes a CancellationToken) on the pool, or inline for the blocking
    /// model. If `token` is already cancelled when the task would start, it does not run and the future
    /// fails with CancellationRequested. After shutdown the future fails with RuntimeShutdown.
    template <typename F>
    auto spawn(F f, CancellationToken token) {
        auto call = [fn = std::move(f), token]() mutable {
            if constexpr (std::is_invocable_v<F&, CancellationToken>) {
                return fn(token);
            } else {
                return fn();
            }
        };
        return submit_call(std::move(call), &token);
    }

    /// Runs `f()` on the pool (or inline for the blocking model) with no cancellation token; a task that
    /// takes a CancellationToken gets a fresh one. After shutdown the future fails with RuntimeShutdown.
    template <typename F>
    auto spawn(F f) {
        if constexpr (std::is_invocable_v<F&, CancellationToken>) {
            return spawn(std::move(f), CancellationToken());
        } else {
            // No token: saves allocating one per task on the hot path.
            return submit_call(std::move(f), nullptr);
        }
    }

    /// Timers for sleeps, deadlines, intervals and timeouts, run on loop(); the loop (and its thread) is
    /// created by the first schedule, whose errors are loop()'s. Thread-safe.
    TimerService& timers() { return m_timers; }

    /// The root cancellation token; cancelled by shutdown().
    const CancellationToken& token() const { return m_token; }

    /// The validated configuration.
    const Config& config() const { return m_config; }

    /// The pool, or nullptr for the blocking model.
    ThreadPool* pool() { return m_pool.get(); }

    /// The event loop, created on the first call for config().io_backend and run on one dedicated loop
    /// thread until shutdown(). Thread-safe. Fails with IoUringNotAvailable (the probe's reason) when
    /// io_uring was forced where it cannot work, RuntimeShutdown after shutdown(), and with the backend's
    /// error or ThreadPoolExhausted when the loop or its thread cannot be created (retried on the next call).
    util::Result<EventLoop*> loop();

    /// Cancels the root token, stops the timers (pending ones are dropped unrun) and the loop thread
    /// (joined; watches, timers and tasks still on the loop are dropped, which abandons their promises),
    /// drains the pool until the drain timeout and joins its workers. Idempotent.
    ShutdownReport shutdown();

private:
    // Wraps `call` with a promise and queues it (or runs it inline without a pool). `token`, when given,
    // is checked just before the call runs.
    template <typename Call>
    auto submit_call(Call call, const CancellationToken* token) {
        using Raw = std::invoke_result_t<Call&>;
        using U = util::result_value_t<Raw>;
        Promise<U> promise;
        Future<U> future = promise.future();
        std::optional<CancellationToken> check;
        if (token != nullptr) {
            check = *token;
        }
        auto task = [p = std::move(promise), c = std::move(call), check = std::move(check)]() mutable {
            if (check && check->is_cancelled()) {
                p.set_error(runtime_error(RuntimeErrc::CancellationRequested, "cancelled before it started"));
                return;
            }
            p.set(invoke_to_result(c));
        };
        if (m_pool == nullptr) {
            if (m_shut_down.load()) {
                return Future<U>::ready(util::Failure{runtime_error(RuntimeErrc::RuntimeShutdown)});
            }
            task();
            return future;
        }
        if (auto submitted = m_pool->submit(std::move(task)); !submitted) {
            // The failed submit destroyed the task, which abandoned its promise; report the submit error
            // itself through a fresh ready future.
            return Future<U>::ready(util::Failure{submitted.error()});
        }
        return future;
    }

    explicit Runtime(Config config);
    /// Closes the loop and joins its thread; returns the closed loop for the caller to destroy (null when
    /// there was none, or when called from the loop's own thread, which keeps running it).
    std::unique_ptr<EventLoop> stop_loop();
    Config m_config;
    std::unique_ptr<ThreadPool> m_pool;
    TimerService m_timers;
    CancellationToken m_token;
    std::atomic<bool> m_running{false};
    std::atomic<bool> m_shut_down{false};
    std::mutex m_loop_mutex;
    std::unique_ptr<EventLoop> m_loop;
    std::thread m_loop_thread;
};

} // namespace zsyncctl::core
