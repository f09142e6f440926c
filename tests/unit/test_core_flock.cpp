#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "core/process_tree.hpp"
#include "temp_dir.hpp"

using namespace zsyncctl;

TEST_CASE("flock_holder names the pid holding a flock(2) lock, as /proc/locks lists it") {
    test::TempDir dir("flock");
    std::string path = (dir.path / "lock").string();
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    struct stat st {};
    REQUIRE(::fstat(fd, &st) == 0);
    CHECK_FALSE(core::flock_holder(st.st_dev, st.st_ino).has_value());
    REQUIRE(::flock(fd, LOCK_EX | LOCK_NB) == 0);
    auto held = core::flock_holder(st.st_dev, st.st_ino);
    REQUIRE(held.has_value());
    CHECK(*held == ::getpid());
    // An fcntl lock is not a flock one (lock_holder finds those), and another file is not this one.
    CHECK_FALSE(core::lock_holder(fd).has_value());
    CHECK_FALSE(core::flock_holder(st.st_dev, st.st_ino + 1).has_value());
    REQUIRE(::flock(fd, LOCK_UN) == 0);
    CHECK_FALSE(core::flock_holder(st.st_dev, st.st_ino).has_value());
    ::close(fd);
}
