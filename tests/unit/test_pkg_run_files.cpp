#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include "core/cancellation.hpp"
#include "pkg/install/run_files.hpp"
#include "temp_dir.hpp"
#include "util/fs.hpp"

using namespace zsyncctl;
namespace fs = std::filesystem;

TEST_CASE("RunLog creates a new private file, caps its size and prunes old logs") {
    test::TempDir dir("runlog");
    SUBCASE("a new file with an unpredictable name, mode 0600, lines written at once") {
        auto log = pkg::RunLog::open_in(dir.path / "logs", "install", "apt");
        REQUIRE_MESSAGE(log.enabled(), log.error());
        CHECK(log.path().rfind((dir.path / "logs" / "install-apt-").string(), 0) == 0);
        log.line("# apt-get install x");
        CHECK(*util::read_file(log.path()) == "# apt-get install x\n");
        struct stat st {};
        REQUIRE(::stat(log.path().c_str(), &st) == 0);
        CHECK((st.st_mode & 07777) == 0600);
        auto other = pkg::RunLog::open_in(dir.path / "logs", "install", "apt");
        CHECK(other.path() != log.path());
    }
    SUBCASE("the size cap ends the log with a line that says so") {
        pkg::RunLogLimits limits;
        limits.max_bytes = 64;
        auto log = pkg::RunLog::open_in(dir.path / "logs", "install", "apt", limits);
        for (int i = 0; i < 20; ++i) {
            log.line("0123456789");
        }
        auto text = *util::read_file(log.path());
        CHECK(text.size() < 64 + 60);
        CHECK(text.find("[log truncated") != std::string::npos);
        CHECK(log.error().empty());
    }
    SUBCASE("old logs beyond the count are pruned") {
        pkg::RunLogLimits limits;
        limits.keep = 3;
        std::string newest;
        for (int i = 0; i < 6; ++i) {
            newest = pkg::RunLog::open_in(dir.path / "logs", "remove", "apt", limits).path();
        }
        std::size_t count = 0;
        for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path / "logs")) {
            ++count;
        }
        CHECK(count == 3);
        CHECK(fs::exists(newest));
    }
    SUBCASE("a logs directory that is not ours gives no log and says why") {
        fs::create_directories(dir.path / "logs");
        ::chmod((dir.path / "logs").c_str(), 0777);
        auto log = pkg::RunLog::open_in(dir.path / "logs", "install", "apt");
        CHECK_FALSE(log.enabled());
        CHECK(log.path().empty());
        CHECK(log.error().find("no log") != std::string::npos);
        log.line("ignored");
    }
}

TEST_CASE("LockGroupGuard refuses a planted lock file and excludes a second holder") {
    test::TempDir dir("locks");
    core::CancellationToken token;
    SUBCASE("a symlink at the lock name is refused and its target untouched") {
        fs::create_directories(dir.path / "locks");
        fs::create_symlink(dir.path / "victim", dir.path / "locks" / "dpkg.lock");
        auto guard = pkg::LockGroupGuard::acquire(dir.path / "locks", "dpkg", token, {});
        REQUIRE_FALSE(guard.ok());
        CHECK_FALSE(fs::exists(dir.path / "victim"));
    }
    SUBCASE("a second acquire waits until cancelled") {
        auto first = pkg::LockGroupGuard::acquire(dir.path / "locks", "dpkg", token, {});
        REQUIRE(first.ok());
        int waits = 0;
        auto second = pkg::LockGroupGuard::acquire(dir.path / "locks", "dpkg", token, [&] {
            ++waits;
            token.cancel();
        });
        REQUIRE_FALSE(second.ok());
        CHECK(second.error().kind == util::ErrorKind::interrupted);
        CHECK(waits == 1);
    }
}

TEST_CASE(
    "A lock group's name is per root: runs on the same root exclude each other, on others they do not") {
    CHECK(pkg::lock_group_name("dpkg", "/") == "dpkg");
    const std::string a = pkg::lock_group_name("dpkg", "/srv/image-a");
    const std::string b = pkg::lock_group_name("dpkg", "/srv/image-b");
    CHECK(a.rfind("dpkg@", 0) == 0);
    CHECK(a != b);
    CHECK(pkg::lock_group_name("dpkg", "/srv/image-a/") == a); // the same directory, written differently
    CHECK(pkg::lock_group_name("rpmdb", "/srv/image-a") != a);

    test::TempDir dir("locks");
    core::CancellationToken token;
    auto host =
        pkg::LockGroupGuard::acquire(dir.path / "locks", pkg::lock_group_name("dpkg", "/"), token, {});
    REQUIRE(host.ok());
    int waits = 0;
    auto other_root = pkg::LockGroupGuard::acquire(dir.path / "locks", a, token, [&] { ++waits; });
    CHECK(other_root.ok());
    CHECK(waits == 0);
    auto same_root = pkg::LockGroupGuard::acquire(dir.path / "locks", a, token, [&] {
        ++waits;
        token.cancel();
    });
    CHECK_FALSE(same_root.ok());
    CHECK(waits == 1);
}
