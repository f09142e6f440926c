#include <doctest/doctest.h>

#include <cstdlib>

#include "platform/host.hpp"

using namespace zsyncctl;

TEST_CASE("HostIdentity normalises arch and OS spellings") {
    CHECK(platform::normalize_arch("AMD64") == "x86_64");
    CHECK(platform::normalize_arch("aarch64") == "arm64");
    CHECK(platform::normalize_arch("i686") == "x86");
    CHECK(platform::normalize_arch("riscv64") == "riscv64");
    CHECK(platform::normalize_os("Darwin") == "macos");
    CHECK(platform::normalize_os("linux") == "linux");
}

TEST_CASE("HostIdentity honours ZSYNCCTL_OS and ZSYNCCTL_ARCH") {
    SUBCASE("no override") {
        auto id = platform::host_identity();
        CHECK_FALSE(id.os_overridden);
        CHECK_FALSE(id.arch_overridden);
        CHECK(id.os == "linux");
        CHECK_FALSE(id.kernel_arch.empty());
    }
    SUBCASE("overridden") {
        ::setenv("ZSYNCCTL_OS", "darwin", 1);
        ::setenv("ZSYNCCTL_ARCH", "aarch64", 1);
        auto id = platform::host_identity();
        ::unsetenv("ZSYNCCTL_OS");
        ::unsetenv("ZSYNCCTL_ARCH");
        CHECK(id.os == "macos");
        CHECK(id.arch == "arm64");
        CHECK(id.os_overridden);
        CHECK(id.arch_overridden);
    }
}
