#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "pkg/inventory/apt_info_table.hpp"
#include "temp_dir.hpp"

using namespace zsyncctl;
using namespace zsyncctl::pkg;
using zsyncctl::test::TempDir;

namespace {

AptSetup two_lists(TempDir& dir) {
    AptSetup setup;
    setup.lists.push_back(
        AptList{dir.write("lists/a_Packages", "Package: zs-a\nVersion: 1.0\nArchitecture: all\nSize: 100\n"
                                              "Installed-Size: 2\nDescription: alpha\n more\n\n"
                                              "Package: zs-b\nVersion: 2.0\nArchitecture: amd64\n"
                                              "Description: bravo \x1b[31mred\n\n")});
    setup.lists.push_back(
        AptList{dir.write("lists/b_Packages", "Package: zs-a\nVersion: 1.1\nArchitecture: i386\nSize: x\n"
                                              "Description: alpha too\n\nPackage: zs-c\n\n")});
    return setup;
}

} // namespace

TEST_CASE("AptInfoTable: each name's stanzas in list order, saved and loaded alike") {
    TempDir dir("aptinfo");
    AptSetup setup = two_lists(dir);
    const std::string cache = (dir.path / "cache" / "aptinfo.idx").string();
    for (int pass = 0; pass < 2; ++pass) {
        auto table = AptInfoTable::load_or_build(setup, cache, "zs-a", {});
        REQUIRE(table);
        CHECK(table->loaded() == (pass == 1)); // built and saved, then read back
        auto a = table->versions_of("zs-a");
        REQUIRE(a.size() == 2);
        CHECK(a[0].list == 0);
        CHECK(a[0].version == "1.0");
        CHECK(a[0].architecture == "all");
        CHECK(a[0].description == "alpha");
        CHECK(a[0].size == 100);
        CHECK(a[0].installed_size == 2048);
        CHECK(a[1].list == 1);
        CHECK(a[1].architecture == "i386");
        CHECK(a[1].size == -1); // not a number
        CHECK(a[1].installed_size == -1);
        auto b = table->versions_of("zs-b");
        REQUIRE(b.size() == 1);
        CHECK(b[0].description == "bravo red"); // sanitized: no escape bytes
        CHECK(table->versions_of("zs-c").size() == 1);
        CHECK(table->versions_of("zs").empty());
    }

    // A list that changes (its size and mtime are the stamps) rebuilds the table.
    dir.write("lists/b_Packages",
              "Package: zs-a\nVersion: 1.2\nArchitecture: i386\nDescription: newer list\n\n");
    auto changed = AptInfoTable::load_or_build(setup, cache, "zs-a", {});
    REQUIRE(changed);
    CHECK_FALSE(changed->loaded());
    REQUIRE(changed->versions_of("zs-a").size() == 2);
    CHECK(changed->versions_of("zs-a")[1].version == "1.2");

    // A damaged file is rebuilt, never misread: cut short, and filled with garbage.
    std::filesystem::resize_file(cache, std::filesystem::file_size(cache) / 2);
    auto cut = AptInfoTable::load_or_build(setup, cache, "zs-a", {});
    REQUIRE(cut);
    CHECK_FALSE(cut->loaded());
    CHECK(cut->versions_of("zs-a").size() == 2);
    dir.write("cache/aptinfo.idx", std::string(4096, 'x'));
    auto garbage = AptInfoTable::load_or_build(setup, cache, "zs-a", {});
    REQUIRE(garbage);
    CHECK_FALSE(garbage->loaded());
    CHECK(garbage->versions_of("zs-b").size() == 1);
}

TEST_CASE("AptInfoTable without a cache file keeps only the name asked for") {
    TempDir dir("aptinfo");
    AptSetup setup = two_lists(dir);
    auto table = AptInfoTable::load_or_build(setup, "", "zs-b", {});
    REQUIRE(table);
    CHECK(table->versions_of("zs-b").size() == 1);
    CHECK(table->versions_of("zs-a").empty());
    CHECK_FALSE(std::filesystem::exists(dir.path / "cache"));
}

TEST_CASE("AptInfoTable: no readable list is an error, one unreadable list of two is not") {
    TempDir dir("aptinfo");
    AptSetup setup;
    setup.lists.push_back(AptList{dir.path / "missing_Packages"});
    CHECK_FALSE(AptInfoTable::load_or_build(setup, "", "zs-a", {}));
    setup.lists.push_back(AptList{dir.write("ok_Packages", "Package: zs-a\nVersion: 1\n\n")});
    const std::string cache = (dir.path / "cache" / "aptinfo.idx").string();
    auto table = AptInfoTable::load_or_build(setup, cache, "zs-a", {});
    REQUIRE(table);
    CHECK(table->versions_of("zs-a").size() == 1);
    // Not saved: once the missing list is there, its stanzas must be read.
    CHECK_FALSE(std::filesystem::exists(cache));
}
