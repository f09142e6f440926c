#include <doctest/doctest.h>

#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sched.h>
#include <sstream>
#include <string>
#include <sys/mount.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "temp_dir.hpp"

#include "util/kernel_files.hpp"
#include "util/root.hpp"

using namespace zsyncctl::util;

namespace {

// The bytes of `path` read the ordinary way (a stream, until EOF): the oracle for what Root::read returns.
std::string stream_read(const char* path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

} // namespace

TEST_CASE("kernel_file_read: which files one read ends") {
    CHECK(kernel_file_read("/etc/os-release") == KernelFileRead::general);
    CHECK(kernel_file_read("/procfs/x") == KernelFileRead::general);
    CHECK(kernel_file_read("/proc/sys/kernel/osrelease") == KernelFileRead::one_read);
    CHECK(kernel_file_read("/proc/meminfo") == KernelFileRead::one_read);
    CHECK(kernel_file_read("/proc/version") == KernelFileRead::one_read);
    CHECK(kernel_file_read("/proc/self/status") == KernelFileRead::one_read);
    CHECK(kernel_file_read("/proc/self/cgroup") == KernelFileRead::one_read);
    CHECK(kernel_file_read("/proc/1/environ") == KernelFileRead::one_read);
    CHECK(kernel_file_read("/proc/4711/comm") == KernelFileRead::one_read);
    CHECK(kernel_file_read("/sys/fs/cgroup/memory.max") == KernelFileRead::one_read);
    CHECK(kernel_file_read("/sys/devices/system/cpu/online") == KernelFileRead::one_read);
    // Multi-record files stop a read at a page boundary: read until read() returns 0.
    CHECK(kernel_file_read("/proc/self/mountinfo") == KernelFileRead::until_eof);
    CHECK(kernel_file_read("/proc/self/task/1/status") == KernelFileRead::until_eof);
    CHECK(kernel_file_read("/proc/cpuinfo") == KernelFileRead::until_eof);
    CHECK(kernel_file_read("/sys/fs/cgroup/cgroup.procs") == KernelFileRead::until_eof);
    CHECK(kernel_file_read("/sys/fs/cgroup/x/tasks") == KernelFileRead::until_eof);
    CHECK(kernel_file_read("/sys/firmware/acpi/tables/DSDT") == KernelFileRead::until_eof);
    CHECK(kernel_file_read("/proc/sys/../self/mountinfo") == KernelFileRead::until_eof);
    CHECK(kernel_file_read("/sys/fs/cgroup//x") == KernelFileRead::until_eof);
}

TEST_CASE("read_kernel_fd: one_read stops at the first short read, until_eof reads on") {
    SUBCASE("one_read returns what the first read gave, without a second read") {
        int p[2];
        REQUIRE(::pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
        REQUIRE(::write(p[1], "abc", 3) == 3);
        // The writer stays open: a second read would fail with EAGAIN.
        auto text = read_kernel_fd(p[0], "pipe", 4096, KernelFileRead::one_read);
        ::close(p[1]);
        REQUIRE(text.ok());
        CHECK(*text == "abc");
    }
    SUBCASE("one_read reads on while reads fill the buffer") {
        int p[2];
        REQUIRE(::pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
        std::string big(20000, 'x');
        REQUIRE(::write(p[1], big.data(), big.size()) == static_cast<ssize_t>(big.size()));
        auto text = read_kernel_fd(p[0], "pipe", 1u << 20, KernelFileRead::one_read);
        ::close(p[1]);
        REQUIRE(text.ok());
        CHECK(*text == big);
    }
    SUBCASE("until_eof reads past a short read") {
        int p[2];
        REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
        REQUIRE(::write(p[1], "abc", 3) == 3);
        std::thread late([w = p[1]] {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            (void)!::write(w, "def", 3);
            ::close(w);
        });
        auto text = read_kernel_fd(p[0], "pipe", 4096, KernelFileRead::until_eof);
        late.join();
        REQUIRE(text.ok());
        CHECK(*text == "abcdef");
    }
    SUBCASE("the size limit holds") {
        int p[2];
        REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
        REQUIRE(::write(p[1], "abcdef", 6) == 6);
        ::close(p[1]);
        auto text = read_kernel_fd(p[0], "pipe", 4, KernelFileRead::until_eof);
        CHECK_FALSE(text.ok());
    }
}

TEST_CASE("Root::read of the host's kernel files gives what reading to EOF gives") {
    Root host;
    // Files whose contents do not change between two reads in one process.
    for (const char* path : {"/proc/version", "/proc/sys/kernel/osrelease", "/proc/self/limits",
                             "/proc/self/cgroup", "/proc/self/mountinfo", "/sys/devices/system/cpu/online"}) {
        CAPTURE(path);
        if (::access(path, R_OK) != 0) {
            continue;
        }
        auto text = host.read(path, 4u << 20);
        REQUIRE(text.ok());
        CHECK(*text == stream_read(path));
        CHECK(!text->empty());
    }
    // A directory is still an error, not an empty file.
    CHECK_FALSE(host.read("/proc/self", 4096).ok());
}

TEST_CASE("Root::read of a multi-record /proc file past a page reads it whole") {
    // A short read does not end mountinfo: the kernel stops each read at the seq_file's page-sized buffer.
    // In a child with its own user and mount namespaces, 80 tmpfs mounts make mountinfo ~10 KiB (a 16 KiB
    // read of it returns ~4 KiB here); Root::read must still return every byte.
    zsyncctl::test::TempDir tmp{"mountinfo"};
    std::vector<std::string> points;
    for (int i = 0; i < 80; ++i) {
        points.push_back(
            (tmp.path / ("a-long-mount-point-name-to-fill-the-page-" + std::to_string(i))).string());
        std::filesystem::create_directories(points.back());
    }
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) {
            ::_exit(77);
        }
        for (const std::string& point : points) {
            if (::mount("none", point.c_str(), "tmpfs", 0, nullptr) != 0) {
                ::_exit(78);
            }
        }
        std::string whole = stream_read("/proc/self/mountinfo");
        if (whole.size() < 8192) {
            ::_exit(79);
        }
        auto text = Root{}.read("/proc/self/mountinfo", 4u << 20);
        ::_exit(text.ok() && *text == whole ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    int code = WEXITSTATUS(status);
    if (code == 77 || code == 78) {
        MESSAGE("no user and mount namespaces here (exit " << code << "): not checked");
        return;
    }
    CHECK(code == 0);
}
