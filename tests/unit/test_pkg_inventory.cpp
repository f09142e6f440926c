#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "pkg/inventory/dnf_outdated.hpp"
#include "pkg/inventory/dpkg_db.hpp"
#include "pkg/inventory/inventory.hpp"
#include "pkg/inventory/pacman_db.hpp"

using namespace zsyncctl::pkg;

TEST_CASE("dpkg_status_abbrev matches dpkg's db:Status-Abbrev") {
    CHECK(dpkg_status_abbrev("install ok installed") == "ii ");
    CHECK(dpkg_status_abbrev("deinstall ok config-files") == "rc ");
    CHECK(dpkg_status_abbrev("hold ok installed") == "hi ");
    CHECK(dpkg_status_abbrev("install reinstreq half-installed") == "iHR");
    CHECK(dpkg_status_abbrev("install ok unpacked") == "iU ");
    CHECK(dpkg_status_abbrev("install ok half-configured") == "iF ");
    CHECK(dpkg_status_abbrev("purge ok not-installed") == "pn ");
    CHECK(dpkg_status_abbrev("install ok triggers-pending") == "it ");
    CHECK(dpkg_status_abbrev("garbage") == "???");
}

TEST_CASE("parse_dpkg_database applies the journal, extended_states and holds") {
    std::string status = "Package: dpkg\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.21\n\n"
                         "Package: a\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n\n"
                         "Package: b\nStatus: hold ok installed\nArchitecture: amd64\nVersion: 2\n\n"
                         "Package: c\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 3\n\n"
                         "Package: gone\nStatus: purge ok not-installed\nArchitecture: amd64\n\n"
                         "Package: lib\nStatus: install ok installed\nArchitecture: i386\nVersion: 4\n\n"
                         "Package: lib\nStatus: install ok installed\nArchitecture: amd64\nVersion: 4\n";
    std::vector<std::string> journal = {
        "Package: a\nStatus: install ok unpacked\nArchitecture: all\nVersion: 1.1\n"};
    std::string ext = "Package: a\nArchitecture: amd64\nAuto-Installed: 1\n\n"
                      "Package: lib\nArchitecture: i386\nAuto-Installed: 1\n\n"
                      "Package: b\nArchitecture: amd64\nAuto-Installed: 0\n";
    auto pkgs = parse_dpkg_database(status, journal, ext);
    REQUIRE(pkgs.size() == 6);
    CHECK(pkgs[0].name == "a");
    CHECK(pkgs[0].version == "1.1");
    CHECK(pkgs[0].state_abbrev == "iU ");
    CHECK(pkgs[0].reason == InstallReason::dependency); // arch:all filed under the native arch
    CHECK(pkgs[1].name == "b");
    CHECK(pkgs[1].held);
    CHECK(pkgs[1].reason == InstallReason::explicit_install);
    CHECK(pkgs[2].name == "c");
    CHECK_FALSE(pkgs[2].present);
    CHECK(pkgs[2].reason == InstallReason::unknown);
    CHECK(pkgs[3].name == "dpkg");
    CHECK(pkgs[4].name == "lib");
    CHECK(pkgs[4].architecture == "amd64");
    CHECK(pkgs[4].reason == InstallReason::explicit_install);
    CHECK(pkgs[5].architecture == "i386");
    CHECK(pkgs[5].reason == InstallReason::dependency);
}

