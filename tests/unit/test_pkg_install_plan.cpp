#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/install/install_plan.hpp"
#include "pkg/install/version_locks.hpp"
#include "temp_dir.hpp"
#include "util/root.hpp"

using namespace zsyncctl;

TEST_CASE("validate_package_name refuses options, whitespace, control and shell characters") {
    SUBCASE("accepted names") {
        for (const char* name :
             {"curl", "libc6:i386", "g++", "python3.11", "@scope/pkg", "user/tap/formula",
              "golang.org/x/tools/gopls@latest", "pkg=1.0-1", "foo~bar", "requests[socks]"}) {
            CAPTURE(name);
            CHECK(pkg::validate_package_name(name).ok());
        }
    }
    SUBCASE("refused names") {
        for (std::string name : {std::string(""),     std::string("-o"),    std::string("--option=x"),
                                 std::string("a b"),  std::string("a\tb"),  std::string("a\nb"),
                                 std::string("a;b"),  std::string("$(id)"), std::string("`id`"),
                                 std::string("a|b"),  std::string("a&b"),   std::string("a<b"),
                                 std::string("a>b"),  std::string("'a'"),   std::string("\"a\""),
                                 std::string("a\\b"), std::string("a\x01"), std::string("caf\xc3\xa9"),
                                 std::string("a*"),   std::string(300, 'a')}) {
            CAPTURE(name);
            auto r = pkg::validate_package_name(name);
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().kind == util::ErrorKind::invalid_input);
        }
    }
    SUBCASE("the message names the character") {
        auto r = pkg::validate_package_name("a;b");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("';'") != std::string::npos);
        auto nl = pkg::validate_package_name("a\nb");
        REQUIRE_FALSE(nl.ok());
        CHECK(nl.error().message.find("newline") != std::string::npos);
        CHECK(nl.error().message.find('\n') == std::string::npos);
    }
}

TEST_CASE("parse_package_request splits a known manager prefix only") {
    auto a = pkg::parse_package_request("apt:curl");
    REQUIRE(a.ok());
    CHECK(a->manager == std::optional<std::string>("apt"));
    CHECK(a->name == "curl");
    auto b = pkg::parse_package_request("homebrew:wget");
    REQUIRE(b.ok());
    CHECK(b->manager == std::optional<std::string>("homebrew"));
    auto c = pkg::parse_package_request("libc6:i386");
    REQUIRE(c.ok());
    CHECK_FALSE(c->manager.has_value());
    CHECK(c->name == "libc6:i386");
    CHECK_FALSE(pkg::parse_package_request("apt:").ok());
    CHECK_FALSE(pkg::parse_package_request("apt:-o").ok());
    CHECK_FALSE(pkg::parse_package_request("apt:a;b").ok());
}

TEST_CASE("parse_package_request knows every registry prefix, refuses an empty one, reads NAME:ARCH") {
    SUBCASE("a manager that cannot install by name is still the prefix, not part of the name") {
        for (const char* text : {"rpm:curl", "dpkg:sl", "nala:sl"}) {
            CAPTURE(text);
            auto r = pkg::parse_package_request(text);
            REQUIRE(r.ok());
            CHECK(r->manager.has_value());
            CHECK(r->name.find(':') == std::string::npos);
        }
    }
    SUBCASE("an empty prefix is refused") {
        auto r = pkg::parse_package_request(":sl");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == util::ErrorKind::invalid_input);
        CHECK(r.error().hint.find("apt:sl") != std::string::npos);
    }
    SUBCASE("NAME:ARCH without and with apt") {
        auto c = pkg::parse_package_request("libc6:i386");
        REQUIRE(c.ok());
        CHECK(c->base_name == "libc6");
        CHECK(c->arch == "i386");
        auto a = pkg::parse_package_request("apt:libc6:i386");
        REQUIRE(a.ok());
        CHECK(a->name == "libc6:i386");
        CHECK(a->base_name == "libc6");
        CHECK(a->arch == "i386");
        auto epoch = pkg::parse_package_request("apt:foo=1:2.0-1");
        REQUIRE(epoch.ok());
        CHECK(epoch->arch.empty());
        CHECK(epoch->name == "foo=1:2.0-1");
        auto plain = pkg::parse_package_request("apt:curl");
        REQUIRE(plain.ok());
        CHECK(plain->base_name == "curl");
        CHECK(plain->arch.empty());
    }
}

