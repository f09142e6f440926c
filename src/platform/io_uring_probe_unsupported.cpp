#include "platform/io_uring_probe.hpp"

namespace zsyncctl::platform {

// io_uring is a Linux interface: elsewhere the probe says so and the loop uses the OS's reactor.
IoUringProbe probe_io_uring() {
    IoUringProbe probe;
    probe.reason = "io_uring exists only on Linux";
    return probe;
}

} // namespace zsyncctl::platform
