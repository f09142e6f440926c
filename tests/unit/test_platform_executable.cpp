#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include "platform/executable.hpp"
#include "temp_dir.hpp"

using namespace zsyncctl;
namespace fs = std::filesystem;

TEST_CASE("find_executable is the one PATH lookup") {
    test::TempDir dir("exe");
    dir.write("a/tool", "#!/bin/sh\n", 0755);
    dir.write("b/tool", "#!/bin/sh\n", 0755);
    dir.write("a/plain", "data", 0644);
    fs::create_directories(dir.path / "a" / "subdir");
    std::string a = (dir.path / "a").string();
    std::string b = (dir.path / "b").string();

    SUBCASE("the first executable entry wins") {
        auto found = platform::find_executable("tool", b + ":" + a);
        REQUIRE(found.ok());
        CHECK(*found == b + "/tool");
    }
    SUBCASE("a file without the execute bit and a directory are not executables") {
        CHECK_FALSE(platform::find_executable("plain", a).ok());
        CHECK_FALSE(platform::find_executable("subdir", a).ok());
        CHECK(platform::find_executable("plain", a).error().kind == util::ErrorKind::not_found);
    }
    SUBCASE("empty and relative entries never search the current directory") {
        char old[4096];
        REQUIRE(::getcwd(old, sizeof old) != nullptr);
        REQUIRE(::chdir(a.c_str()) == 0);
        auto found = platform::find_executable("tool", ":.:a");
        REQUIRE(::chdir(old) == 0);
        CHECK_FALSE(found.ok());
    }
    SUBCASE("a name with a slash is checked as it is") {
        CHECK(platform::find_executable(a + "/tool", "").ok());
        CHECK_FALSE(platform::find_executable(a + "/plain", "").ok());
    }
    SUBCASE("an empty name is not found") {
        CHECK_FALSE(platform::find_executable("", a).ok());
    }
}
