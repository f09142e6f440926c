#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/process.hpp"
#include "core/runtime.hpp"
#include "pkg/install/install_plan.hpp"
#include "pkg/install/simulation.hpp"
#include "platform/executable.hpp"
#include "search_run_support.hpp"
#include "temp_dir.hpp"

using namespace zsyncctl;

namespace {

using test_support::make_runtime;

std::vector<std::string> names_of(const std::vector<pkg::TransactionPackage>& packages) {
    std::vector<std::string> out;
    for (const auto& p : packages) {
        out.push_back(p.name);
    }
    return out;
}

// Recorded from apt-get -s -q on Debian 12 (this machine): `remove python3` (abridged) and `install sl`.
constexpr std::string_view k_apt_remove = R"(Reading package lists...
Building dependency tree...
Reading state information...
The following additional packages will be installed:
  libpython3.11 python3.11
The following packages will be REMOVED:
  clang-format python3 python3-apt
0 upgraded, 2 newly installed, 3 to remove and 126 not upgraded.
Remv clang-format [1:14.0-55.7~deb12u1]
Remv python3-apt [2.6.0]
Remv python3 [3.11.2-1+b1]
Inst libpython3.11 [3.11.2-6+deb12u5] (3.11.2-6+deb12u6 Debian:12.15/oldstable [amd64])
Inst python3.11 (3.11.2-6+deb12u6 Debian:12.15/oldstable [amd64])
Conf libpython3.11 (3.11.2-6+deb12u6 Debian:12.15/oldstable [amd64])
Conf python3.11 (3.11.2-6+deb12u6 Debian:12.15/oldstable [amd64])
)";

constexpr std::string_view k_apt_not_installed = R"(Reading package lists...
Building dependency tree...
Reading state information...
Package 'sl' is not installed, so not removed
0 upgraded, 0 newly installed, 0 to remove and 126 not upgraded.
)";

// dnf4 `install --assumeno` (Fedora 38 layout: a wrapped long name, dependencies, an upgrade).
constexpr std::string_view k_dnf_install = R"(Last metadata expiration check: 0:10:00 ago.
Dependencies resolved.
================================================================================
 Package                          Arch      Version            Repository  Size
================================================================================
Installing:
 sl                               x86_64    5.02-1.fc38        fedora      22 k
Installing dependencies:
 a-really-long-dependency-name-that-wraps-around
                                  x86_64    1.0-1.fc38         fedora      10 k
Upgrading:
 ncurses-libs                     x86_64    6.4-7.fc38         updates    331 k

Transaction Summary
================================================================================
Install  2 Packages
Upgrade  1 Package

Total download size: 363 k
Operation aborted.
)";

// dnf5 `remove --assumeno`: no === rules, "Removing unused dependencies:".
constexpr std::string_view k_dnf5_remove =
    R"(Package                  Arch    Version          Repository      Size
Removing:
 sl                      x86_64  5.02-1.fc40      fedora      29.0 KiB
Removing unused dependencies:
 ncurses-compat          x86_64  6.4-12.fc40      fedora     100.0 KiB

Transaction Summary:
 Removing:           2 packages
Operation aborted by the user.
)";

constexpr std::string_view k_dnf_missing = R"(Last metadata expiration check: 0:10:00 ago.
No match for argument: zs-nosuch
)";

// pacman -S --print --print-format "%n %v" and -R of the same.
constexpr std::string_view k_pacman_sync = "ncurses 6.4-1\nsl 5.02-8\n";

// zypper install --dry-run.
constexpr std::string_view k_zypper = R"(Loading repository data...
Reading installed packages...
Resolving package dependencies...

The following 2 NEW packages are going to be installed:
  sl libncurses6

The following package is going to be upgraded:
  zypper

The following package is going to be REMOVED:
  old-thing

2 new packages to install, 1 to upgrade, 1 to remove.
Overall download size: 1.2 MiB. Already cached: 0 B. After the operation, additional 30.0 KiB will be used.
Continue? [y/n/v/...? shows all options] (y): y
)";

