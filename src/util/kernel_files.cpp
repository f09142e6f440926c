#include "util/kernel_files.hpp"

#include <algorithm>
#include <array>
#include <span>

#include "util/error.hpp"
#include "util/fs.hpp"

namespace zsyncctl::util {

namespace {

// Why a short read is the end of these files (Linux fs/seq_file.c, fs/proc, kernel/sysctl.c, fs/kernfs):
// - /proc/sys/*: the sysctl handler formats the whole value into the caller's buffer at once;
// - single_open() files (meminfo, version, and a process's status, limits, cgroup, comm): the one
//   record is built whole in the seq_file buffer (grown until it fits) and copied out, so a read with a
//   bigger buffer returns all of it; environ is copied in a loop until the buffer is full or it ends;
// - sysfs and cgroupfs text attributes: one show() of at most a page, copied out whole.
// Multi-record seq_files (mountinfo, mounts, cgroup.procs, tasks) stop a read when the next record does
// not fit the page-sized seq_file buffer, so a short read does not mean the end there; they are read until
// read() returns 0. So are sysfs binary attributes (one page per read), which none of these prefixes hold.
constexpr std::array<std::string_view, 5> k_one_read_prefixes{
    "/proc/sys/", "/sys/fs/cgroup/", "/sys/devices/system/cpu/", "/sys/class/dmi/id/", "/sys/hypervisor/"};
constexpr std::array<std::string_view, 2> k_one_read_proc{"/proc/meminfo", "/proc/version"};
constexpr std::array<std::string_view, 5> k_one_read_pid_files{"status", "limits", "cgroup", "comm",
                                                               "environ"};
constexpr std::array<std::string_view, 3> k_multi_record_names{"cgroup.procs", "cgroup.threads", "tasks"};

bool starts_with_any(std::string_view path, std::span<const std::string_view> prefixes) {
    return std::any_of(prefixes.begin(), prefixes.end(),
                       [path](std::string_view prefix) { return path.starts_with(prefix); });
}

// "/proc/self/status", "/proc/1/environ": a process's single-record file.
bool is_pid_one_read(std::string_view path) {
    constexpr std::string_view k_proc = "/proc/";
    if (!path.starts_with(k_proc)) {
        return false;
    }
    std::string_view rest = path.substr(k_proc.size());
    std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0) {
        return false;
    }
    std::string_view pid = rest.substr(0, slash);
    bool numeric = std::all_of(pid.begin(), pid.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (pid != "self" && !numeric) {
        return false;
    }
    std::string_view name = rest.substr(slash + 1);
    return std::find(k_one_read_pid_files.begin(), k_one_read_pid_files.end(), name) !=
           k_one_read_pid_files.end();
}

} // namespace

KernelFileRead kernel_file_read(std::string_view absolute) {
    if (!absolute.starts_with("/proc/") && !absolute.starts_with("/sys/")) {
        return KernelFileRead::general;
    }
    if (absolute.find("/..") != std::string_view::npos || absolute.find("//") != std::string_view::npos) {
        return KernelFileRead::until_eof; // not a plain path: no claim about what it reaches
    }
    std::string_view name = absolute.substr(absolute.rfind('/') + 1);
    if (std::find(k_multi_record_names.begin(), k_multi_record_names.end(), name) !=
        k_multi_record_names.end()) {
        return KernelFileRead::until_eof;
    }
    if (starts_with_any(absolute, k_one_read_prefixes) ||
        std::find(k_one_read_proc.begin(), k_one_read_proc.end(), absolute) != k_one_read_proc.end() ||
        is_pid_one_read(absolute)) {
        return KernelFileRead::one_read;
    }
    return KernelFileRead::until_eof;
}

Result<std::string> read_kernel_fd(int fd, const std::string& what, std::size_t max_bytes,
                                   KernelFileRead how) {
    return read_fd_to_end(fd, what, max_bytes,
                          how == KernelFileRead::one_read ? ReadEnd::short_read : ReadEnd::eof);
}

} // namespace zsyncctl::util
