#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "pkg/inventory/rpm_header.hpp"

using namespace zsyncctl::pkg;

namespace {

// Builds a header blob as rpmdb.sqlite stores it: il, dl, 16-byte entries, data store (all big-endian).
struct Blob {
    struct Entry {
        std::uint32_t tag, type, offset, count;
    };
    std::vector<Entry> entries;
    std::string data;

    static void be32(std::string& out, std::uint32_t v) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.push_back(static_cast<char>((v >> shift) & 0xff));
        }
    }
    void strings(std::uint32_t tag, std::uint32_t type, const std::vector<std::string>& values) {
        entries.push_back(
            {tag, type, static_cast<std::uint32_t>(data.size()), static_cast<std::uint32_t>(values.size())});
        for (const auto& v : values) {
            data += v;
            data.push_back('\0');
        }
    }
    void ints(std::uint32_t tag, const std::vector<std::uint32_t>& values) {
        while (data.size() % 4 != 0) {
            data.push_back('\0');
        }
        entries.push_back(
            {tag, 4, static_cast<std::uint32_t>(data.size()), static_cast<std::uint32_t>(values.size())});
        for (auto v : values) {
            be32(data, v);
        }
    }
    std::string bytes() const {
        std::string out;
        be32(out, static_cast<std::uint32_t>(entries.size()));
        be32(out, static_cast<std::uint32_t>(data.size()));
        for (const auto& e : entries) {
            be32(out, e.tag);
            be32(out, e.type);
            be32(out, e.offset);
            be32(out, e.count);
        }
        return out + data;
    }
};

Blob package() {
    Blob b;
    b.strings(1000, 6, {"zs-tool"});
    b.strings(1001, 6, {"1.2"});
    b.strings(1002, 6, {"3.fc40"});
    b.strings(1004, 9, {"The tool", "Das Werkzeug"});
    b.strings(1022, 6, {"x86_64"});
    b.strings(1117, 8, {"zs-tool", "README", "lost"});
    b.strings(1118, 8, {"/usr/bin/", "/usr/share/doc/zs-tool/"});
    b.ints(1116, {0, 1, 7}); // the third names a directory that does not exist
    b.ints(1003, {4});
    b.ints(1009, {1234});
    return b;
}

} // namespace

TEST_CASE("parse_rpm_header reads the fields and the file list") {
    auto h = parse_rpm_header(package().bytes(), RpmFiles::read);
    REQUIRE(h);
    CHECK(h->name == "zs-tool");
    CHECK(h->summary == "The tool");
    CHECK(h->arch == "x86_64");
    CHECK(h->size == 1234);
    CHECK(rpm_evr(*h) == "4:1.2-3.fc40");
    CHECK(h->files == std::vector<std::string>{"/usr/bin/zs-tool", "/usr/share/doc/zs-tool/README"});
    CHECK(parse_rpm_header(package().bytes(), RpmFiles::skip)->files.empty());
}

TEST_CASE("rpm_evr shows the epoch only when it is not 0") {
    RpmHeader h;
    h.version = "2.0";
    h.release = "1";
    CHECK(rpm_evr(h) == "2.0-1");
    h.epoch = 0;
    CHECK(rpm_evr(h) == "2.0-1");
    h.epoch = 7;
    CHECK(rpm_evr(h) == "7:2.0-1");
}

TEST_CASE("parse_rpm_header refuses hostile blobs without reading past them") {
    SUBCASE("truncated anywhere") {
        std::string blob = package().bytes();
        for (std::size_t n = 0; n < blob.size(); ++n) {
            auto h = parse_rpm_header(blob.substr(0, n), RpmFiles::read);
            CHECK_FALSE(h); // the data store is shorter than dl
        }
    }
    SUBCASE("an offset past the data store") {
        Blob b = package();
        b.entries[0].offset = 1u << 30;
        CHECK_FALSE(parse_rpm_header(b.bytes()));
    }
    SUBCASE("a string without its NUL") {
        Blob b;
        b.strings(1001, 6, {"1"});
        b.strings(1002, 6, {"1"});
        b.entries.push_back({1000, 6, static_cast<std::uint32_t>(b.data.size()), 1});
        b.data += "unterminated";
        CHECK_FALSE(parse_rpm_header(b.bytes()));
    }
    SUBCASE("counts larger than the data") {
        Blob b = package();
        for (auto& e : b.entries) {
            if (e.tag == 1116 || e.tag == 1117) {
                e.count = 0x7fffffff;
            }
        }
        auto h = parse_rpm_header(b.bytes(), RpmFiles::read);
        REQUIRE(h);
        CHECK(h->files.empty());
    }
    SUBCASE("an index count past rpm's limit") {
        std::string blob = package().bytes();
        blob[0] = 0x01;
        CHECK_FALSE(parse_rpm_header(blob));
    }
}
