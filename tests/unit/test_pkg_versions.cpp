#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <signal.h>
#include <sys/stat.h>

#include "core/runtime.hpp"
#include "pkg/detect/detect.hpp"
#include "pkg/detect/version_probe.hpp"
#include "pkg/search/native/deb_version.hpp"
#include "temp_dir.hpp"

using namespace zsyncctl;
namespace fs = std::filesystem;

namespace {

struct Scratch {
    zsyncctl::test::TempDir tmp{"ver"};
    fs::path dir = tmp.path;

    void script(const std::string& logical, const std::string& body) const {
        fs::path host = dir.string() + logical;
        fs::create_directories(host.parent_path());
        std::ofstream(host) << "#!/bin/sh\n" << body << "\n";
        ::chmod(host.c_str(), 0755);
    }
};

pkg::DetectedManager detected(std::string_view id, std::string exe) {
    pkg::DetectedManager d;
    d.manager = pkg::find_manager(id);
    d.executable = std::move(exe);
    return d;
}

} // namespace

TEST_CASE("probe_versions runs version commands concurrently and reports failures") {
    Scratch s;
    s.script("/usr/bin/pacman", "echo\necho ' .--.   Pacman v6.0.2 - libalpm v13.0.2'");
    s.script("/usr/bin/dnf", "echo 'LC_ALL='$LC_ALL\necho 4.14.0");
    s.script("/usr/bin/apk", "echo 'broken' >&2\nexit 3");
    s.script("/usr/bin/zypper", "sleep 30");                                      // hangs
    s.script("/usr/bin/rpm", "(sleep 30; echo late) &\necho RPM version 4.18.0"); // leaves a child behind
    s.script("/usr/bin/npm", "echo no digits");
    s.script("/home/u/.sdkman/var/version", "");
    std::ofstream(s.dir.string() + "/home/u/.sdkman/var/version") << "5.18.2\n";

    // Version commands run only on the host (never inside a --root), so the scripts are named by their
    // host paths under the host root.
    pkg::DetectContext ctx;
    ctx.root = util::Root();
    ctx.os = "linux";
    ctx.arch = "x86_64";
    ctx.home = s.dir.string() + "/home/u";
    const std::string d = s.dir.string();
    std::vector<pkg::DetectedManager> managers{detected("pacman", d + "/usr/bin/pacman"),
                                               detected("dnf", d + "/usr/bin/dnf"),
                                               detected("apk", d + "/usr/bin/apk"),
                                               detected("zypper", d + "/usr/bin/zypper"),
                                               detected("rpm", d + "/usr/bin/rpm"),
                                               detected("npm", d + "/usr/bin/npm"),
                                               detected("nvm", ""),
                                               detected("sdkman", ""),
                                               detected("yum", d + "/usr/bin/yum-missing")};
    managers[7].prefix = d + "/home/u/.sdkman";

    auto runtime = core::Runtime::create(core::Config::for_cli());
    REQUIRE(runtime.ok());
    auto start = std::chrono::steady_clock::now();
    auto results = pkg::probe_versions(**runtime, ctx, managers, std::chrono::milliseconds(1500));
    auto elapsed = std::chrono::steady_clock::now() - start;
    REQUIRE(results.size() == managers.size());
    // The hung one costs the deadline once, not once per worker.
    CHECK(elapsed < std::chrono::seconds(5));

    CHECK(results[0].version == "6.0.2");
    CHECK(results[0].raw.find("Pacman v6.0.2") != std::string::npos);
    CHECK(results[1].version == "4.14.0"); // "LC_ALL=C" has no dotted number
    CHECK_FALSE(results[2].version);
    REQUIRE(results[2].error);
    CHECK(results[2].error->kind == util::ErrorKind::command_failed);
    CHECK(results[2].error->message.find("status 3") != std::string::npos);
    CHECK(results[2].error->message.find("broken") != std::string::npos);
    REQUIRE(results[3].error);
    CHECK(results[3].error->kind == util::ErrorKind::timeout);
    // It waited for the deadline rather than failing at once. Its own clock starts when it was spawned,
    // after the deadline's (TSan measured 1386 ms of the 1500), so only a loose lower bound holds.
    CHECK(results[3].elapsed >= std::chrono::milliseconds(1000));
    // rpm's stray child keeps the pipe open: it is killed with its group at the deadline, the version
    // that was printed is not trusted (the command did not finish).
    REQUIRE(results[4].error);
    CHECK(results[4].error->kind == util::ErrorKind::timeout);
    REQUIRE(results[5].error);
    CHECK(results[5].error->kind == util::ErrorKind::parse);
    REQUIRE(results[6].error);
    CHECK(results[6].error->kind == util::ErrorKind::unsupported);
    CHECK(results[7].version == "5.18.2");
    REQUIRE(results[8].error);
    CHECK_FALSE(results[8].version);
    (*runtime)->shutdown();
}

