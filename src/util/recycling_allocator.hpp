#pragma once

// A per-thread free list of single-object blocks, for objects made and dropped at a high rate on one
// thread (the HTTP server's per-request exchange, through std::allocate_shared): a block freed goes back
// to the freeing thread's list and the next allocation of that size takes it, with no call to malloc.

#include <cstddef>
#include <new>
#include <vector>

namespace zsyncctl::util {

namespace detail {

/// The free blocks of one size on this thread; the blocks are released when the thread ends.
template <std::size_t Size, std::size_t Align>
struct RecyclingPool {
    /// Blocks kept at most; more are given back to the heap.
    static constexpr std::size_t k_max_blocks = 4096;
    std::vector<void*> blocks;
    ~RecyclingPool() {
        for (void* p : blocks) {
            ::operator delete (p, std::align_val_t{Align});
        }
        blocks.clear();
        gone() = true;
    }
    /// True once this thread's pool was destroyed (thread exit): blocks freed later go to the heap.
    static bool& gone() {
        thread_local bool value = false;
        return value;
    }
    /// This thread's pool.
    static RecyclingPool& mine() {
        thread_local RecyclingPool pool;
        return pool;
    }
};

} // namespace detail

/// A std::allocator replacement that recycles single-object allocations through a per-thread free list
/// (arrays go straight to the heap). Stateless: any instance frees what another allocated.
template <typename T>
struct RecyclingAllocator {
    using value_type = T;
    RecyclingAllocator() noexcept = default;
    /// Rebinding (allocate_shared allocates its control block through a rebound copy).
    template <typename U>
    RecyclingAllocator(const RecyclingAllocator<U>& /*other*/) noexcept {}

    /// Storage for `n` objects: a recycled block when `n` is 1 and one is free.
    T* allocate(std::size_t n) {
        using Pool = detail::RecyclingPool<sizeof(T), alignof(T)>;
        if (n == 1 && !Pool::gone()) {
            Pool& pool = Pool::mine();
            if (!pool.blocks.empty()) {
                void* p = pool.blocks.back();
                pool.blocks.pop_back();
                return static_cast<T*>(p);
            }
        }
        return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{alignof(T)}));
    }

    /// Gives `p` back: to this thread's free list when it is a single object and the list has room.
    void deallocate(T* p, std::size_t n) noexcept {
        using Pool = detail::RecyclingPool<sizeof(T), alignof(T)>;
        if (n == 1 && !Pool::gone()) {
            Pool& pool = Pool::mine();
            if (pool.blocks.size() < Pool::k_max_blocks) {
                try {
                    pool.blocks.push_back(p);
                    return;
                } catch (...) {
                    // no room for the pointer: free the block instead
                }
            }
        }
        ::operator delete (p, std::align_val_t{alignof(T)});
    }

    /// Every instance is interchangeable.
    template <typename U>
    bool operator==(const RecyclingAllocator<U>& /*other*/) const noexcept {
        return true;
    }
};

} // namespace zsyncctl::util
