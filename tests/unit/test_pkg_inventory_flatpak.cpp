#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "pkg/install/simulation.hpp"
#include "pkg/inventory/flatpak_deploy.hpp"
#include "pkg/inventory/flatpak_outdated.hpp"

using namespace zsyncctl;

namespace {

// Recorded from flatpak 1.14.10 (this machine): app/org.zs.Hello/x86_64/stable/active/deploy of the app that
// tests/cli/pkg_inventory_flatpak.sh builds, installed from remote "zs" (flatpak list: version 1.0).
constexpr std::string_view k_deploy_hex =
    "7a73006334393765613036346338613466336239303230356631333566336363663035353461376666363937636534353230"
    "373562616635306139666134626637306300000000000000000000000a00617070646174612d6e616d65000000006f72672e"
    "7a732e48656c6c6f0000730d617070646174612d76657273696f6e00312e3000007310006465706c6f792d76657273696f6e"
    "00000400000000690f0072756e74696d65006f72672e7a732e506c6174666f726d2f7838365f36342f310000730800000000"
    "617070646174612d73756d6d6172790054696e790000731074696d657374616d7000000000000000be18116b000000000074"
    "0a20374f7490ab440044000300";

std::string from_hex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

} // namespace

TEST_CASE("parse_flatpak_deploy reads what flatpak list shows") {
    SUBCASE("a real deploy file") {
        auto data = pkg::parse_flatpak_deploy(from_hex(k_deploy_hex));
        REQUIRE(data);
        CHECK(data->origin == "zs");
        CHECK(data->commit == "c497ea064c8a4f3b90205f135f3ccf0554a7ff697ce452075baf50a9fa4bf70c");
        CHECK(data->appdata_version == "1.0");
        CHECK(data->appdata_name == "org.zs.Hello");
        CHECK(data->appdata_summary == "Tiny");
        CHECK(data->installed_size == 2560); // flatpak info: "Installed: 2.6 kB"
    }
    SUBCASE("every truncation and a flipped byte at every offset fail or parse, never read past the end") {
        std::string bytes = from_hex(k_deploy_hex);
        for (std::size_t n = 0; n < bytes.size(); ++n) {
            (void)pkg::parse_flatpak_deploy(std::string_view(bytes).substr(0, n));
            std::string flipped = bytes;
            flipped[n] = static_cast<char>(flipped[n] ^ 0xff);
            (void)pkg::parse_flatpak_deploy(flipped);
        }
        CHECK_FALSE(pkg::parse_flatpak_deploy("xx"));
        CHECK_FALSE(pkg::parse_flatpak_deploy(""));
    }
}

TEST_CASE("flatpak_ref_masked matches flatpak mask patterns") {
    const std::string ref = "app/org.zs.World/x86_64/stable";
    CHECK(pkg::flatpak_ref_masked({"org.zs.World"}, ref));
    CHECK(pkg::flatpak_ref_masked({"org.zs.*"}, ref));
    CHECK(pkg::flatpak_ref_masked({"app/org.zs.World//stable"}, ref));
    CHECK(pkg::flatpak_ref_masked({"org.zs.World/x86_64/stable"}, ref));
    CHECK_FALSE(pkg::flatpak_ref_masked({"runtime/org.zs.World"}, ref));
    CHECK_FALSE(pkg::flatpak_ref_masked({"org.zs.World//beta"}, ref));
    CHECK_FALSE(pkg::flatpak_ref_masked({"org.zs.Hello"}, ref));
    CHECK_FALSE(pkg::flatpak_ref_masked({}, ref));
}

TEST_CASE("parse_flatpak_repo_config reads masks and remotes") {
    auto config = pkg::parse_flatpak_repo_config("[core]\nrepo_version=1\nxa.masked=org.zs.World;org.a.*;\n\n"
                                                 "[remote \"zs\"]\nurl=file:///srv/repo\nxa.disable=true\n"
                                                 "[remote \"web\"]\nurl=http://127.0.0.1:8/\n");
    CHECK(config.masked == std::vector<std::string>{"org.zs.World", "org.a.*"});
    REQUIRE(config.remotes.size() == 2);
    CHECK(config.remotes[0].name == "zs");
    CHECK(config.remotes[0].url == "file:///srv/repo");
    CHECK(config.remotes[0].disabled);
    CHECK_FALSE(config.remotes[1].disabled);
}

TEST_CASE("flatpak remote-ls and update tables") {
    SUBCASE("remote-ls rows") {
        auto rows = pkg::parse_flatpak_remote_ls(
            "app/org.zs.Hello/x86_64/stable\t0f819a29e4f2\t\t410 bytes\nerror: nothing\n");
        REQUIRE(rows.size() == 1);
        CHECK(rows[0].commit == "0f819a29e4f2");
        CHECK(rows[0].version.empty());
    }
    SUBCASE("flatpak update's transaction, declined") {
        // Recorded: `LC_ALL=C flatpak --user update </dev/null` (exit 1).
        auto r = pkg::parse_simulation(
            pkg::SimulationFormat::flatpak_table, pkg::Operation::upgrade,
            "Looking for updates?\n\n\n 1.\t   \torg.zs.Hello\tstable\tu\tzs\t< 410 bytes\n"
            "\nProceed with these changes to the user installation? [Y/n]: n\n",
            "", 1);
        CHECK(r.resolved);
        REQUIRE(r.transaction.upgrade.size() == 1);
        CHECK(r.transaction.upgrade[0].name == "org.zs.Hello");
    }
    SUBCASE("nothing to do, and an error") {
        auto none = pkg::parse_simulation(pkg::SimulationFormat::flatpak_table, pkg::Operation::upgrade,
                                          "Looking for updates?\nNothing to do.\n", "", 0);
        CHECK(none.resolved);
        CHECK(none.transaction.empty());
        auto bad = pkg::parse_simulation(pkg::SimulationFormat::flatpak_table, pkg::Operation::upgrade, "",
                                         "error: No remote refs found for 'zs'\n", 1);
        CHECK_FALSE(bad.resolved);
    }
    CHECK(pkg::flatpak_version_text("1.0", "c497ea064c8a4f3b") == "1.0 (c497ea064c8a)");
    CHECK(pkg::flatpak_version_text("", "c497ea064c8a4f3b") == "c497ea064c8a");
}
