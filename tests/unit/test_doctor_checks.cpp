#include <doctest/doctest.h>

#include <algorithm>
#include <unistd.h>

#include "doctor/doctor.hpp"

using namespace zsyncctl;

namespace {

const doctor::CheckResult& find(const doctor::Report& report, std::string_view id) {
    auto it = std::find_if(report.checks.begin(), report.checks.end(),
                           [&](const doctor::CheckResult& c) { return c.id == id; });
    REQUIRE(it != report.checks.end());
    return *it;
}

platform::HostFacts base_facts() {
    platform::HostFacts f;
    f.identity = {"linux", "x86_64", "x86_64", false, false};
    f.kernel.release = "6.8.0";
    f.kernel.version = platform::KernelVersion{6, 8, 0};
    f.cpu.online = 8;
    f.cpu.effective = 8;
    f.reactor.epoll = true;
    f.reactor.name = "epoll";
    f.io_uring.usable = true;
    f.io_uring.reason = "ok";
    f.io_uring.evidence.kernel = f.kernel.version;
    f.distro = platform::distro_from_fields({{"ID", "debian"}, {"VERSION_ID", "12"}}, "/etc/os-release");
    return f;
}

} // namespace

TEST_CASE("Doctor catalog ids are unique and selection is validated") {
    const auto& catalog = doctor::check_catalog();
    CHECK(catalog.size() >= 16);
    for (std::size_t i = 0; i < catalog.size(); ++i) {
        for (std::size_t j = i + 1; j < catalog.size(); ++j) {
            CHECK(catalog[i].id != catalog[j].id);
        }
    }
    auto bad = doctor::run_doctor(base_facts(), {{"nope"}, true, {}, {}, {}, {}});
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().kind == util::ErrorKind::invalid_input);
    CHECK(bad.error().hint.find("iouring.setup") != std::string::npos);
    auto some = doctor::run_doctor(base_facts(), {{"cpu.quota", "platform.arch"}, true, {}, {}, {}, {}});
    REQUIRE(some.ok());
    CHECK(some->checks.size() == 2);
}

TEST_CASE("Doctor's limit fixes use ulimit within the hard limit, prlimit past it") {
    auto facts = base_facts();
    bool root = ::geteuid() == 0;
    std::string sudo = root ? "" : "sudo ";
    SUBCASE("RLIMIT_NPROC") {
        facts.rlimits.nproc = {true, 100, 8192};
        auto within = doctor::run_doctor(facts, {{"tasks.limit"}, true, {}, {}, {}, {}});
        CHECK(find(*within, "tasks.limit").fix == "ulimit -u 4096");
        facts.rlimits.nproc = {true, 100, 100};
        auto past = doctor::run_doctor(facts, {{"tasks.limit"}, true, {}, {}, {}, {}});
        CHECK(find(*past, "tasks.limit").fix == sudo + "prlimit --pid $$ --nproc=4096:4096");
    }
    SUBCASE("RLIMIT_MEMLOCK on a kernel that charges rings to it") {
        facts.kernel.version = platform::KernelVersion{5, 4, 0};
        facts.io_uring.evidence.kernel = facts.kernel.version;
        facts.io_uring.evidence.memlock_known = true;
        facts.io_uring.evidence.memlock_soft = 65536;
        facts.io_uring.memlock_risk = true;
        facts.rlimits.memlock = {true, 65536, 65536};
        auto past = doctor::run_doctor(facts, {{"iouring.memlock"}, true, {}, {}, {}, {}});
        CHECK(find(*past, "iouring.memlock")
                  .fix.starts_with(sudo + "prlimit --pid $$ --memlock=67108864:67108864"));
        facts.rlimits.memlock = {true, 65536, std::nullopt};
        auto within = doctor::run_doctor(facts, {{"iouring.memlock"}, true, {}, {}, {}, {}});
        CHECK(find(*within, "iouring.memlock").fix.starts_with("ulimit -l 65536   (persist:"));
    }
}

