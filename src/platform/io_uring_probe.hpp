#pragma once

#include <string>
#include <vector>

struct io_uring; // liburing's ring (global namespace); only probe_io_uring_once_on takes one

namespace zsyncctl::platform {

/// What the live probe (io_uring setup, opcode probe, NOP round trip) found. Plain data.
struct IoUringProbe {
    /// False when nothing was tried: this build has no io_uring support, or the OS has none.
    bool ran = false;
    /// True when a ring could be set up, every opcode the loop uses is supported, and a NOP round trip
    /// completed.
    bool usable = false;
    /// The errno of the failed step (0 when usable, or when the failure was not a system call).
    int error_number = 0;
    /// Empty when usable; otherwise one line naming the failed step and its cause, e.g.
    /// "io_uring_queue_init failed: EPERM (Operation not permitted; blocked by seccomp or the
    /// kernel.io_uring_disabled sysctl)".
    std::string reason;
    /// Names of the opcodes the loop needs that the kernel does not support (e.g. "POLL_ADD").
    std::vector<std::string> missing_opcodes;
    /// How long the probe took.
    double duration_ms = 0;
};

/// Probes io_uring for real: io_uring_queue_init, IORING_REGISTER_PROBE for the opcodes the loop uses
/// (NOP, POLL_ADD, POLL_REMOVE, TIMEOUT, TIMEOUT_REMOVE, READ), then a NOP submitted and reaped. Never
/// fails: every problem (whatever the errno) is reported in the result. Thread-safe; each call probes anew.
IoUringProbe probe_io_uring();

/// The first probe of this process (probe_io_uring(), timed in duration_ms), made on the first call and
/// returned by every later one: doctor's facts and the event loop selection share one probe per run.
/// Thread-safe.
const IoUringProbe& probe_io_uring_once();

/// The checks probe_io_uring() makes after its ring setup (opcode probe, a NOP round trip), made on `ring`,
/// which the caller set up and still owns; nothing is left on it. Only in builds with liburing.
IoUringProbe probe_io_uring_on(::io_uring& ring);

/// The process's probe, as probe_io_uring_once(): when none was made yet it is made on `ring` (the event
/// loop's own, so a process that creates a loop sets up one ring instead of two; duration_ms then times the
/// checks, not the setup), otherwise the one made before. Thread-safe. Only in builds with liburing.
const IoUringProbe& probe_io_uring_once_on(::io_uring& ring);

/// The symbolic errno name ("EPERM", "ENOSYS", ...), or "errno N" for others.
std::string errno_name(int error_number);

} // namespace zsyncctl::platform
