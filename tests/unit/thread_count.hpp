#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

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

/// The thread count once it equals `expected`, or the last count after a 5 s deadline. pthread_join returns
/// when the kernel clears the thread's tid, which is before the task leaves /proc/self/task, so a thread
/// just joined can still be listed for a moment (seen under TSan on a loaded machine).
inline std::size_t settled_thread_count(std::size_t expected) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::size_t n = user_thread_count();
    while (n != expected && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        n = user_thread_count();
    }
    return n;
}

} // namespace test_support