bool run_ok(std::vector<std::string> argv, const std::string& cwd = {}) {
    core::ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.cwd = cwd;
    spec.timeout = std::chrono::seconds(60);
    spec.set_env("LC_ALL", "C");
    auto r = core::run_process(std::move(spec));
    if (!r || !r->success()) {
        MESSAGE((r ? r->stderr_text + r->stdout_text : r.error().message));
        return false;
    }
    return true;
}

// A .deb named `name` depending on `depends` (may be empty), into `repo`.
void make_deb(const test::TempDir& dir, const std::string& name, const std::string& depends) {
    std::string control =
        "Package: " + name +
        "\nVersion: 1.0\nArchitecture: all\nMaintainer: zsyncctl tests <t@example.invalid>\n" +
        (depends.empty() ? "" : "Depends: " + depends + "\n") + "Description: test package\n";
    dir.write("build/" + name + "/DEBIAN/control", control);
    dir.write("build/" + name + "/usr/share/" + name + "/file", name + "\n");
    REQUIRE(run_ok({"dpkg-deb", "-b", (dir.path / "build" / name).string(),
                    (dir.path / "repo" / (name + "_1.0_all.deb")).string()}));
}

} // namespace

TEST_CASE("parse_simulation reads apt-get -s lines") {
    SUBCASE("a removal that takes others along and installs some") {
        auto r = pkg::parse_simulation(pkg::SimulationFormat::apt_get, pkg::Operation::remove, k_apt_remove,
                                       "", 0);
        CHECK(r.resolved);
        CHECK(names_of(r.transaction.remove) ==
              std::vector<std::string>{"clang-format", "python3-apt", "python3"});
        CHECK(r.transaction.remove[2].old_version == "3.11.2-1+b1");
        CHECK(names_of(r.transaction.install) == std::vector<std::string>{"python3.11"});
        CHECK(r.transaction.install[0].version == "3.11.2-6+deb12u6");
        REQUIRE(r.transaction.upgrade.size() == 1);
        CHECK(r.transaction.upgrade[0].old_version == "3.11.2-6+deb12u5");
        CHECK(r.transaction.upgrade[0].version == "3.11.2-6+deb12u6");
    }
    SUBCASE("nothing to remove: empty, with apt's notice") {
        auto r = pkg::parse_simulation(pkg::SimulationFormat::apt_get, pkg::Operation::remove,
                                       k_apt_not_installed, "", 0);
        CHECK(r.resolved);
        CHECK(r.transaction.empty());
        REQUIRE(r.messages.size() == 1);
        CHECK(r.messages[0] == "Package 'sl' is not installed, so not removed");
    }
    SUBCASE("an unknown package: not resolved, apt's error kept, the simulation note dropped") {
        auto r = pkg::parse_simulation(
            pkg::SimulationFormat::apt_get, pkg::Operation::install, "Reading package lists...\n",
            "NOTE: This is only a simulation!\nE: Unable to locate package zs-nosuch\n", 100);
        CHECK_FALSE(r.resolved);
        CHECK(r.messages == std::vector<std::string>{"E: Unable to locate package zs-nosuch"});
    }
}