TEST_CASE("probe_versions under a non-host root executes nothing and reads the package databases") {
    Scratch s;
    const std::string marker = s.dir.string() + "/ran";
    // Every executable in the image would leave the marker behind if it ever ran.
    for (const char* exe : {"/usr/bin/apt-get", "/usr/bin/dpkg", "/usr/bin/pacman", "/usr/bin/apk",
                            "/usr/bin/dnf", "/usr/bin/npm", "/opt/homebrew/bin/brew"}) {
        s.script(exe, "touch '" + marker + "'\necho 9.9.9");
    }
    s.tmp.write("var/lib/dpkg/status", "Package: dpkg\nStatus: install ok installed\nVersion: 1.21.22\n\n"
                                       "Package: apt\nStatus: deinstall ok config-files\nVersion: 1.0\n\n"
                                       "Package: apt\nStatus: install ok installed\nArchitecture: amd64\n"
                                       "Version: 2.6.1\n");
    s.tmp.write("var/lib/pacman/local/pacman-6.1.0-3/desc", "%NAME%\npacman\n\n%VERSION%\n6.1.0-3\n");
    s.tmp.write("var/lib/pacman/local/pacman-contrib-1.10.6-2/desc",
                "%NAME%\npacman-contrib\n\n%VERSION%\n1.10.6-2\n");
    s.tmp.write("lib/apk/db/installed", "C:Q1abc\nP:musl\nV:1.2.4-r2\n\nC:Q1def\nP:apk-tools\nV:2.14.0-r5\n");

    pkg::DetectContext ctx;
    ctx.root = util::Root(s.dir);
    ctx.os = "linux";
    ctx.arch = "x86_64";
    std::vector<pkg::DetectedManager> managers{detected("apt", "/usr/bin/apt-get"),
                                               detected("dpkg", "/usr/bin/dpkg"),
                                               detected("pacman", "/usr/bin/pacman"),
                                               detected("apk", "/usr/bin/apk"),
                                               detected("dnf", "/usr/bin/dnf"),
                                               detected("npm", "/usr/bin/npm"),
                                               detected("homebrew", "/opt/homebrew/bin/brew"),
                                               detected("nala", "/usr/bin/nala")};
    auto runtime = core::Runtime::create(core::Config::for_cli());
    REQUIRE(runtime.ok());
    auto results = pkg::probe_versions(**runtime, ctx, managers, std::chrono::milliseconds(1500));
    REQUIRE(results.size() == managers.size());
    CHECK(results[0].version == "2.6.1"); // the installed stanza, not the removed one
    CHECK(results[0].raw == "dpkg status: apt 2.6.1");
    CHECK(results[1].version == "1.21.22");
    CHECK(results[2].version == "6.1.0-3"); // pacman, not pacman-contrib
    CHECK(results[3].version == "2.14.0-r5");
    for (std::size_t i : {4u, 5u, 6u}) {
        CAPTURE(i);
        CHECK_FALSE(results[i].version);
        REQUIRE(results[i].error);
        CHECK(results[i].error->message == "unknown (not executed under --root)");
    }
    REQUIRE(results[7].error); // nala is not in the status file
    CHECK(results[7].error->message.find("not executed under --root") != std::string::npos);
    CHECK_FALSE(fs::exists(marker));
    (*runtime)->shutdown();
}

TEST_CASE("compare_deb_versions trims blanks and reads +N: epochs as dpkg does") {
    using zsyncctl::pkg::compare_deb_versions;
    CHECK(compare_deb_versions(" 1.0-1 ", "1.0-1") == 0);
    CHECK(compare_deb_versions("\t2.0\n", "1.9") > 0);
    CHECK(compare_deb_versions("+1:1.0", "1:1.0") == 0);
    CHECK(compare_deb_versions("+1:1.0", "9.0") > 0);
    CHECK(compare_deb_versions("1.0~rc1", "1.0") < 0);
    CHECK(compare_deb_versions("0:1.0", "1.0") == 0);
}