TEST_CASE("build_plan refuses managers that cannot install by name and names the one that can") {
    for (const auto& entry : {std::pair{"dpkg", "apt"}, std::pair{"nala", "apt"}, std::pair{"rpm", "dnf"}}) {
        // Not a structured binding: CAPTURE's lambda cannot capture one before clang 16.
        const char* id = entry.first;
        const char* instead = entry.second;
        CAPTURE(id);
        auto plan = pkg::build_plan(id, pkg::Operation::install, {"sl"});
        REQUIRE_FALSE(plan.ok());
        CHECK(plan.error().kind == util::ErrorKind::unsupported);
        CHECK(plan.error().message.find("cannot install packages by name") != std::string::npos);
        CHECK(plan.error().hint.find(std::string("use ") + instead) != std::string::npos);
        CHECK(plan.error().hint.find(std::string(instead) + ":sl") != std::string::npos);
    }
}

TEST_CASE("build_plan gives exact non-interactive argv per manager") {
    std::vector<std::string> names{"curl", "jq"};
    SUBCASE("apt") {
        auto plan = pkg::build_plan("apt", pkg::Operation::install, names);
        REQUIRE(plan.ok());
        REQUIRE(plan->commands.size() == 1);
        CHECK(plan->commands[0].argv ==
              std::vector<std::string>{"apt-get", "-y", "-q", "-o", "Dpkg::Options::=--force-confdef", "-o",
                                       "Dpkg::Options::=--force-confold", "install", "curl", "jq"});
        CHECK(plan->needs_root);
        CHECK(plan->lock_group == "dpkg");
        CHECK(plan->progress == pkg::ProgressStyle::apt_status_fd);
    }
    SUBCASE("apt with root options") {
        pkg::PlanOptions options;
        options.root = "/tmp/r/";
        auto plan = pkg::build_plan("apt", pkg::Operation::remove, {"zs-hello"}, options);
        REQUIRE(plan.ok());
        const auto& argv = plan->commands[0].argv;
        CHECK(argv[1] == "-o");
        CHECK(argv[2] == "Dir=/tmp/r");
        CHECK(std::find(argv.begin(), argv.end(), "DPkg::Options::=--root=/tmp/r") != argv.end());
        // The root's own locks are taken: never Debug::NoLocking.
        for (const auto& a : argv) {
            CHECK(a.find("NoLocking") == std::string::npos);
        }
        CHECK(argv.back() == "zs-hello");
        CHECK(argv[argv.size() - 2] == "remove");
        CHECK_FALSE(plan->needs_root); // dpkg --force-not-root inside a root we own
    }
    SUBCASE("root options of the other system managers come from the registry") {
        pkg::PlanOptions options;
        options.root = "/srv/img";
        auto dnf = pkg::build_plan("dnf", pkg::Operation::install, {"curl"}, options);
        REQUIRE(dnf.ok());
        CHECK(dnf->commands[0].argv ==
              std::vector<std::string>{"dnf", "--installroot=/srv/img", "--config=/srv/img/etc/dnf/dnf.conf",
                                       "--setopt=reposdir=/srv/img/etc/yum.repos.d,/srv/img/etc/yum/repos.d,"
                                       "/srv/img/etc/distro.repos.d",
                                       "--noplugins", "-y", "install", "curl"});
        CHECK(dnf->needs_root);
        auto zypper = pkg::build_plan("zypper", pkg::Operation::remove, {"curl"}, options);
        REQUIRE(zypper.ok());
        CHECK(zypper->commands[0].argv[1] == "--root");
        CHECK(zypper->commands[0].argv[2] == "/srv/img");
        auto xbps = pkg::build_plan("xbps", pkg::Operation::remove, {"curl"}, options);
        REQUIRE(xbps.ok());
        CHECK(xbps->commands[0].argv ==
              std::vector<std::string>{"xbps-remove", "--rootdir", "/srv/img", "--yes", "curl"});
    }
    SUBCASE("a manager without a root option is refused under another root") {
        pkg::PlanOptions options;
        options.root = "/srv/img";
        auto npm = pkg::build_plan("npm", pkg::Operation::install, {"left-pad"}, options);
        REQUIRE_FALSE(npm.ok());
        CHECK(npm.error().kind == util::ErrorKind::unsupported);
        CHECK(npm.error().hint.find("apt") != std::string::npos);
        CHECK(npm.error().hint.find("dnf") != std::string::npos);
        CHECK(pkg::managers_with_root_option().find("npm") == std::string::npos);
    }
    SUBCASE("homebrew never as root, with its env") {
        auto plan = pkg::build_plan("homebrew", pkg::Operation::install, names);
        REQUIRE(plan.ok());
        CHECK(plan->commands[0].argv == std::vector<std::string>{"brew", "install", "curl", "jq"});
        CHECK_FALSE(plan->needs_root);
        CHECK(plan->refuses_root);
        CHECK(plan->env.size() == 3);
    }
    SUBCASE("winget takes one id per command") {
        auto plan = pkg::build_plan("winget", pkg::Operation::install, names);
        REQUIRE(plan.ok());
        REQUIRE(plan->commands.size() == 2);
        CHECK(plan->commands[1].argv[4] == "jq");
        CHECK(plan->commands[1].argv.back() == "--disable-interactivity");
    }
    SUBCASE("go gets @latest and cannot remove") {
        auto plan = pkg::build_plan("go", pkg::Operation::install, {"golang.org/x/tools/gopls"});
        REQUIRE(plan.ok());
        CHECK(plan->commands[0].argv.back() == "golang.org/x/tools/gopls@latest");
        auto rm = pkg::build_plan("go", pkg::Operation::remove, {"x"});
        REQUIRE_FALSE(rm.ok());
        CHECK(rm.error().kind == util::ErrorKind::unsupported);
    }
    SUBCASE("an executable path replaces argv[0]") {
        pkg::PlanOptions options;
        options.executable = "/usr/bin/pacman";
        auto plan = pkg::build_plan("pacman", pkg::Operation::install, {"vim"}, options);
        REQUIRE(plan.ok());
        CHECK(plan->commands[0].argv.front() == "/usr/bin/pacman");
    }
    SUBCASE("unknown manager") {
        auto plan = pkg::build_plan("nosuch", pkg::Operation::install, names);
        REQUIRE_FALSE(plan.ok());
        CHECK(plan.error().kind == util::ErrorKind::invalid_input);
    }
    SUBCASE("every manager that can install plans, and system managers need root") {
        int installable = 0;
        for (const pkg::Manager* manager : pkg::installable_managers()) {
            CAPTURE(manager->id);
            auto plan = pkg::build_plan(manager->id, pkg::Operation::install, {"x"});
            if (pkg::can_perform(*manager, pkg::Operation::install)) {
                ++installable;
                REQUIRE(plan.ok());
                CHECK(plan->commands[0].argv.size() >= 2);
                CHECK_FALSE(plan->lock_group.empty());
                CHECK_FALSE((plan->needs_root && plan->refuses_root));
            } else {
                CHECK_FALSE(plan.ok());
                CHECK_FALSE(manager->install.why_not.empty());
            }
        }
        CHECK(installable >= 28);
    }
}

