#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "pkg/inventory/apk_index.hpp"
#include "pkg/inventory/apk_version.hpp"
#include "pkg/inventory/cargo_index.hpp"
#include "temp_dir.hpp"

using namespace zsyncctl::pkg;

namespace {

// "A OP B" lines as apk-tools' test/version.data records them (a sample of its 600 lines, every rule).
constexpr std::string_view k_apk_cases[] = {
    "2.34 > 0.1.0_alpha",
    "23_foo > 4_beta",
    "1.0 < 1.0bc",
    "0.1.0_alpha = 0.1.0_alpha",
    "0.1.0_alpha2 > 0.1.0_alpha",
    "0.1.0_alpha < 2.2.39-r1",
    "1.0.4-r3 < 1.0.4-r4",
    "1.1 > 1.1_alpha1",
    "1.2.1 > 1.2",
    "1.3_alpha2 < 1.3_alpha3",
    "3.10.18-r1 > 2.3.0b-r1",
    "2.3.0b-r1 < 2.3.0b-r2",
    "0.12.3 > 0.12",
    "1.2.11 < 1.2.12.1",
    "3.1_p16 < 3.1_p17",
    "1.06-r6 < 006",
    "006 > 1.0.0",
    "1.2.2-r1 > 1.2.2",
    "2.59 < 20050718-r1",
    "1.0 > 0.99.3.20040818",
    "2.01.01_alpha10 > 0.94",
    "1.00_beta2 > 0.9.2",
    "1.02 < 1.03-r1",
    "4.2.52_p2-r1 < 4.2.52_p4-r2",
    "2.18.3-r10 > 1.05-r18",
    "1.05-r18 < 1.05-r19",
    "10-r1 > 4",
    "2.5.1-r8 < 2.5.1a-r1",
    "1.3.5-r10 > 1.3.5-r8",
    "0.20070118 < 0.20070207_rc1",
    "4.01 < 4.20",
    "4.20 > 0.20070118",
    "4.5_p1-r1 > 4.5_p1",
    "0.9.8c-r1 < 0.9.8d",
    "1.7 < 1.7b",
    "1.8.5 < 1.8.5_p2",
    "2.9.11_pre20051101-r3 > 2.9.11_pre20051101",
    "0.9.28-r2 < 0.9.28.1",
    "1.23-r1 > 1.23",
    "20040406-r1 > 2.12r-r4",
    "2.12r-r4 < 2.12r-r5",
    "7.0.17 < 7.0.174",
    "22.7-r1 < 22.7.3-r1",
    "1.2.07.8 < 1.2.12.04",
    "1.6d > 1.2.07.8",
    "1.3-r0 < 1.3.1-r0",
    "1.3_pre1-r1 < 1.3.2",
    "1.0_p10-r0 > 1.0_p9-r0",
    "0.1.0_alpha_pre2 < 0.1.0_alpha",
    "1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0",
};

// The cache file cargo writes for one crate: version 3, index schema 2, the index file's version, pairs.
std::string cargo_cache(const std::vector<std::pair<std::string, std::string>>& entries) {
    std::string s("\x03\x02\x00\x00\x00", 5);
    s += "last-modified: Thu, 03 Dec 2026 10:38:57 GMT";
    s += '\0';
    for (const auto& [version, json] : entries) {
        s += version;
        s += '\0';
        s += json;
        s += '\0';
    }
    return s;
}

} // namespace

TEST_CASE("compare_apk_version agrees with apk-tools' recorded comparisons") {
    for (std::string_view line : k_apk_cases) {
        auto sp1 = line.find(' ');
        auto sp2 = line.find(' ', sp1 + 1);
        std::string a(line.substr(0, sp1));
        char op = line[sp1 + 1];
        std::string b(line.substr(sp2 + 1));
        int want = op == '<' ? -1 : op == '>' ? 1 : 0;
        int got = compare_apk_version(a, b);
        CAPTURE(line);
        CHECK((got < 0 ? -1 : got > 0 ? 1 : 0) == want);
        int back = compare_apk_version(b, a);
        CHECK((back < 0 ? -1 : back > 0 ? 1 : 0) == -want);
    }
}

TEST_CASE("apk_world_constraints names pins and constraints") {
    auto c = apk_world_constraints("busybox\nscanelf@edge musl-utils=1.2.2-r3\nzlib>=1.2 !bad\n");
    CHECK(c.size() == 3);
    CHECK(c["scanelf"] == "pinned @edge");
    CHECK(c["musl-utils"] == "fixed =1.2.2-r3");
    CHECK(c["zlib"] == "constrained >=1.2");
    CHECK(c.count("busybox") == 0);
}

