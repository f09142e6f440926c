#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "pkg/inventory/apk_db.hpp"
#include "pkg/inventory/brew_version.hpp"
#include "pkg/inventory/cargo_installs.hpp"

using namespace zsyncctl::pkg;

namespace {

int brew(const char* a, const char* b) {
    return compare_brew_versions(a, b);
}

} // namespace

// Every case is one of Homebrew's own (Library/Homebrew/test/version_spec.rb).
TEST_CASE("compare_brew_versions orders versions as Homebrew's Version does") {
    SUBCASE("numbers and padding") {
        CHECK(brew("0.1", "0.1.0") == 0);
        CHECK(brew("0.1", "0.2") < 0);
        CHECK(brew("1.2.3", "1.2.2") > 0);
        CHECK(brew("1.2.4", "1.2.4.1") < 0);
        CHECK(brew("1.10", "1.9") > 0);
    }
    SUBCASE("pre-releases, patches, post releases") {
        CHECK(brew("1.2.3", "1.2.3alpha4") > 0);
        CHECK(brew("1.2.3", "1.2.3beta2") > 0);
        CHECK(brew("1.2.3", "1.2.3rc3") > 0);
        CHECK(brew("1.2.3", "1.2.3-p34") < 0);
        CHECK(brew("1.2.3alpha", "1.2.3") < 0);
        CHECK(brew("1.2.3", "1.2.3a") < 0);
        CHECK(brew("1.2.3alpha4", "1.2.3a4") == 0);
        CHECK(brew("1.2.3alpha4", "1.2.3A4") == 0);
        CHECK(brew("1.2.3alpha4", "1.2.3alpha10") < 0);
        CHECK(brew("1.2.3alpha4", "1.2.3beta2") < 0);
        CHECK(brew("1.2.3beta2", "1.2.3B2") == 0);
        CHECK(brew("1.2.3beta2", "1.2.3rc3") < 0);
        CHECK(brew("1.2.3pre9", "1.2.3pre10") < 0);
        CHECK(brew("1.2.3pre3", "1.2.3beta5") > 0);
        CHECK(brew("1.2.3pre3", "1.2.3rc2") < 0);
        CHECK(brew("1.2.3pre3", "1.2.3-p2") < 0);
        CHECK(brew("1.2.3rc3", "1.2.3RC3") == 0);
        CHECK(brew("1.2.3rc3", "1.2.3rc10") < 0);
        CHECK(brew("1.2.3-p34", "1.2.3-P34") == 0);
        CHECK(brew("1.2.3-p34", "1.2.3-p9") > 0);
        CHECK(brew("1.2.3.post34", "1.2.3.post33") > 0);
        CHECK(brew("1.2.3.post34", "1.2.3rc35") > 0);
        CHECK(brew("1.2.3.post34", "1.2.3") > 0);
    }
    SUBCASE("unevenly padded") {
        CHECK(brew("2.1.0-p194", "2.1-p195") < 0);
        CHECK(brew("2.1-p194", "2.1.0-p195") < 0);
        CHECK(brew("2-p194", "2.1-p195") < 0);
    }
    SUBCASE("numbers beyond 64 bits (Ruby's Integer has no bound)") {
        CHECK(brew("1.18446744073709551616", "1.18446744073709551617") < 0);
        CHECK(brew("99999999999999999999999", "99999999999999999999998") > 0);
        CHECK(brew("1.0-p18446744073709551617", "1.0-p18446744073709551616") > 0);
        CHECK(brew("1.0.00000000000000000000000", "1.0") == 0);
        CHECK(compare_brew_pkg_versions("1.0_18446744073709551617", "1.0_18446744073709551616") > 0);
    }
    SUBCASE("HEAD") {
        CHECK(brew("HEAD", "1.2.3") > 0);
        CHECK(brew("1.2.3", "HEAD-fedcba") < 0);
        CHECK(brew("HEAD-abcdef", "HEAD-fedcba") == 0);
    }
    SUBCASE("erlang versions sort") {
        std::vector<std::string> versions = {"R13B02-1", "R13B03",   "R13B04", "R14B",   "R14B01",
                                             "R14B02",   "R14B03",   "R14B04", "R15B01", "R15B02",
                                             "R15B03",   "R15B03-1", "R16B"};
        auto sorted = versions;
        std::reverse(sorted.begin(), sorted.end());
        std::stable_sort(sorted.begin(), sorted.end(), [](const std::string& a, const std::string& b) {
            return compare_brew_versions(a, b) < 0;
        });
        CHECK(sorted == versions);
    }
    SUBCASE("pkg_version: version, then revision") {
        CHECK(compare_brew_pkg_versions("0.4.0_5", "0.4.0") > 0);
        CHECK(compare_brew_pkg_versions("0.4.0_5", "0.4.0_10") < 0);
        CHECK(compare_brew_pkg_versions("0.5.0", "0.4.0_5") > 0);
        CHECK(compare_brew_pkg_versions("2.12.1_1", "2.12.1_1") == 0);
    }
}

TEST_CASE("parse_apk_installed reads apk-package(5) records") {
    auto packages =
        parse_apk_installed("C:Q1x=\nP:musl-utils\nV:1.2.2-r3\nA:armv7\nI:110592\nT:the musl c library\n"
                            "F:sbin\nR:ldconfig\na:0:0:755\nF:usr/bin\nR:ldd\n\nP:noversion\n\n"
                            "P:busybox\r\nV:1.33.1-r3\r\nF:bin\r\nR:sh\r\n");
    REQUIRE(packages.size() == 2);
    CHECK(packages[0].name == "musl-utils");
    CHECK(packages[0].size == 110592);
    CHECK(packages[0].files == std::vector<std::string>{"sbin/ldconfig", "usr/bin/ldd"});
    CHECK(packages[1].name == "busybox");
    CHECK(packages[1].files == std::vector<std::string>{"bin/sh"});
}

TEST_CASE("parse_apk_world takes the names of world dependencies") {
    CHECK(parse_apk_world("busybox>=1.30\nscanelf@edge openrc\n!vlan\nfoo~1.2 so:libc.musl-x86_64.so.1\n") ==
          std::vector<std::string>{"busybox", "foo", "openrc", "scanelf", "so:libc.musl-x86_64.so.1"});
}

TEST_CASE("parse_cargo_package_id splits NAME VERSION (SOURCE)") {
    CargoInstall c;
    REQUIRE(
        parse_cargo_package_id("ripgrep 13.0.0 (registry+https://github.com/rust-lang/crates.io-index)", c));
    CHECK(c.name == "ripgrep");
    CHECK(c.version == "13.0.0");
    CHECK(c.source == "registry+https://github.com/rust-lang/crates.io-index");
    REQUIRE(parse_cargo_package_id("zs-alpha 0.1.0 (path+file:///tmp/a dir/zs-alpha)", c));
    CHECK(c.source == "path+file:///tmp/a dir/zs-alpha");
    CHECK_FALSE(parse_cargo_package_id("zs-alpha 0.1.0", c));
    CHECK_FALSE(parse_cargo_package_id("zs-alpha (x)", c));
}