TEST_CASE("Doctor checks turn facts into statuses with fixes") {
    auto facts = base_facts();
    SUBCASE("healthy host") {
        auto report = doctor::run_doctor(facts, {{}, true, {}, {}, {}, {}});
        REQUIRE(report.ok());
        CHECK_FALSE(doctor::has_failures(*report, doctor::Strict::yes));
        CHECK(report->recommendation.io_backend == core::IoBackend::io_uring);
        CHECK(report->recommendation.threads == 8);
    }
    SUBCASE("sysctl disables io_uring: warn with the sysctl command, epoll recommended") {
        facts.io_uring.usable = false;
        facts.io_uring.evidence.sysctl_disabled = 2;
        auto report = doctor::run_doctor(facts, {{}, true, {}, {}, {}, {}});
        REQUIRE(report.ok());
        CHECK(find(*report, "iouring.sysctl").status == doctor::Status::warn);
        CHECK(find(*report, "iouring.sysctl").fix == "sudo sysctl -w kernel.io_uring_disabled=0");
        CHECK(report->recommendation.io_backend == core::IoBackend::epoll);
        CHECK_FALSE(doctor::has_failures(*report, doctor::Strict::no));
        CHECK(doctor::has_failures(*report, doctor::Strict::yes));
    }
    SUBCASE("forcing io_uring where it is unusable fails the recommendation") {
        facts.io_uring.usable = false;
        auto report =
            doctor::run_doctor(facts, {{}, true, core::IoBackend::io_uring, "--io-backend", {}, {}});
        REQUIRE(report.ok());
        CHECK(find(*report, "runtime.recommendation").status == doctor::Status::fail);
        CHECK(doctor::has_failures(*report, doctor::Strict::no));
    }
    SUBCASE("a binary built without io_uring recommends epoll") {
        auto report = doctor::run_doctor(facts, {{}, false, {}, {}, {}, {}});
        CHECK(report->recommendation.io_backend == core::IoBackend::epoll);
    }
    SUBCASE("emulation, old kernel, low fd limit, pids limit") {
        facts.identity.arch = "x86_64";
        facts.identity.kernel_arch = "arm64";
        facts.kernel.version = platform::KernelVersion{4, 9, 0};
        facts.rlimits.nofile = {true, 256, 10240};
        facts.pids.cgroup_limit = 20;
        facts.distro = platform::distro_from_fields({{"ID", "ubuntu"}, {"ID_LIKE", "debian"}}, "x");
        auto report = doctor::run_doctor(facts, {{}, true, {}, {}, {}, {}});
        CHECK(find(*report, "platform.arch").status == doctor::Status::warn);
        CHECK(find(*report, "platform.kernel").status == doctor::Status::warn);
        CHECK(find(*report, "platform.kernel").fix.find("apt-get") != std::string::npos);
        CHECK(find(*report, "limits.nofile").fix == "ulimit -n 10240");
        // The hard limit low too: ulimit -n cannot pass it (it said "ulimit -n 64" for 64/64); prlimit
        // raises both limits of the shell the fix is pasted into.
        facts.rlimits.nofile = {true, 64, 64};
        auto low_hard = doctor::run_doctor(facts, {{}, true, {}, {}, {}, {}});
        CHECK(find(*low_hard, "limits.nofile").status == doctor::Status::warn);
        CHECK(find(*low_hard, "limits.nofile").fix.ends_with("prlimit --pid $$ --nofile=65536:65536"));
        CHECK(find(*low_hard, "limits.nofile").summary.find("only root can raise the hard limit") !=
              std::string::npos);
        facts.rlimits.nofile = {true, 256, std::nullopt}; // hard unlimited
        auto unlimited = doctor::run_doctor(facts, {{}, true, {}, {}, {}, {}});
        CHECK(find(*unlimited, "limits.nofile").fix == "ulimit -n 65536");
        CHECK(find(*report, "tasks.limit").status == doctor::Status::warn);
        CHECK(report->recommendation.threads == 5);
    }
    SUBCASE("CPU quota and a tighter parent are reported") {
        facts.cpu.cgroup_version = 2;
        facts.cpu.quota = 1.5;
        facts.cpu.effective = 2;
        auto report = doctor::run_doctor(facts, {{}, true, {}, {}, {}, {}});
        CHECK(find(*report, "cpu.quota").status == doctor::Status::ok); // the leaf has none
        CHECK(find(*report, "cpu.quota.ancestors").status == doctor::Status::info);
        CHECK(report->recommendation.threads == 2);
    }
}

TEST_CASE("doctor Homebrew checks flag a foreign-arch brew and several prefixes") {
    doctor::DoctorOptions options;
    options.io_uring_compiled_in = true;
    options.only = {"pkg.homebrew.arch", "pkg.homebrew.multiple"};
    SUBCASE("no brew: both skip") {
        auto report = doctor::run_doctor(base_facts(), options);
        REQUIRE(report.ok());
        REQUIRE(report->checks.size() == 2);
        CHECK(report->checks[0].status == doctor::Status::skip);
        CHECK(report->checks[1].status == doctor::Status::skip);
    }
    SUBCASE("native arm64 brew plus an Intel brew under Rosetta") {
        options.homebrew.installs.push_back({"/opt/homebrew", "/opt/homebrew/bin/brew", true, true, ""});
        options.homebrew.installs.push_back(
            {"/usr/local", "/usr/local/bin/brew", false, false, "x86_64 Homebrew on an arm64 Mac (Rosetta)"});
        auto report = doctor::run_doctor(base_facts(), options);
        REQUIRE(report.ok());
        CHECK(report->checks[0].status == doctor::Status::warn);
        CHECK(report->checks[0].fix.find("/opt/homebrew/bin/brew shellenv") != std::string::npos);
        CHECK(report->checks[1].status == doctor::Status::warn);
        CHECK(report->checks[1].summary.find("2 Homebrew prefixes") == 0);
    }
    SUBCASE("one native brew is fine") {
        options.homebrew.installs.push_back({"/opt/homebrew", "/opt/homebrew/bin/brew", true, true, ""});
        auto report = doctor::run_doctor(base_facts(), options);
        REQUIRE(report.ok());
        CHECK(report->checks[0].status == doctor::Status::ok);
        CHECK(report->checks[1].status == doctor::Status::ok);
    }
}
