#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

#include "temp_dir.hpp"
#include "util/fs.hpp"
#include "util/root.hpp"

using namespace zsyncctl::util;
namespace fs = std::filesystem;

namespace {
using TempDir = zsyncctl::test::TempDir;
} // namespace

TEST_CASE("write_file_atomic creates parents and replaces content") {
    TempDir dir;
    fs::path file = dir.path / "a" / "b" / "cache.json";
    REQUIRE(write_file_atomic(file, "first").ok());
    REQUIRE(write_file_atomic(file, "second").ok());
    auto text = read_file(file);
    REQUIRE(text.ok());
    CHECK(*text == "second");
    // No temporary files are left behind.
    int entries = 0;
    for ([[maybe_unused]] auto& e : fs::directory_iterator(file.parent_path())) {
        ++entries;
    }
    CHECK(entries == 1);
}

TEST_CASE("read_file reports missing files and size limits") {
    TempDir dir;
    auto missing = read_file(dir.path / "nope");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind == ErrorKind::not_found);
    REQUIRE(write_file_atomic(dir.path / "big", std::string(100, 'x')).ok());
    auto big = read_file(dir.path / "big", 10);
    REQUIRE_FALSE(big.ok());
    CHECK(big.error().kind == ErrorKind::io);
}

TEST_CASE("read_file refuses FIFOs and directories instead of blocking") {
    TempDir dir;
    fs::path fifo = dir.path / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    auto from_fifo = read_file(fifo); // would block forever without O_NONBLOCK
    REQUIRE_FALSE(from_fifo.ok());
    CHECK(from_fifo.error().kind == ErrorKind::io);
    auto from_dir = read_file(dir.path);
    CHECK_FALSE(from_dir.ok());
}

TEST_CASE("Root resolves absolute paths inside its directory") {
    TempDir dir;
    SUBCASE("host root leaves paths alone") {
        Root host;
        CHECK(host.is_host());
        CHECK(host.resolve("/etc/os-release") == fs::path("/etc/os-release"));
    }
    SUBCASE("fixture root") {
        REQUIRE(write_file_atomic(dir.path / "etc" / "os-release", "ID=debian\n").ok());
        Root root(dir.path);
        CHECK_FALSE(root.is_host());
        CHECK(root.resolve("/etc/os-release") == dir.path / "etc" / "os-release");
        auto text = root.read("/etc/os-release");
        REQUIRE(text.ok());
        CHECK(*text == "ID=debian\n");
        CHECK(root.exists("/etc"));
        CHECK_FALSE(root.exists("/proc/self/status"));
    }
    SUBCASE("slash means host") {
        CHECK(Root("/").is_host());
    }
    SUBCASE("env var is used when no option is given") {
        ::setenv("ZSYNCCTL_ROOT", dir.path.c_str(), 1);
        auto root = Root::from_option_or_env(std::nullopt);
        ::unsetenv("ZSYNCCTL_ROOT");
        REQUIRE(root.ok());
        CHECK(root->dir() == dir.path);
        auto slash = Root::from_option_or_env(std::string("/"));
        REQUIRE(slash.ok());
        CHECK(slash->is_host());
    }
}

TEST_CASE("cache_dir follows XDG_CACHE_HOME then HOME") {
    const char* old_xdg = std::getenv("XDG_CACHE_HOME");
    std::string saved = old_xdg ? old_xdg : "";
    const char* old_home = std::getenv("HOME");
    std::string saved_home = old_home ? old_home : "";
    ::setenv("XDG_CACHE_HOME", "/tmp/xdg-test", 1);
    CHECK(*cache_dir() == fs::path("/tmp/xdg-test/zsyncctl"));
    ::unsetenv("XDG_CACHE_HOME");
    ::setenv("HOME", "/home/someone", 1);
    CHECK(*cache_dir() == fs::path("/home/someone/.cache/zsyncctl"));
    if (old_xdg) {
        ::setenv("XDG_CACHE_HOME", saved.c_str(), 1);
    }
    ::setenv("HOME", saved_home.c_str(), 1);
}