TEST_CASE("parse_simulation reads dnf, pacman and zypper transactions") {
    SUBCASE("dnf4 install with a wrapped name; exit 1 after 'Operation aborted.' is still a transaction") {
        auto r =
            pkg::parse_simulation(pkg::SimulationFormat::dnf, pkg::Operation::install, k_dnf_install, "", 1);
        CHECK(r.resolved);
        CHECK(names_of(r.transaction.install) ==
              std::vector<std::string>{"sl", "a-really-long-dependency-name-that-wraps-around"});
        CHECK(r.transaction.install[0].version == "5.02-1.fc38");
        CHECK(r.transaction.install[1].version == "1.0-1.fc38");
        CHECK(names_of(r.transaction.upgrade) == std::vector<std::string>{"ncurses-libs"});
        CHECK(r.transaction.remove.empty());
    }
    SUBCASE("dnf 4.14 prints 'Operation aborted.' on stderr: still a transaction, and no message") {
        std::string_view table = k_dnf_install.substr(0, k_dnf_install.find("Operation aborted."));
        auto r = pkg::parse_simulation(pkg::SimulationFormat::dnf, pkg::Operation::upgrade, table,
                                       "Unable to detect release version\nOperation aborted.\n", 1);
        CHECK(r.resolved);
        CHECK(names_of(r.transaction.upgrade) == std::vector<std::string>{"ncurses-libs"});
        CHECK(r.messages == std::vector<std::string>{"Unable to detect release version"});
    }
    SUBCASE("dnf exit 1 without 'Operation aborted.' is no transaction") {
        std::string_view table = k_dnf_install.substr(0, k_dnf_install.find("Operation aborted."));
        auto r = pkg::parse_simulation(pkg::SimulationFormat::dnf, pkg::Operation::upgrade, table,
                                       "Error: something\n", 1);
        CHECK_FALSE(r.resolved);
    }
    SUBCASE("dnf5 remove with unused dependencies") {
        auto r =
            pkg::parse_simulation(pkg::SimulationFormat::dnf, pkg::Operation::remove, k_dnf5_remove, "", 1);
        CHECK(r.resolved);
        CHECK(names_of(r.transaction.remove) == std::vector<std::string>{"sl", "ncurses-compat"});
        CHECK(r.transaction.remove[0].old_version == "5.02-1.fc40");
    }
    SUBCASE("dnf: a missing package is not resolved") {
        auto r = pkg::parse_simulation(pkg::SimulationFormat::dnf, pkg::Operation::install, k_dnf_missing,
                                       "Error: Unable to find a match: zs-nosuch\n", 1);
        CHECK_FALSE(r.resolved);
        CHECK(r.messages.size() == 2);
    }
    SUBCASE("pacman --print: installs for -S, removals for -R") {
        auto s = pkg::parse_simulation(pkg::SimulationFormat::pacman_print, pkg::Operation::install,
                                       k_pacman_sync, "", 0);
        CHECK(names_of(s.transaction.install) == std::vector<std::string>{"ncurses", "sl"});
        auto r = pkg::parse_simulation(pkg::SimulationFormat::pacman_print, pkg::Operation::remove,
                                       k_pacman_sync, "", 0);
        CHECK(names_of(r.transaction.remove) == std::vector<std::string>{"ncurses", "sl"});
        CHECK(r.transaction.remove[1].old_version == "5.02-8");
        auto missing = pkg::parse_simulation(pkg::SimulationFormat::pacman_print, pkg::Operation::install, "",
                                             "error: target not found: zs-nosuch\n", 1);
        CHECK_FALSE(missing.resolved);
    }
    SUBCASE("zypper --dry-run") {
        auto r =
            pkg::parse_simulation(pkg::SimulationFormat::zypper, pkg::Operation::install, k_zypper, "", 0);
        CHECK(r.resolved);
        CHECK(names_of(r.transaction.install) == std::vector<std::string>{"sl", "libncurses6"});
        CHECK(names_of(r.transaction.upgrade) == std::vector<std::string>{"zypper"});
        CHECK(names_of(r.transaction.remove) == std::vector<std::string>{"old-thing"});
    }
}

TEST_CASE("build_plan adds the registry's simulation with the same root and names") {
    pkg::PlanOptions options;
    options.root = "/tmp/some-root";
    auto plan = pkg::build_plan("apt", pkg::Operation::remove, {"sl"}, options);
    REQUIRE(plan.ok());
    REQUIRE(plan->simulation.has_value());
    const auto& argv = plan->simulation->argv;
    CHECK(argv.front() == "apt-get");
    CHECK(std::find(argv.begin(), argv.end(), "-s") != argv.end());
    CHECK(std::find(argv.begin(), argv.end(), "-y") == argv.end());
    CHECK(std::find(argv.begin(), argv.end(), "Dir=/tmp/some-root") != argv.end());
    CHECK(argv.back() == "sl");
    CHECK(plan->simulation_format == pkg::SimulationFormat::apt_get);
    auto npm = pkg::build_plan("npm", pkg::Operation::install, {"left-pad"});
    REQUIRE(npm.ok());
    CHECK_FALSE(npm->simulation.has_value());
}