TEST_CASE("parse_manager_settings splits settings and refuses options") {
    auto r = pkg::parse_manager_settings("Dir=/x\n  Debug::NoLocking=1 ");
    REQUIRE(r.ok());
    CHECK(*r == std::vector<std::string>{"Dir=/x", "Debug::NoLocking=1"});
    CHECK_FALSE(pkg::parse_manager_settings("-oDir=/x").ok());
    CHECK_FALSE(pkg::parse_manager_settings("NoEquals").ok());
    CHECK(pkg::parse_manager_settings("").ok());
}

TEST_CASE("build_plan lets dpkg ask only when the user answers") {
    auto has = [](const std::vector<std::string>& argv, std::string_view arg) {
        return std::find(argv.begin(), argv.end(), arg) != argv.end();
    };
    SUBCASE("defaults: dpkg's conffile answers are forced") {
        auto plan = pkg::build_plan("apt", pkg::Operation::install, {"curl"});
        REQUIRE(plan.ok());
        const auto& argv = plan->commands.front().argv;
        CHECK(has(argv, "Dpkg::Options::=--force-confdef"));
        CHECK(has(argv, "Dpkg::Options::=--force-confold"));
        CHECK_FALSE(has(argv, "Dpkg::Use-Pty=0"));
    }
    SUBCASE("ask_terminal: no forced answers, dpkg on apt's own terminal, the rest unchanged") {
        pkg::PlanOptions options;
        options.prompts = pkg::Prompts::ask_terminal;
        options.settings = {"Dir=/r"};
        auto plan = pkg::build_plan("apt", pkg::Operation::install, {"curl"}, options);
        REQUIRE(plan.ok());
        CHECK(plan->commands.front().argv == std::vector<std::string>{"apt-get", "-o", "Dir=/r", "-o",
                                                                      "Dpkg::Use-Pty=0", "-y", "-q",
                                                                      "install", "curl"});
    }
    SUBCASE("other managers are not affected") {
        pkg::PlanOptions options;
        options.prompts = pkg::Prompts::ask_terminal;
        auto asked = pkg::build_plan("pacman", pkg::Operation::install, {"curl"}, options);
        auto plain = pkg::build_plan("pacman", pkg::Operation::install, {"curl"});
        REQUIRE(asked.ok());
        REQUIRE(plain.ok());
        CHECK(asked->commands.front().argv == plain->commands.front().argv);
    }
}

