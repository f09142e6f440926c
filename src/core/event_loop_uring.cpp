#include "core/event_loop_uring_internal.hpp"

#include <sys/mman.h>
#include <sys/utsname.h>

#include <cstdio>

namespace zsyncctl::core {

namespace uring {

namespace {

/// True on Linux 6.0 and later, which has multishot receives (provided-buffer rings came in 5.19).
bool kernel_has_multishot_recv() {
    utsname u{};
    int major = 0;
    int minor = 0;
    return ::uname(&u) == 0 && std::sscanf(u.release, "%d.%d", &major, &minor) == 2 && major >= 6;
}

} // namespace

void UringLoop::setup_buffer_ring() {
    // Kernels before 6.0 (no multishot receive), and those that refuse the registration (before 5.19, or
    // a seccomp filter): receives then take the readiness path of the base class.
    static const bool multishot = kernel_has_multishot_recv();
    if (!multishot) {
        return;
    }
    m_buffer_ring_bytes = k_buffers * sizeof(io_uring_buf);
    void* mem =
        ::mmap(nullptr, m_buffer_ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) {
        return;
    }
    auto* ring = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<std::uint64_t>(ring);
    reg.ring_entries = k_buffers;
    reg.bgid = k_buffer_group;
    if (io_uring_register_buf_ring(&m_ring, &reg, 0) != 0) {
        ::munmap(mem, m_buffer_ring_bytes);
        return;
    }
    // The buffers in 2 MiB pages where the kernel has them (transparent huge pages on madvise): the ring
    // hands them out in turn, so every receive lands in another of the 1024 4 KiB pages and both its copy
    // (the kernel's) and its parse missed the TLB (on a VM a nested page walk). Mapped lazily: nothing is
    // resident before the first receive.
    const std::size_t bytes = std::size_t{k_buffers} * k_buffer_size;
    constexpr std::size_t huge = std::size_t{2} << 20;
    void* area = ::mmap(nullptr, bytes + huge, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (area == MAP_FAILED) {
        (void)io_uring_unregister_buf_ring(&m_ring, k_buffer_group);
        ::munmap(mem, m_buffer_ring_bytes);
        return;
    }
    // Keep the 2 MiB-aligned part; give back the rest.
    auto* raw = static_cast<char*>(area);
    const std::size_t head = (huge - reinterpret_cast<std::uintptr_t>(raw) % huge) % huge;
    if (head > 0) {
        ::munmap(raw, head);
    }
    if (huge - head > 0) {
        ::munmap(raw + head + bytes, huge - head);
    }
    ::madvise(raw + head, bytes, MADV_HUGEPAGE);
    m_buffers = std::unique_ptr<char[], Unmap>(raw + head, Unmap{bytes});
    io_uring_buf_ring_init(ring);
    for (unsigned i = 0; i < k_buffers; ++i) {
        io_uring_buf_ring_add(ring, m_buffers.get() + std::size_t{i} * k_buffer_size, k_buffer_size,
                              static_cast<unsigned short>(i), io_uring_buf_ring_mask(k_buffers),
                              static_cast<int>(i));
    }
    io_uring_buf_ring_advance(ring, static_cast<int>(k_buffers));
    m_buffer_ring = ring;
}

} // namespace uring

namespace detail {

util::Result<std::unique_ptr<EventLoop>> make_uring_loop(LoopUse use) {
    auto loop = std::make_unique<uring::UringLoop>();
    if (auto ready = loop->init(use); !ready) {
        return util::fail(std::move(ready).error());
    }
    return std::unique_ptr<EventLoop>(std::move(loop));
}

} // namespace detail

} // namespace zsyncctl::core