TEST_CASE("run_simulation runs the real apt-get -s in a scratch root") {
    for (const char* tool : {"apt-get", "dpkg-deb", "dpkg-scanpackages"}) {
        if (!platform::find_executable(tool, platform::path_env())) {
            MESSAGE("skipped: " << tool << " is not installed");
            return;
        }
    }
    test::TempDir dir("simulation");
    const auto root = dir.path / "root";
    for (const char* sub : {"etc/apt/sources.list.d", "etc/apt/preferences.d", "etc/apt/apt.conf.d",
                            "var/lib/apt/lists/partial", "var/cache/apt/archives/partial",
                            "var/lib/dpkg/updates", "var/lib/dpkg/info", "var/log", "repo"}) {
        std::filesystem::create_directories((sub == std::string("repo") ? dir.path : root) / sub);
    }
    dir.write("root/var/lib/dpkg/status", "");
    dir.write("root/etc/apt/sources.list",
              "deb [trusted=yes] file:" + (dir.path / "repo").string() + " ./\n");
    make_deb(dir, "zs-lib", "");
    make_deb(dir, "zs-app", "zs-lib");
    core::ProcessSpec scan;
    scan.argv = {"dpkg-scanpackages", ".", "/dev/null"};
    scan.cwd = (dir.path / "repo").string();
    auto scanned = core::run_process(std::move(scan));
    REQUIRE(scanned.ok());
    dir.write("repo/Packages", scanned->stdout_text);

    pkg::PlanOptions options;
    options.root = root.string();
    auto plan = pkg::build_plan("apt", pkg::Operation::install, {"zs-app"}, options);
    REQUIRE(plan.ok());
    // apt-get update with the plan's own Dir options (the update is not part of the plan).
    std::vector<std::string> update{"apt-get", "-q"};
    const auto& argv = plan->commands.front().argv;
    for (std::size_t i = 1; i + 1 < argv.size(); ++i) {
        if (argv[i] == "-o" && (argv[i + 1].starts_with("Dir") || argv[i + 1].starts_with("DPkg::Options"))) {
            update.push_back("-o");
            update.push_back(argv[i + 1]);
        }
    }
    update.emplace_back("update");
    REQUIRE(run_ok(update));

    auto rt = make_runtime();
    auto loop = rt->loop();
    REQUIRE(loop.ok());
    SUBCASE("install takes the dependency along") {
        auto sim = pkg::run_simulation(*plan, **loop, rt->token(), std::chrono::seconds(60));
        REQUIRE(sim.ok());
        CHECK(sim->resolved);
        auto installed = names_of(sim->transaction.install);
        std::sort(installed.begin(), installed.end());
        CHECK(installed == std::vector<std::string>{"zs-app", "zs-lib"});
        CHECK(sim->transaction.remove.empty());
        // Nothing was installed: the status file is still empty.
        CHECK(std::filesystem::file_size(root / "var/lib/dpkg/status") == 0);
    }
    SUBCASE("a package the repository does not have is not resolved") {
        auto missing = pkg::build_plan("apt", pkg::Operation::install, {"zs-nosuch"}, options);
        REQUIRE(missing.ok());
        auto sim = pkg::run_simulation(*missing, **loop, rt->token(), std::chrono::seconds(60));
        REQUIRE(sim.ok());
        CHECK_FALSE(sim->resolved);
        CHECK(sim->exit_code == 100);
        bool said = false;
        for (const auto& m : sim->messages) {
            said = said || m.find("Unable to locate package zs-nosuch") != std::string::npos;
        }
        CHECK(said);
    }
    SUBCASE("removing a package that is not installed changes nothing") {
        auto remove = pkg::build_plan("apt", pkg::Operation::remove, {"zs-app"}, options);
        REQUIRE(remove.ok());
        auto sim = pkg::run_simulation(*remove, **loop, rt->token(), std::chrono::seconds(60));
        REQUIRE(sim.ok());
        CHECK(sim->resolved);
        CHECK(sim->transaction.empty());
    }
}

TEST_CASE("same_transaction compares changes in any order") {
    pkg::Transaction a;
    a.install = {{"zs-dep", "1.0", {}}, {"zs-app", "2.0", {}}};
    pkg::Transaction b;
    b.install = {{"zs-app", "2.0", {}}, {"zs-dep", "1.0", {}}};
    SUBCASE("the same packages in another order") {
        CHECK(pkg::same_transaction(a, b));
    }
    SUBCASE("another version, or a package more, is a different transaction") {
        b.install[0].version = "3.0";
        CHECK_FALSE(pkg::same_transaction(a, b));
        b.install[0].version = "2.0";
        b.remove.push_back({"zs-old", {}, "1.0"});
        CHECK_FALSE(pkg::same_transaction(a, b));
    }
}

