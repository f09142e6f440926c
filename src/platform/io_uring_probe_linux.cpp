#include "platform/io_uring_probe.hpp"

#include <cerrno>
#include <cstring>

#ifdef ZSYNCCTL_HAVE_IO_URING
#include <liburing.h>

#include <cstdlib>
#endif

namespace zsyncctl::platform {

namespace {

#ifdef ZSYNCCTL_HAVE_IO_URING
std::string cause_of(int err) {
    switch (err) {
    case EPERM:
        return "blocked by seccomp, a container policy, or the kernel.io_uring_disabled sysctl";
    case ENOSYS:
        return "the kernel has no io_uring (too old, or built without it)";
    case ENOMEM:
        return "not enough locked memory for the ring (raise ulimit -l)";
    case EINVAL:
        return "the kernel rejected the ring setup (too old for it)";
    case EOPNOTSUPP:
        return "io_uring is not supported here";
    case EMFILE:
    case ENFILE:
        return "out of file descriptors";
    default:
        return std::strerror(err);
    }
}

std::string step_failed(std::string_view step, int err) {
    return std::string(step) + " failed: " + errno_name(err) + " (" + cause_of(err) + ")";
}

struct Opcode {
    int op;
    const char* name;
};
constexpr Opcode k_needed[] = {
    {IORING_OP_NOP, "NOP"},
    {IORING_OP_POLL_ADD, "POLL_ADD"},
    {IORING_OP_POLL_REMOVE, "POLL_REMOVE"},
    {IORING_OP_TIMEOUT, "TIMEOUT"},
    {IORING_OP_TIMEOUT_REMOVE, "TIMEOUT_REMOVE"},
    {IORING_OP_READ, "READ"},
};
#endif

} // namespace

IoUringProbe probe_io_uring() {
    IoUringProbe probe;
#ifndef ZSYNCCTL_HAVE_IO_URING
    probe.reason = "this build has no io_uring support (liburing was not found at build time)";
    return probe;
#else
    probe.ran = true;
    io_uring ring{};
    int r = io_uring_queue_init(8, &ring, 0);
    if (r < 0) {
        probe.error_number = -r;
        probe.reason = step_failed("io_uring_queue_init", -r);
        return probe;
    }
    probe = probe_io_uring_on(ring);
    io_uring_queue_exit(&ring);
    return probe;
#endif
}

#ifdef ZSYNCCTL_HAVE_IO_URING
IoUringProbe probe_io_uring_on(::io_uring& ring) {
    IoUringProbe probe;
    probe.ran = true;
    constexpr unsigned k_ops = 256;
    auto* p = static_cast<io_uring_probe*>(
        std::calloc(1, sizeof(io_uring_probe) + k_ops * sizeof(io_uring_probe_op)));
    if (p == nullptr) {
        probe.error_number = ENOMEM;
        probe.reason = step_failed("allocating the opcode probe", ENOMEM);
        return probe;
    }
    int r = io_uring_register_probe(&ring, p, k_ops);
    if (r < 0) {
        std::free(p);
        probe.error_number = -r;
        probe.reason = step_failed("IORING_REGISTER_PROBE", -r);
        return probe;
    }
    for (const Opcode& op : k_needed) {
        if (!io_uring_opcode_supported(p, op.op)) {
            probe.missing_opcodes.emplace_back(op.name);
        }
    }
    std::free(p);
    if (!probe.missing_opcodes.empty()) {
        probe.error_number = EOPNOTSUPP;
        probe.reason = "the kernel lacks io_uring opcodes the loop needs:";
        for (const auto& name : probe.missing_opcodes) {
            probe.reason += " " + name;
        }
        return probe;
    }
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_nop(sqe);
    io_uring_sqe_set_data64(sqe, 0x5a5a);
    r = io_uring_submit(&ring);
    if (r < 0) {
        probe.error_number = -r;
        probe.reason = step_failed("submitting a NOP", -r);
        return probe;
    }
    io_uring_cqe* cqe = nullptr;
    __kernel_timespec ts{};
    ts.tv_sec = 1;
    r = io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
    if (r < 0) {
        probe.error_number = -r;
        probe.reason = step_failed("waiting for the NOP completion", -r);
        return probe;
    }
    bool good = cqe->user_data == 0x5a5a && cqe->res == 0;
    int res = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
    if (!good) {
        probe.error_number = res < 0 ? -res : 0;
        probe.reason = "the NOP round trip returned a wrong completion (res " + std::to_string(res) + ")";
        return probe;
    }
    probe.usable = true;
    return probe;
}
#endif

} // namespace zsyncctl::platform
