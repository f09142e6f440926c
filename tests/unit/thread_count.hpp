#pragma once

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>

namespace test_support {

/// Threads of this process that our code started: every entry of /proc/self/task except the kernel's
/// io_uring workers ("iou-wrk-*", "iou-sqp-*"), which the kernel creates and retires on its own schedule.
inline std::size_t user_thread_count() {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream comm(e.path() / "comm");
        std::string name;
        std::getline(comm, name);
        if (name.rfind("iou-", 0) != 0) {
            ++n;
        }
    }
    return n;
}

} // namespace test_support