TEST_CASE("parse_simulation reads apt-get -s upgrade: the upgrade and what apt keeps back") {
    // Captured from apt 2.6 on a scratch root with zs-h held (dpkg --set-selections) and 2.0 published.
    constexpr std::string_view k_out = "Reading package lists...\n"
                                       "Building dependency tree...\n"
                                       "Reading state information...\n"
                                       "Calculating upgrade...\n"
                                       "The following packages have been kept back:\n"
                                       "  zs-h\n"
                                       "The following packages will be upgraded:\n"
                                       "  zs-a\n"
                                       "1 upgraded, 0 newly installed, 0 to remove and 1 not upgraded.\n"
                                       "Inst zs-a [1.0] (2.0 localhost [all])\n"
                                       "Conf zs-a (2.0 localhost [all])\n";
    auto r = pkg::parse_simulation(pkg::SimulationFormat::apt_get, pkg::Operation::upgrade, k_out, "", 0);
    CHECK(r.resolved);
    REQUIRE(r.transaction.upgrade.size() == 1);
    CHECK(r.transaction.upgrade[0] == pkg::TransactionPackage{"zs-a", "2.0", "1.0"});
    REQUIRE(r.transaction.kept_back.size() == 1);
    CHECK(r.transaction.kept_back[0].name == "zs-h");
    CHECK(r.transaction.install.empty());
    CHECK_FALSE(r.transaction.empty());

    // Only kept-back packages: nothing changes.
    constexpr std::string_view k_kept = "Calculating upgrade...\n"
                                        "The following packages have been kept back:\n"
                                        "  zs-h zs-x\n"
                                        "0 upgraded, 0 newly installed, 0 to remove and 2 not upgraded.\n";
    auto kept = pkg::parse_simulation(pkg::SimulationFormat::apt_get, pkg::Operation::upgrade, k_kept, "", 0);
    CHECK(kept.transaction.empty());
    CHECK(kept.transaction.kept_back.size() == 2);
}

TEST_CASE(
    "parse_simulation: an apt transaction that removes essential packages is refused, as apt-get -y does") {
    // apt-get -s remove bash on Debian 12 (apt 2.6.1), and a removal taking two essential packages along.
    constexpr std::string_view k_one = "The following packages will be REMOVED:\n"
                                       "  bash\n"
                                       "WARNING: The following essential packages will be removed.\n"
                                       "This should NOT be done unless you know exactly what you are doing!\n"
                                       "  bash\n"
                                       "0 upgraded, 0 newly installed, 1 to remove and 126 not upgraded.\n"
                                       "Remv bash [5.2.15-2+b8]\n";
    auto one = pkg::parse_simulation(pkg::SimulationFormat::apt_get, pkg::Operation::remove, k_one, "", 0);
    CHECK_FALSE(one.resolved);
    CHECK(one.transaction.empty());
    REQUIRE(one.messages.size() == 1);
    CHECK(one.messages[0].find("essential package bash (") != std::string::npos);
    CHECK(one.messages[0].find("--allow-remove-essential") != std::string::npos);

    constexpr std::string_view k_two =
        "WARNING: The following essential packages will be removed.\n"
        "This should NOT be done unless you know exactly what you are doing!\n"
        "  zs-a zs-b\n"
        "  zs-c\n"
        "Remv zs-lib [1.0]\nRemv zs-a [1.0]\nRemv zs-b [1.0]\nRemv zs-c [1.0]\n";
    auto two = pkg::parse_simulation(pkg::SimulationFormat::apt_get, pkg::Operation::remove, k_two, "", 0);
    CHECK_FALSE(two.resolved);
    REQUIRE(two.messages.size() == 1);
    CHECK(two.messages[0].find("essential packages zs-a, zs-b, zs-c (") != std::string::npos);

    // The same removal without the warning is a transaction.
    constexpr std::string_view k_plain = "The following packages will be REMOVED:\n  zs-x\n"
                                         "Remv zs-x [1.0]\n";
    auto plain =
        pkg::parse_simulation(pkg::SimulationFormat::apt_get, pkg::Operation::remove, k_plain, "", 0);
    CHECK(plain.resolved);
    REQUIRE(plain.transaction.remove.size() == 1);
    CHECK(plain.messages.empty());
}