TEST_CASE("compare_alpm_versions orders like pacman's vercmp") {
    struct Case {
        const char* a;
        const char* b;
        int want;
    };
    // Pairs from pacman's test/util/vercmptest.sh.
    const std::vector<Case> cases = {
        {"1.5.0", "1.5.0", 0},     {"1.5.1", "1.5.0", 1},      {"1.5.1", "1.5", 1},
        {"1.5.0-1", "1.5.0-1", 0}, {"1.5.0-1", "1.5.0-2", -1}, {"1.5.0-1", "1.5.1-1", -1},
        {"1.5-1", "1.5", 0},       {"1:1.0", "2.0", 1},        {"1.0", "0:1.0", 0},
        {"0:1.0", "1:1.0", -1},    {"1.0a", "1.0", -1},        {"1.0alpha", "1.0", -1},
        {"1.0", "1.0.a", -1},      {"1.0a", "1.0b", -1},       {"1.0.a", "1.0.1", -1},
        {"1.0b", "1.0beta", -1},   {"1.0rc", "1.0", -1},       {"1.0", "1.0.1", -1},
        {"1.0..0", "1.0.0", 1},    {"1.0.0", "1.0_0", 0},      {"1.1.a", "1.1", 1},
        {"1.0.a1", "1.0.1", -1},   {"001.002", "1.2", 0},
    };
    for (const auto& c : cases) {
        CAPTURE(c.a);
        CAPTURE(c.b);
        int got = compare_alpm_versions(c.a, c.b);
        CHECK((got > 0 ? 1 : got < 0 ? -1 : 0) == c.want);
        int back = compare_alpm_versions(c.b, c.a);
        CHECK((back > 0 ? 1 : back < 0 ? -1 : 0) == -c.want);
    }
}

TEST_CASE("alpm_pattern_match follows IgnorePkg's globs and negation") {
    CHECK(alpm_pattern_match({"linux*"}, "linux-lts"));
    CHECK_FALSE(alpm_pattern_match({"linux"}, "linux-lts"));
    CHECK_FALSE(alpm_pattern_match({"!linux-lts", "linux*"}, "linux-lts"));
    CHECK(alpm_pattern_match({"!linux-lts", "linux*"}, "linux-zen"));
    CHECK_FALSE(alpm_pattern_match({}, "x"));
}

TEST_CASE("parse_dnf_check_update reads dnf 4's table, wrapped rows and stops at obsoletes") {
    std::string text = "\n"
                       "zs-up.noarch                            1.1-1                             zstest\n"
                       "a-really-long-package-name-that-wraps.x86_64\n"
                       "                                        2:3.0-1.fc40                      updates\n"
                       "kernel.x86_64   6.8.9-300.fc40   updates-testing\n"
                       "Security: kernel-6.8.9-300.fc40.x86_64 is an installed security update\n"
                       "\n"
                       "Obsoleting Packages\n"
                       "new-thing.noarch   2.0-1   zstest\n"
                       "    old-thing.noarch   1.0-1   @System\n";
    auto rows = parse_dnf_check_update(text);
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].name == "zs-up");
    CHECK(rows[0].architecture == "noarch");
    CHECK(rows[0].version == "1.1-1");
    CHECK(rows[0].repository == "zstest");
    CHECK(rows[1].name == "a-really-long-package-name-that-wraps");
    CHECK(rows[1].architecture == "x86_64");
    CHECK(rows[1].version == "2:3.0-1.fc40");
    CHECK(rows[1].repository == "updates");
    CHECK(rows[2].name == "kernel");
    CHECK(parse_dnf_check_update("").empty());
    CHECK(parse_dnf_check_update("Last metadata expiration check: 0:01:00 ago.\n").empty());
}

TEST_CASE("validate_inventory_request refuses a pkg info name no manager's package could have") {
    InventoryRequest info;
    info.kind = InventoryKind::info;
    for (const char* good : {"zs-up", "zs_up", "libc6:amd64", "g++", "python3.11", "@scope/name"}) {
        info.query = good;
        CHECK_MESSAGE(validate_inventory_request(info).ok(), good);
    }
    for (std::string bad :
         {std::string(), std::string("-rf"), std::string("a b"), std::string("a\x01z"), std::string("*"),
          std::string("lib?"), std::string("a;b"), std::string("caf\xc3\xa9"), std::string(300, 'a')}) {
        info.query = bad;
        auto v = validate_inventory_request(info);
        REQUIRE_FALSE(v.ok());
        CHECK(v.error().kind == zsyncctl::util::ErrorKind::invalid_input);
        CHECK(v.error().message.find('\x01') == std::string::npos); // shown sanitized
    }
    info.kind = InventoryKind::which; // which takes commands and paths, checked elsewhere
    info.query = "a b";
    CHECK(validate_inventory_request(info).ok());
}
