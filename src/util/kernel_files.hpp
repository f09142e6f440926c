#pragma once

#include <string>
#include <string_view>

#include "util/result.hpp"

// Reading the kernel's own files (procfs, sysfs, cgroupfs) on the host with as few system calls as the
// kernel allows: doctor reads about twenty of them on every run.

namespace zsyncctl::util {

/// How a host file may be read.
enum class KernelFileRead {
    general,   ///< not a kernel file: fstat first (a FIFO, socket or directory is refused), read until EOF
    until_eof, ///< a procfs/sysfs file (no FIFO can live there): no fstat, read until read() returns 0
    one_read,  ///< a kernel file produced whole by its first read: a read shorter than the buffer is EOF
};

/// How the host path `absolute` may be read: one_read for the files the kernel generates in one go
/// (/proc/sys/*, the single-record /proc files such as meminfo, version and a process's status, limits,
/// cgroup, comm and environ, and the text attributes under /sys/fs/cgroup, /sys/devices/system/cpu,
/// /sys/class/dmi/id and /sys/hypervisor), until_eof for anything else under /proc/ or /sys/ (mountinfo
/// and other multi-record files return one page-sized chunk per read), general elsewhere.
KernelFileRead kernel_file_read(std::string_view absolute);

/// Reads everything from `fd` (taken over and closed), a host file kernel_file_read() classed as
/// until_eof or one_read, naming it `what` in errors; fails like read_fd (io beyond `max_bytes`).
Result<std::string> read_kernel_fd(int fd, const std::string& what, std::size_t max_bytes,
                                   KernelFileRead how);

} // namespace zsyncctl::util