TEST_CASE("parse_simulation reads pacman --print of an upgrade as upgrades") {
    auto r = pkg::parse_simulation(pkg::SimulationFormat::pacman_print, pkg::Operation::upgrade,
                                   ":: Starting full system upgrade...\nzs-up 2.0-1\n",
                                   "warning: zs-ign: ignoring package upgrade (1.0-1 => 2.0-1)\n", 0);
    CHECK(r.resolved);
    REQUIRE(r.transaction.upgrade.size() == 1);
    CHECK(r.transaction.upgrade[0].name == "zs-up");
    CHECK(r.transaction.install.empty());
}

TEST_CASE("parse_simulation reads apk --simulate as apk-tools prints it") {
    using TP = pkg::TransactionPackage;
    // apk-tools' own test/solver expectations: upgrade1.test, pinning8.test (a tag after the name).
    auto r = pkg::parse_simulation(pkg::SimulationFormat::apk_simulate, pkg::Operation::upgrade,
                                   "(1/3) Purging libold (1)\n(2/3) Installing libnew (1)\n"
                                   "(3/3) Upgrading app (1 -> 2)\nOK: 0 MiB in 2 packages\n",
                                   "", 0);
    CHECK(r.resolved);
    CHECK(r.transaction.remove == std::vector<TP>{{"libold", "", "1"}});
    CHECK(r.transaction.install == std::vector<TP>{{"libnew", "1", ""}});
    CHECK(r.transaction.upgrade == std::vector<TP>{{"app", "2", "1"}});
    auto pinned = pkg::parse_simulation(pkg::SimulationFormat::apk_simulate, pkg::Operation::upgrade,
                                        "(1/3) Downgrading b (3 -> 2)\n(2/3) Upgrading a@testing (3 -> 3.1)\n"
                                        "(3/3) Upgrading c@testing (3 -> 3.1)\nOK: 0 MiB in 3 packages\n",
                                        "", 0);
    CHECK(pinned.transaction.upgrade ==
          std::vector<TP>{{"b", "2", "3"}, {"a", "3.1", "3"}, {"c", "3.1", "3"}});
    // A reinstall changes no version (a Stack Exchange transcript of apk -sv fix); an empty upgrade.
    auto fix = pkg::parse_simulation(pkg::SimulationFormat::apk_simulate, pkg::Operation::upgrade,
                                     "(1/3) Reinstalling fuse-common (3.2.6-r1)\n"
                                     "(3/3) Reinstalling xorgproto (2018.4-r0)\n"
                                     "3 errors; 524 packages, 2845 dirs, 48016 files, 2002 MiB\n",
                                     "", 0);
    CHECK(fix.transaction.empty());
    auto none = pkg::parse_simulation(pkg::SimulationFormat::apk_simulate, pkg::Operation::upgrade,
                                      "OK: 44 MiB in 63 packages\n", "", 0);
    CHECK(none.resolved);
    CHECK(none.transaction.empty());
    // apk refusing: its ERROR block on stderr, exit 1.
    auto refused = pkg::parse_simulation(pkg::SimulationFormat::apk_simulate, pkg::Operation::upgrade, "",
                                         "ERROR: unable to select packages:\n  nanop (no such package):\n"
                                         "    required by: world[nanop]\n",
                                         1);
    CHECK_FALSE(refused.resolved);
    CHECK(refused.messages.front() == "ERROR: unable to select packages:");
    // Lines that only look like steps are not packages.
    auto odd = pkg::parse_simulation(
        pkg::SimulationFormat::apk_simulate, pkg::Operation::upgrade,
        "(x) Upgrading a (1 -> 2)\n(1/1) Upgrading (1 -> 2)\n(1/1) Upgrading b\n", "", 0);
    CHECK(odd.transaction.empty());
}