TEST_CASE("build_plan for upgrade: the manager's upgrade-all without names, --only-upgrade with them") {
    auto all = pkg::build_plan("apt", pkg::Operation::upgrade, {});
    REQUIRE(all.ok());
    CHECK(all->names.empty());
    CHECK(pkg::plan_subject(*all) == "every upgradable package");
    REQUIRE(all->commands.size() == 1);
    CHECK(all->commands[0].argv.back() == "upgrade");
    CHECK(std::find(all->commands[0].argv.begin(), all->commands[0].argv.end(), "-y") !=
          all->commands[0].argv.end());
    REQUIRE(all->simulation.has_value());
    CHECK(all->simulation->argv[1] == "-s");
    CHECK(all->simulation->argv.back() == "upgrade");

    auto named = pkg::build_plan("apt", pkg::Operation::upgrade, {"curl"});
    REQUIRE(named.ok());
    const auto& argv = named->commands[0].argv;
    CHECK(argv[argv.size() - 3] == "install");
    CHECK(argv[argv.size() - 2] == "--only-upgrade");
    CHECK(argv.back() == "curl");

    auto pacman_all = pkg::build_plan("pacman", pkg::Operation::upgrade, {});
    REQUIRE(pacman_all.ok());
    const auto& p = pacman_all->commands[0].argv;
    CHECK(std::find(p.begin(), p.end(), "--sysupgrade") != p.end());
    // never a sync with the upgrade: pkg refresh does that
    CHECK(std::find(p.begin(), p.end(), "--refresh") == p.end());
    CHECK(std::find(p.begin(), p.end(), "-y") == p.end());

    auto dpkg = pkg::build_plan("dpkg", pkg::Operation::upgrade, {});
    REQUIRE_FALSE(dpkg.ok());
    CHECK(dpkg.error().kind == util::ErrorKind::unsupported);
}

TEST_CASE("build_plan for refresh: no names, no simulation, the root options") {
    pkg::PlanOptions options;
    options.root = "/tmp/r";
    auto apt = pkg::build_plan("apt", pkg::Operation::refresh, {}, options);
    REQUIRE(apt.ok());
    CHECK_FALSE(apt->simulation.has_value());
    CHECK(apt->commands[0].argv.back() == "update");
    CHECK_FALSE(apt->needs_root); // dpkg/apt on a root we own
    CHECK(std::find(apt->commands[0].argv.begin(), apt->commands[0].argv.end(), "Dir=/tmp/r") !=
          apt->commands[0].argv.end());
    auto pacman = pkg::build_plan("pacman", pkg::Operation::refresh, {}, options);
    REQUIRE(pacman.ok());
    const auto& p = pacman->commands[0].argv;
    CHECK(std::find(p.begin(), p.end(), "--refresh") != p.end());
    CHECK(std::find(p.begin(), p.end(), "/tmp/r/var/lib/pacman") != p.end());
    CHECK_FALSE(pkg::build_plan("apt", pkg::Operation::refresh, {"curl"}).ok());
    CHECK(pkg::build_plan("npm", pkg::Operation::refresh, {}).error().kind == util::ErrorKind::unsupported);
}

TEST_CASE("root_locked_names reads the image's dnf versionlock list") {
    const pkg::InstallFacts& dnf = pkg::find_manager("dnf")->install;
    test::TempDir dir("locks");
    util::Root root(dir.path);
    SUBCASE("no configuration: no locks, and the host never has any") {
        CHECK(pkg::root_locked_names(dnf, root).empty());
        CHECK(pkg::root_locked_names(dnf, util::Root()).empty());
    }
    SUBCASE("the list the configuration names, inside the image") {
        dir.write("etc/dnf/plugins/versionlock.conf", "[main]\nenabled = 1\nlocklist = /etc/vl.list\n");
        dir.write("etc/vl.list", "# Added lock on ...\nzs-tool-0:1.2-3.*\n\n!zs-gone-0:2.0-1.*\n"
                                 "python3-foo-bar-1.0-1.fc40.noarch\nkernel\n-rf\n");
        CHECK(pkg::root_locked_names(dnf, root) ==
              std::vector<std::string>{"kernel", "python3-foo-bar", "zs-gone", "zs-tool"});
        CHECK(pkg::root_lock_args(dnf, root) ==
              std::vector<std::string>{"--exclude=kernel", "--exclude=python3-foo-bar", "--exclude=zs-gone",
                                       "--exclude=zs-tool"});
    }
    SUBCASE("a disabled plugin locks nothing") {
        dir.write("etc/dnf/plugins/versionlock.conf", "[main]\nenabled = 0\nlocklist = /etc/vl.list\n");
        dir.write("etc/vl.list", "zs-tool-0:1.2-3.*\n");
        CHECK(pkg::root_locked_names(dnf, root).empty());
    }
}
