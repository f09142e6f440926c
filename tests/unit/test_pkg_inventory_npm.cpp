#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "pkg/install/install_plan.hpp"
#include "pkg/install/simulation.hpp"
#include "pkg/inventory/npm_global.hpp"
#include "temp_dir.hpp"

using namespace zsyncctl::pkg;

TEST_CASE("parse_simulation reads npm install --global --dry-run lines") {
    SUBCASE("an upgrade that adds a dependency (npm 11.19, recorded)") {
        auto r = parse_simulation(SimulationFormat::npm_dry_run, Operation::upgrade,
                                  "change zs-alpha 1.2.0 => 1.3.0\nadd zs-dep 1.0.0\n\n"
                                  "added 1 package, and changed 1 package in 2s\n",
                                  "", 0);
        CHECK(r.resolved);
        CHECK(r.transaction.upgrade == std::vector<TransactionPackage>{{"zs-alpha", "1.3.0", "1.2.0"}});
        CHECK(r.transaction.install == std::vector<TransactionPackage>{{"zs-dep", "1.0.0", ""}});
        CHECK(r.transaction.remove.empty());
    }
    SUBCASE("a scoped name and a dependency removed") {
        auto r = parse_simulation(SimulationFormat::npm_dry_run, Operation::upgrade,
                                  "change @zs/beta 1.0.0 => 1.1.0\nremove zs-dep 1.0.0\n\n"
                                  "removed 1 package, and changed 1 package in 1s\n",
                                  "", 0);
        CHECK(r.transaction.upgrade == std::vector<TransactionPackage>{{"@zs/beta", "1.1.0", "1.0.0"}});
        CHECK(r.transaction.remove == std::vector<TransactionPackage>{{"zs-dep", "", "1.0.0"}});
    }
    SUBCASE("up to date is an empty transaction") {
        auto r = parse_simulation(SimulationFormat::npm_dry_run, Operation::upgrade,
                                  "\nup to date in 810ms\n", "", 0);
        CHECK(r.resolved);
        CHECK(r.transaction.empty());
    }
    SUBCASE("npm's error is not resolved, its lines are the messages") {
        auto r = parse_simulation(SimulationFormat::npm_dry_run, Operation::upgrade, "",
                                  "npm error code ETARGET\nnpm error notarget No matching version found "
                                  "for zs-alpha@9.9.9.\n",
                                  1);
        CHECK_FALSE(r.resolved);
        REQUIRE(r.messages.size() == 2);
        CHECK(r.messages[1].find("No matching version") != std::string::npos);
    }
}

TEST_CASE("mark_npm_links skips the packages that are symbolic links in the global prefix") {
    zsyncctl::test::TempDir dir("npm-links");
    auto modules = dir.path / "lib" / "node_modules";
    dir.write("lib/node_modules/zs-plain/package.json", R"({"name":"zs-plain","version":"1.0.0"})");
    dir.write("src/zs-linked/package.json", R"({"name":"zs-linked","version":"1.0.0"})");
    dir.write("src/beta/package.json", R"({"name":"@zs/beta","version":"1.0.0"})");
    std::filesystem::create_directories(modules / "@zs");
    std::filesystem::create_directory_symlink("../../../src/zs-linked", modules / "zs-linked");
    std::filesystem::create_directory_symlink("../../../../src/beta", modules / "@zs" / "beta");
    std::filesystem::create_directory_symlink(dir.path / "src" / "zs-linked", dir.path / "lib" / "outside");
    std::vector<OutdatedPackage> outdated = {{"zs-plain", "", "1.0.0", "1.1.0", ""},
                                             {"zs-linked", "", "1.0.0", "1.1.0", ""},
                                             {"@zs/beta", "", "1.0.0", "1.1.0", ""},
                                             {"../outside", "", "1.0.0", "1.1.0", ""},
                                             {"zs-missing", "", "1.0.0", "1.1.0", ""}};
    mark_npm_links(dir.path.string(), outdated);
    CHECK(outdated[0].skip_reason.empty());
    CHECK(outdated[1].skip_reason == "linked");
    CHECK(outdated[2].skip_reason == "linked");
    CHECK(outdated[3].skip_reason.empty()); // not a node_modules entry: never looked at
    CHECK(outdated[4].skip_reason.empty());
}

TEST_CASE("npm's upgrade plan installs the named versions globally, simulated by a dry run") {
    auto plan = build_plan("npm", Operation::upgrade, {"zs-alpha@1.1.0", "@zs/beta@1.1.0"});
    REQUIRE(plan.ok());
    REQUIRE(plan->commands.size() == 1); // one reify: npm rolls all of it back together
    const auto& argv = plan->commands.front().argv;
    CHECK(argv[0] == "npm");
    CHECK(argv[1] == "install");
    CHECK(argv[2] == "--global");
    CHECK(argv[argv.size() - 2] == "zs-alpha@1.1.0");
    CHECK(argv.back() == "@zs/beta@1.1.0");
    REQUIRE(plan->simulation.has_value());
    CHECK(plan->simulation_format == SimulationFormat::npm_dry_run);
    const auto& sim = plan->simulation->argv;
    CHECK(std::find(sim.begin(), sim.end(), "--dry-run") != sim.end());
    CHECK(sim.back() == "@zs/beta@1.1.0");
    CHECK_FALSE(plan->needs_root);
    // No upgrade-all: --all is the outdated names (npm update -g would choose its own versions).
    CHECK(build_plan("npm", Operation::upgrade, {}).error().kind == zsyncctl::util::ErrorKind::unsupported);
}
