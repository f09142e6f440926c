#include <cerrno>
#include <chrono>
#include <cstring>
#include <linux/io_uring.h>
#include <map>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

#include "platform/io_uring.hpp"

namespace zsyncctl::platform {

namespace {

const std::map<std::string, int>& opcode_numbers() {
    static const std::map<std::string, int> numbers{
        {"NOP", IORING_OP_NOP},
        {"READV", IORING_OP_READV},
        {"WRITEV", IORING_OP_WRITEV},
        {"POLL_ADD", IORING_OP_POLL_ADD},
        {"TIMEOUT", IORING_OP_TIMEOUT},
        {"ACCEPT", IORING_OP_ACCEPT},
        {"ASYNC_CANCEL", IORING_OP_ASYNC_CANCEL},
        {"CONNECT", IORING_OP_CONNECT},
        {"READ", IORING_OP_READ},
        {"WRITE", IORING_OP_WRITE},
        {"SEND", IORING_OP_SEND},
        {"RECV", IORING_OP_RECV},
    };
    return numbers;
}

} // namespace

IoUringProbe probe_io_uring_live() {
    IoUringProbe probe;
    probe.ran = true;
    auto start = std::chrono::steady_clock::now();
    io_uring_params params;
    std::memset(&params, 0, sizeof params);
    long fd = ::syscall(__NR_io_uring_setup, 8u, &params);
    if (fd < 0) {
        probe.setup_errno = errno;
    } else {
        probe.features = params.features;
        constexpr unsigned k_ops = 256;
        std::vector<unsigned char> buffer(sizeof(io_uring_probe) + k_ops * sizeof(io_uring_probe_op));
        auto* p = reinterpret_cast<io_uring_probe*>(buffer.data());
        if (::syscall(__NR_io_uring_register, static_cast<int>(fd), IORING_REGISTER_PROBE, p, k_ops) < 0) {
            probe.probe_errno = errno;
        } else {
            for (const auto& name : required_io_uring_opcodes()) {
                int op = opcode_numbers().at(name);
                bool supported = op <= p->last_op && (p->ops[op].flags & IO_URING_OP_SUPPORTED) != 0;
                if (!supported) {
                    probe.missing_opcodes.push_back(name);
                }
            }
        }
        ::close(static_cast<int>(fd));
    }
    probe.duration_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return probe;
}

} // namespace zsyncctl::platform
