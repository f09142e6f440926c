#pragma once

// An allocator for large buffers that are filled once from their start and dropped soon after (a broad
// search's hit references): a request of k_huge_min bytes or more gets whole 2 MiB blocks on a 2 MiB
// boundary, marked MADV_HUGEPAGE, so the kernel backs them with transparent huge pages as they are first
// touched: one fault per 2 MiB instead of one per 4 KiB page. In a VM with shadow page tables a 4 KiB fault
// costs ~12 us and a 2 MiB one ~120 us (bench/README.md), so 500 KiB of references (122 faults, ~1.4 ms)
// take one. Smaller requests use operator new; a mapping that fails is std::bad_alloc, as operator new's.

#include <cstddef>
#include <new>

namespace zsyncctl::util {

namespace detail {
/// Requests from this size on are mapped (below it a huge page would cost more than the pages it saves).
inline constexpr std::size_t k_huge_min = std::size_t(128) << 10;
/// `bytes` (>= k_huge_min) of zeroed memory in 2 MiB-aligned blocks marked MADV_HUGEPAGE; nullptr when
/// the mapping fails.
void* map_huge(std::size_t bytes);
/// Gives back what map_huge(bytes) returned.
void unmap_huge(void* data, std::size_t bytes);
} // namespace detail

/// A std::allocator-like allocator: large requests in transparent huge pages (see above). Stateless; all
/// instances are equal.
template <typename T>
struct HugeAllocator {
    using value_type = T;

    HugeAllocator() = default;
    template <typename U>
    HugeAllocator(const HugeAllocator<U>&) noexcept {}

    T* allocate(std::size_t n) {
        static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "over-aligned types are not mapped");
        const std::size_t bytes = n * sizeof(T);
        if (bytes < detail::k_huge_min) {
            return static_cast<T*>(::operator new(bytes));
        }
        void* p = detail::map_huge(bytes);
        if (p == nullptr) {
            throw std::bad_alloc();
        }
        return static_cast<T*>(p);
    }

    void deallocate(T* p, std::size_t n) noexcept {
        const std::size_t bytes = n * sizeof(T);
        if (bytes < detail::k_huge_min) {
            ::operator delete(p);
        } else {
            detail::unmap_huge(p, bytes);
        }
    }

    template <typename U>
    bool operator==(const HugeAllocator<U>&) const noexcept {
        return true;
    }
};

} // namespace zsyncctl::util
