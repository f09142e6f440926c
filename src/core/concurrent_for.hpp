#pragma once

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <vector>

#include "core/runtime.hpp"

namespace zsyncctl::core {

/// Runs `f(i)` for every i in [0, n) at once on `runtime`'s pool and returns when all have run. The
/// calling thread helps: it runs every index no worker has started yet, so the wait never depends on a
/// free worker (a caller that is itself a pool worker, or a pool smaller than n, cannot deadlock), and
/// without a pool (the blocking model) everything runs in order on the caller. Each index runs exactly
/// once. `f` must be callable from several threads at once; an exception from it on the calling thread is
/// rethrown here after every index has run, one on a worker is dropped (so `f` should not throw).
template <typename F>
void concurrent_for(Runtime& runtime, std::size_t n, F&& f) {
    if (n == 0) {
        return;
    }
    // Who runs an index is decided under the mutex; the caller waits only for indexes a worker took, so a
    // task still queued when everything is done costs nothing (it finds its index taken and never touches
    // `f`, which is why `f` may be borrowed).
    struct Shared {
        std::mutex mutex;
        std::condition_variable idle;
        std::vector<bool> taken;
        std::size_t running = 0;
    };
    auto shared = std::make_shared<Shared>();
    shared->taken.assign(n, false);
    auto take = [](Shared& s, std::size_t i, bool worker) {
        std::lock_guard lock(s.mutex);
        if (s.taken[i]) {
            return false;
        }
        s.taken[i] = true;
        s.running += worker ? 1 : 0;
        return true;
    };
    if (runtime.pool() != nullptr && n > 1) {
        // Index 0 is the caller's own: it starts at once while the workers take the rest.
        for (std::size_t i = 1; i < n; ++i) {
            (void)runtime.spawn([shared, take, i, &f]() {
                if (!take(*shared, i, true)) {
                    return;
                }
                try {
                    f(i);
                } catch (...) { // a worker's exception has nobody to go to (see above)
                }
                std::lock_guard lock(shared->mutex);
                --shared->running;
                shared->idle.notify_all();
            });
        }
    }
    std::exception_ptr failure;
    for (std::size_t i = 0; i < n; ++i) {
        if (!take(*shared, i, false)) {
            continue;
        }
        try {
            f(i);
        } catch (...) {
            if (!failure) {
                failure = std::current_exception();
            }
        }
    }
    {
        std::unique_lock lock(shared->mutex);
        shared->idle.wait(lock, [&] { return shared->running == 0; });
    }
    if (failure) {
        std::rethrow_exception(failure);
    }
}

} // namespace zsyncctl::core
