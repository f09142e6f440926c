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

    pkg::DetectContext ctx;
    ctx.root = util::Root(s.dir);
    ctx.os = "linux";
    ctx.arch = "x86_64";
    ctx.home = "/home/u";
    std::vector<pkg::DetectedManager> managers{detected("pacman", "/usr/bin/pacman"),
                                               detected("dnf", "/usr/bin/dnf"),
                                               detected("apk", "/usr/bin/apk"),
                                               detected("zypper", "/usr/bin/zypper"),
                                               detected("rpm", "/usr/bin/rpm"),
                                               detected("npm", "/usr/bin/npm"),
                                               detected("nvm", ""),
                                               detected("sdkman", ""),
                                               detected("yum", "/usr/bin/yum-missing")};
    managers[7].prefix = "/home/u/.sdkman";

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
    CHECK(results[3].elapsed >= std::chrono::milliseconds(1400));
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