TEST_CASE("parse_cargo_index_cache reads cargo's cache files") {
    SUBCASE("versions and yanked flags") {
        auto v =
            parse_cargo_index_cache(cargo_cache({{"1.0.0", R"({"name":"a","vers":"1.0.0","yanked":false})"},
                                                 {"1.2.0", R"({"name":"a","vers":"1.2.0","yanked":true})"}}));
        REQUIRE(v);
        REQUIRE(v->size() == 2);
        CHECK(v->at(0).version == "1.0.0");
        CHECK(!v->at(0).yanked);
        CHECK(v->at(1).yanked);
        CHECK(cargo_install_candidate(*v) == "1.0.0");
    }
    SUBCASE("cut short or too short is a parse error, never a crash") {
        std::string whole = cargo_cache({{"1.0.0", R"({"vers":"1.0.0"})"}});
        for (std::size_t n = 0; n + 1 < whole.size(); ++n) {
            auto v = parse_cargo_index_cache(std::string_view(whole).substr(0, n));
            CHECK((!v || v->empty()));
        }
    }
}

TEST_CASE("compare_semver and cargo_install_candidate follow SemVer 2.0 and cargo install") {
    CHECK(compare_semver("1.0.0", "1.0.0") == 0);
    CHECK(compare_semver("1.10.0", "1.9.0") > 0);
    CHECK(compare_semver("1.0.0-alpha", "1.0.0") < 0);
    CHECK(compare_semver("1.0.0-alpha", "1.0.0-alpha.1") < 0);
    CHECK(compare_semver("1.0.0-alpha.1", "1.0.0-alpha.beta") < 0);
    CHECK(compare_semver("1.0.0-beta.2", "1.0.0-beta.11") < 0);
    CHECK(compare_semver("1.0.0-rc.1", "1.0.0") < 0);
    CHECK(compare_semver("1.0.0+build.5", "1.0.0+build.9") == 0);
    CHECK(compare_semver("18446744073709551616.0.0", "18446744073709551615.0.0") > 0);
    CHECK(cargo_install_candidate({{"1.1.0", false}, {"2.0.0-beta.1", false}, {"1.2.0", true}}) == "1.1.0");
    CHECK(cargo_install_candidate({{"2.0.0-beta.1", false}}).empty());
}

TEST_CASE("cargo_index_path lays crates out as cargo's index does") {
    CHECK(cargo_index_path("a") == "1/a");
    CHECK(cargo_index_path("ab") == "2/ab");
    CHECK(cargo_index_path("abc") == "3/a/abc");
    CHECK(cargo_index_path("zs-up") == "zs/-u/zs-up");
    CHECK(cargo_index_path("Serde") == "se/rd/serde");
}

TEST_CASE("cargo_index_hosts follows crates-io's source replacement as cargo does") {
    zsyncctl::test::TempDir home("cargo-hosts");
    const std::string dir = home.path.string();
    const zsyncctl::util::Root host;
    const std::string crates_io = "registry+https://github.com/rust-lang/crates.io-index";
    SUBCASE("no config: the sparse and the git directory names of crates.io") {
        CHECK(cargo_index_hosts(host, dir, crates_io, nullptr) ==
              std::vector<std::string>{"index.crates.io", "github.com"});
    }
    SUBCASE("replaced by a sparse registry, by a git index on the disk, by a local registry") {
        home.write("config.toml", "[source.crates-io]\nreplace-with = \"mirror\"\n\n[source.mirror]\n"
                                  "registry = \"sparse+http://127.0.0.1:4000/\"\n");
        CHECK(cargo_index_hosts(host, dir, crates_io, nullptr) == std::vector<std::string>{"127.0.0.1"});
        home.write("config.toml", "[source.crates-io]\nreplace-with = 'mirror'\n[source.mirror]\n"
                                  "registry = 'file:///srv/index'\n");
        CHECK(cargo_index_hosts(host, dir, crates_io, nullptr) == std::vector<std::string>{""});
        home.write("config.toml", "[source.crates-io]\nreplace-with = \"vendored\"\n[source.vendored]\n"
                                  "directory = \"vendor\"\n");
        std::string why;
        CHECK(cargo_index_hosts(host, dir, crates_io, &why).empty());
        CHECK(why == "replaced by the directory source vendored");
    }
    SUBCASE("another registry: its own host") {
        CHECK(cargo_index_hosts(host, dir, "sparse+https://my.example/index/", nullptr) ==
              std::vector<std::string>{"my.example"});
    }
}
