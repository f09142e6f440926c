#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_set>

#include "pkg/search/native/archive_reader.hpp"
#include "pkg/search/native/deb_version.hpp"
#include "pkg/search/native/index_apt.hpp"
#include "pkg/search/native/index_pacman.hpp"
#include "pkg/search/search_index.hpp"
#include "temp_dir.hpp"
#include "util/fs.hpp"
#include "util/root.hpp"
#include "util/strings.hpp"

using namespace zsyncctl;
using namespace zsyncctl::pkg;
namespace fs = std::filesystem;

namespace {
using TempDir = zsyncctl::test::TempDir;

fs::path fixture(const char* rel) {
    return fs::path(ZS_FIXTURES) / rel;
}

const SearchHit* find_hit(const std::vector<SearchHit>& hits, std::string_view name) {
    auto it = std::find_if(hits.begin(), hits.end(), [&](const SearchHit& h) { return h.name == name; });
    return it == hits.end() ? nullptr : &*it;
}

std::vector<std::string> names(const std::vector<SearchHit>& hits) {
    std::vector<std::string> out;
    for (const auto& h : hits) {
        out.push_back(h.name);
    }
    return out;
}
} // namespace

TEST_CASE("compare_deb_versions follows dpkg ordering") {
    SUBCASE("epochs win over everything") {
        CHECK(compare_deb_versions("1:0.1", "9.9") > 0);
        CHECK(compare_deb_versions("2:0.9-1", "10.0-1") > 0);
        CHECK(compare_deb_versions("0:1.0", "1.0") == 0);
    }
    SUBCASE("tilde sorts before the end and before anything else") {
        CHECK(compare_deb_versions("1.0~rc1-1", "1.0-1") < 0);
        CHECK(compare_deb_versions("1.0~~", "1.0~") < 0);
        CHECK(compare_deb_versions("1.0~", "1.0") < 0);
        CHECK(compare_deb_versions("1.0", "1.0+b1") < 0);
    }
    SUBCASE("digit runs compare numerically, letters before symbols") {
        CHECK(compare_deb_versions("1.10", "1.9") > 0);
        CHECK(compare_deb_versions("1.001", "1.1") == 0);
        CHECK(compare_deb_versions("1.0a", "1.0+") < 0);
        CHECK(compare_deb_versions("1.0a", "1.0") > 0);
    }
    SUBCASE("revision compares after upstream; missing revision equals 0") {
        CHECK(compare_deb_versions("1.0-2", "1.0-10") < 0);
        CHECK(compare_deb_versions("1.0-1-2", "1.0-1-10") < 0);
        CHECK(compare_deb_versions("1.0", "1.0-0") == 0);
    }
    SUBCASE("malformed input never crashes") {
        CHECK(compare_deb_versions("", "") == 0);
        CHECK(compare_deb_versions(":", "") >= 0);
        CHECK(compare_deb_versions("abc:1", "1") != 0);
        CHECK(compare_deb_versions("99999999999999999999999:1", "1") != 2);
    }
}

TEST_CASE("StanzaSplitter delivers stanzas across arbitrary chunk cuts") {
    std::string text = "Package: a\nDescription: one\n two\n .\n three\n\n\nPackage: b\n\nPackage: c";
    for (std::size_t cut = 1; cut < text.size(); cut += 3) {
        std::vector<std::string> got;
        StanzaSplitter s([&](std::string_view st) { got.emplace_back(st); });
        for (std::size_t i = 0; i < text.size(); i += cut) {
            s.feed(std::string_view(text).substr(i, cut));
        }
        s.finish();
        REQUIRE(got.size() == 3);
        std::string scratch;
        CHECK(deb822_field(got[0], "package") == "a");
        CHECK(deb822_field(got[0], "Description", &scratch) == "one\ntwo\n\nthree");
        CHECK(deb822_field(got[2], "Package") == "c");
        CHECK(deb822_field(got[1], "Version").empty());
    }
}

// The stanzas of `text` by the definition: maximal runs of lines between blank lines ("\n\n"), each with its
// last '\n'; one of only newlines is none; the text after the last blank line is one when it holds more
// than blanks (StanzaSplitter::finish).
std::vector<std::string> reference_stanzas(std::string_view text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < text.size() && text[start] == '\n') {
        ++start;
    }
    while (start < text.size()) {
        std::size_t sep = text.find("\n\n", start);
        if (sep == std::string_view::npos) {
            std::string_view rest = text.substr(start);
            if (rest.find_first_not_of("\n \t") != std::string_view::npos) {
                out.emplace_back(rest);
            }
            break;
        }
        out.emplace_back(text.substr(start, sep + 1 - start));
        start = sep + 2;
        while (start < text.size() && text[start] == '\n') {
            ++start;
        }
    }
    return out;
}

TEST_CASE("StanzaSplitter: every chunking of random text gives the stanzas of the whole") {
    // Random text of a few letters, blanks and runs of newlines, cut into chunks of every size from 1 to 40
    // and of random sizes: the blank-line search runs 16 bytes at a time, so cuts and runs fall at every
    // offset of its blocks.
    std::srand(16);
    for (int round = 0; round < 60; ++round) {
        std::string text;
        const int length = 1 + std::rand() % 400;
        for (int i = 0; i < length; ++i) {
            int r = std::rand() % 10;
            text.push_back(r < 5 ? 'a' + static_cast<char>(r) : r < 7 ? ' ' : '\n');
        }
        const std::vector<std::string> want = reference_stanzas(text);
        for (std::size_t cut = 0; cut <= 40; ++cut) {
            std::vector<std::string> got;
            StanzaSplitter s([&](std::string_view st) { got.emplace_back(st); });
            for (std::size_t i = 0; i < text.size();) {
                std::size_t n = cut != 0 ? cut : 1 + static_cast<std::size_t>(std::rand() % 64);
                s.feed(std::string_view(text).substr(i, n));
                i += n;
            }
            s.finish();
            REQUIRE(got == want);
        }
    }
}

TEST_CASE("deb822_first_lines gives each key what deb822_field gives, first line only, in one pass") {
    // A Release-like stanza: hash lists (continuation lines with colons-free hashes and a "key: value"
    // lookalike indented), a key given twice (the last counts), keys in other cases, a value with blanks
    // around it, a continued field, and keys that are absent.
    std::string stanza = "Origin: Debian\nLabel:  Debian Security \nSuite: stable\nMD5Sum:\n"
                         " 0123abcd 123 main/binary-amd64/Packages\n Suite: not-a-field\n"
                         "codename: bookworm\nDescription: first\n second line\nSuite: stable-security\n"
                         "NotAutomatic: yes\nSHA256:\n ffee 9 main/i18n/Index";
    const std::string_view keys[] = {
        "Suite",   "Codename", "Origin", "Label", "Description", "NotAutomatic", "ButAutomaticUpgrades",
        "Version", "SHA256"};
    std::string_view values[std::size(keys)];
    deb822_first_lines(stanza, keys, values);
    for (std::size_t i = 0; i < std::size(keys); ++i) {
        CAPTURE(keys[i]);
        CHECK(values[i] == deb822_field(stanza, keys[i]));
    }
    CHECK(values[0] == "stable-security");
    CHECK(values[1] == "bookworm");
    CHECK(values[3] == "Debian Security");
    CHECK(values[4] == "first");
    CHECK(values[6].empty());
    CHECK(values[8].empty());
    std::string_view none[std::size(keys)];
    deb822_first_lines("", keys, none);
    CHECK(std::all_of(std::begin(none), std::end(none), [](std::string_view v) { return v.empty(); }));
}

TEST_CASE("apt native reader handles every compression, dedupes to the newest version") {
    util::Root root(fixture("apt/root"));
    auto lists = apt_list_files(root);
    CHECK(lists.size() == 5);
    auto index = apt_index(root, {});
    REQUIRE(index.ok());
    CHECK(index->size() == 6);

    SUBCASE("substring over names and descriptions, case-insensitive") {
        auto hits = index->search({"ZS-", MatchMode::substring, 0});
        CHECK(names(hits) == std::vector<std::string>{"zs-alpha", "zs-beta", "zs-delta", "zs-epsilon",
                                                      "zs-gamma", "zs-zeta"});
        CHECK(names(index->search({"zebrafish", MatchMode::substring, 0})) ==
              std::vector<std::string>{"zs-alpha"});
        CHECK(names(index->search({"compressor", MatchMode::substring, 0})) ==
              std::vector<std::string>{"zs-delta"});
        CHECK(index->search({"nothing-like-this", MatchMode::substring, 0}).empty());
    }
    SUBCASE("newest version wins across files") {
        auto hits = index->search({"zs-", MatchMode::substring, 0});
        CHECK(find_hit(hits, "zs-beta")->version == "2:0.9-1");
        CHECK(find_hit(hits, "zs-gamma")->version == "1.0-1");
        CHECK(find_hit(hits, "zs-gamma")->description == "Gamma final release");
    }
    SUBCASE("installed mark comes from dpkg status (config-files is not installed)") {
        auto hits = index->search({"zs-", MatchMode::substring, 0});
        CHECK(find_hit(hits, "zs-alpha")->installed);
        CHECK(find_hit(hits, "zs-zeta")->installed);
        CHECK_FALSE(find_hit(hits, "zs-delta")->installed);
    }
    SUBCASE("exact and limit") {
        CHECK(names(index->search({"ZS-BETA", MatchMode::exact, 0})) == std::vector<std::string>{"zs-beta"});
        CHECK(index->search({"zs-bet", MatchMode::exact, 0}).empty());
        CHECK(index->search({"zs-", MatchMode::substring, 2}).size() == 2);
        CHECK(index->search({"zs\x01", MatchMode::substring, 0}).empty());
    }
}

TEST_CASE("PackageIndex round-trips through its file and notices changed sources") {
    TempDir dir;
    fs::path src = dir.path / "src";
    REQUIRE(util::write_file_atomic(src, "x").ok());
    std::vector<IndexRecord> records(3);
    records[0] = {"b", "1", "bee", "", false};
    records[1] = {"a", "2", "ant", "long text with Needle", true};
    records[2] = {"c", "3", "cat", "", false};
    records[1].kind = "cask";
    auto stamps = stamp_files({src});
    PackageIndex built = PackageIndex::build(records, stamps);
    fs::path file = dir.path / "cache" / "apt.idx";
    REQUIRE(built.save(file).ok());

    auto loaded = PackageIndex::load(file, stamps);
    REQUIRE(loaded.ok());
    auto hits = loaded->search({"needle", MatchMode::substring, 0});
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].name == "a");
    CHECK(hits[0].version == "2");
    CHECK(hits[0].installed);
    CHECK(hits[0].kind == "cask");
    CHECK(loaded->search({"bee", MatchMode::substring, 0}).at(0).kind.empty());
    CHECK(names(loaded->search({"", MatchMode::substring, 0})).empty());

    SUBCASE("changed source") {
        REQUIRE(util::write_file_atomic(src, "xy").ok());
        auto stale = PackageIndex::load(file, stamp_files({src}));
        REQUIRE_FALSE(stale.ok());
        CHECK(stale.error().kind == util::ErrorKind::invalid_input);
    }
    SUBCASE("every truncation is rejected, never read out of bounds") {
        std::string bytes = *util::read_file(file);
        for (std::size_t n = 0; n < bytes.size(); ++n) {
            REQUIRE(util::write_file_atomic(file, bytes.substr(0, n)).ok());
            auto cut = PackageIndex::load(file, stamps);
            CHECK_FALSE(cut.ok());
        }
    }
    SUBCASE("corrupted offsets cost results, never an out-of-bounds read") {
        std::string bytes = *util::read_file(file);
        bytes[bytes.size() - 3 - 4] = '\x7f'; // inside the hay offsets table: the last record's start
        REQUIRE(util::write_file_atomic(file, bytes).ok());
        // The mapped index is checked where it is read, not up front: it loads, and searching it stops at
        // the damaged record.
        auto damaged = PackageIndex::load(file, stamps);
        REQUIRE(damaged.ok());
        CHECK(names(damaged->search({"needle", MatchMode::substring, 0})) == std::vector<std::string>{"a"});
        CHECK(names(damaged->search({"cat", MatchMode::substring, 0})).empty());
    }
}

TEST_CASE("apt reader survives damaged lists") {
    TempDir dir;
    fs::path lists = dir.path / "var/lib/apt/lists";
    fs::create_directories(lists);
    std::string good = *util::read_file(
        fixture("apt/root/var/lib/apt/lists/example_bookworm_updates_binary-amd64_Packages.gz"));
    REQUIRE(util::write_file_atomic(lists / "a_Packages.gz", good.substr(0, good.size() / 2)).ok());
    REQUIRE(util::write_file_atomic(lists / "b_Packages.xz", "not xz at all").ok());
    REQUIRE(util::write_file_atomic(lists / "c_Packages",
                                    std::string("Package: zs-\xff\xfe\nVersion: 1\nDescription: d\n\n"))
                .ok());
    util::Root root(dir.path);
    auto index = apt_index(root, {});
    REQUIRE(index.ok()); // the undamaged file still counts
    CHECK(index->search({"zs-", MatchMode::substring, 0}).size() >= 1);

    SUBCASE("no lists at all is not_found") {
        TempDir empty;
        auto none = apt_index(util::Root(empty.path), {});
        REQUIRE_FALSE(none.ok());
        CHECK(none.error().kind == util::ErrorKind::not_found);
    }
}

TEST_CASE("pacman native reader reads sync dbs in pacman.conf order and the local db") {
    util::Root root(fixture("pacman/root"));
    PacmanLayout layout = pacman_layout(root);
    CHECK(layout.repos == std::vector<std::string>{"core", "extra"});
    CHECK(pacman_sync_dbs(layout).size() == 2);
    auto index = pacman_index(root, {});
    REQUIRE(index.ok());
    auto hits = index->search({"hello", MatchMode::substring, 0});
    REQUIRE(names(hits) == std::vector<std::string>{"zs-hello", "zs-tool"});
    CHECK(find_hit(hits, "zs-hello")->installed);
    CHECK(find_hit(hits, "zs-hello")->version == "1.2.3-1");
    CHECK_FALSE(find_hit(hits, "zs-tool")->installed);
    auto shared = index->search({"zs-shared", MatchMode::exact, 0});
    REQUIRE(shared.size() == 1);
    CHECK(shared[0].version == "1.0-1"); // core comes first in pacman.conf

    SUBCASE("a truncated sync db gives an error or the entries before the damage, never a crash") {
        TempDir dir;
        fs::create_directories(dir.path / "var/lib/pacman/sync");
        std::string db = *util::read_file(fixture("pacman/root/var/lib/pacman/sync/core.db"));
        REQUIRE(
            util::write_file_atomic(dir.path / "var/lib/pacman/sync/core.db", db.substr(0, db.size() - 20))
                .ok());
        auto damaged = pacman_index(util::Root(dir.path), {});
        if (!damaged.ok()) {
            CHECK(damaged.error().kind == util::ErrorKind::io);
        }
    }
}

TEST_CASE("pacman native reader keeps DBPath and its databases inside the root") {
    // The host side: real sync and local databases beside the image, which its config and links point at.
    TempDir tmp;
    fs::path host = tmp.path / "host";
    fs::create_directories(host / "sync");
    fs::create_directories(host / "local" / "zs-hello-1.2.3-1");
    fs::copy_file(fixture("pacman/root/var/lib/pacman/sync/core.db"), host / "sync" / "core.db");
    tmp.write("host/local/zs-hello-1.2.3-1/desc", "%NAME%\nzs-hello\n\n%VERSION%\n1.2.3-1\n");
    fs::path image = tmp.path / "image";
    std::string up;
    for (int i = 0; i < 40; ++i) {
        up += "../";
    }
    SUBCASE("DBPath with a '..' chain") {
        tmp.write("image/etc/pacman.conf",
                  "[options]\nDBPath = " + up + host.relative_path().string() + "/\n[core]\n");
        PacmanLayout layout = pacman_layout(util::Root(image));
        CHECK(layout.db_path == image / host.relative_path());
        CHECK(pacman_sync_dbs(layout).empty());
        CHECK(pacman_installed_names(layout).empty());
        CHECK_FALSE(pacman_index(util::Root(image), {}).ok());
    }
    SUBCASE("absolute links for the sync db and a local entry") {
        tmp.write("image/etc/pacman.conf", "[core]\n");
        fs::create_directories(image / "var/lib/pacman/sync");
        fs::create_directories(image / "var/lib/pacman/local");
        fs::create_symlink(host / "sync" / "core.db", image / "var/lib/pacman/sync/core.db");
        fs::create_symlink(host / "local" / "zs-hello-1.2.3-1",
                           image / "var/lib/pacman/local/zs-hello-1.2.3-1");
        PacmanLayout layout = pacman_layout(util::Root(image));
        CHECK(pacman_sync_dbs(layout).empty());
        CHECK(pacman_installed_names(layout).empty());
    }
    SUBCASE("a relative DBPath is read from the root's /") {
        tmp.write("image/etc/pacman.conf", "[options]\nDBPath = db\n");
        PacmanLayout layout = pacman_layout(util::Root(image));
        CHECK(layout.db_logical == "/db");
        CHECK(layout.db_path == image / "db");
    }
}

TEST_CASE("parse_pacman_desc takes the first value of each field") {
    auto r = parse_pacman_desc("%NAME%\nfoo\n\n%VERSION%\n1-1\n\n%DESC%\nA thing\n\n%LICENSE%\nMIT\nGPL\n");
    CHECK(r.name == "foo");
    CHECK(r.version == "1-1");
    CHECK(r.summary == "A thing");
    CHECK(parse_pacman_desc("garbage\n%%\n%NAME%").name.empty());
}

TEST_CASE("apt text parsers: Packages and dpkg status from memory") {
    auto installed = parse_dpkg_status("Package: a\nStatus: install ok installed\nVersion: 1.0\n\n"
                                       "Package: b\nStatus: deinstall ok config-files\nVersion: 1\n\n"
                                       "Package: c\nStatus: hold ok installed\nVersion: 2\n\n"
                                       "Status: install ok installed\n");
    CHECK(installed == std::unordered_set<std::string>{"a", "c"});
    auto records = parse_apt_packages("Package: a\nVersion: 1.0\nDescription: old\n\n"
                                      "Package: a\nVersion: 1.0+b1\nDescription: new\n long text\n\n"
                                      "Package: z\nVersion: 2\nDescription-en: z pkg\n\n"
                                      "Version: 3\nDescription: no name\n",
                                      "Package: a\nStatus: install ok installed\nVersion: 1.0\n"
                                      "Description: old\n\n");
    REQUIRE(records.size() == 2);
    std::sort(records.begin(), records.end(), [](auto& x, auto& y) { return x.name < y.name; });
    CHECK(records[0].name == "a");
    CHECK(records[0].version == "1.0+b1");
    CHECK(records[0].summary == "new");
    CHECK(records[0].installed);
    CHECK(records[0].installed_version == "1.0");
    CHECK(records[0].candidate == "1.0+b1");
    CHECK(records[1].summary == "z pkg");
    CHECK_FALSE(records[1].installed);
}

namespace {
std::map<std::string, IndexRecord> by_name(std::vector<IndexRecord> records) {
    std::map<std::string, IndexRecord> out;
    for (auto& r : records) {
        out[r.name] = r;
    }
    return out;
}
} // namespace

TEST_CASE("AptIndexBuilder follows dpkg states, apt's candidate rule and Provides") {
    std::string status =
        "Package: st-installed\nStatus: install ok installed\nVersion: 2.0\nArchitecture: all\n"
        "Description: installed one\n\n"
        "Package: st-unpacked\nStatus: install ok unpacked\nVersion: 1.0\nDescription: u\n\n"
        "Package: st-halfconf\nStatus: install ok half-configured\nVersion: 1.0\nDescription: h\n\n"
        "Package: st-halfinst\nStatus: install reinstreq half-installed\nVersion: 1.0\n"
        "Description: hi\n\n"
        "Package: st-trigaw\nStatus: install ok triggers-awaited\nVersion: 1.0\nDescription: t\n\n"
        "Package: st-trigpend\nStatus: install ok triggers-pending\nVersion: 1.0\nDescription: t\n\n"
        "Package: st-config\nStatus: deinstall ok config-files\nVersion: 1.0\nDescription: c\n\n"
        "Package: st-notinst\nStatus: purge ok not-installed\n\n"
        "Package: st-newer\nStatus: install ok installed\nVersion: 9.0\nDescription: newer\n\n"
        "Package: st-old\nStatus: install ok installed\nVersion: 1.0\nDescription: old\n\n";
    std::string lists = "Package: st-newer\nVersion: 8.0\nDescription: list\n\n"
                        "Package: st-old\nVersion: 1.5\nDescription: list old\n\n"
                        "Package: st-config\nVersion: 1.0\nDescription: c\n\n"
                        "Package: mta-one\nVersion: 1\nProvides: mail-transport-agent, default-mta (= 1)\n"
                        "Description: a mail server\n\n";
    auto r = by_name(parse_apt_packages(lists, status));
    SUBCASE("the states with a current version, as apt and dpkg-query count them") {
        for (const char* n :
             {"st-installed", "st-unpacked", "st-halfconf", "st-halfinst", "st-trigaw", "st-trigpend"}) {
            CAPTURE(n);
            REQUIRE(r.count(n) == 1);
            CHECK(r[n].installed);
            CHECK(r[n].installed_version == r[n].candidate);
        }
        CHECK_FALSE(r["st-config"].installed);
        CHECK(r["st-config"].candidate == "1.0");
        CHECK(r.count("st-notinst") == 0);
    }
    SUBCASE("an installed version newer than every list version stays the candidate") {
        CHECK(r["st-newer"].candidate == "9.0");
        CHECK(r["st-newer"].installed_version == "9.0");
        CHECK(r["st-old"].candidate == "1.5");
        CHECK(r["st-old"].installed_version == "1.0");
    }
    SUBCASE("Provides are searchable and say why") {
        PackageIndex index = PackageIndex::build(parse_apt_packages(lists, status), {});
        auto hits = index.search({"transport-agent", MatchMode::substring, 0});
        REQUIRE(hits.size() == 1);
        CHECK(hits[0].name == "mta-one");
        CHECK(hits[0].match_reason == "provides mail-transport-agent");
        auto by_desc = index.search({"mail server", MatchMode::substring, 0});
        REQUIRE(by_desc.size() == 1);
        CHECK(by_desc[0].match_reason.empty());
        auto up = index.search({"st-old", MatchMode::exact, 0});
        REQUIRE(up.size() == 1);
        CHECK(up[0].upgradable());
        CHECK_FALSE(index.search({"st-newer", MatchMode::exact, 0})[0].upgradable());
    }
    SUBCASE("release priorities: a NotAutomatic version is not the candidate over a default one") {
        AptIndexBuilder b("amd64", {"amd64"});
        b.add_list_stanza("Package: bp\nVersion: 2.0\nDescription: backport\n", 1);
        b.add_list_stanza("Package: bp\nVersion: 1.0\nDescription: stable\n", 500);
        auto recs = b.finish();
        REQUIRE(recs.size() == 1);
        CHECK(recs[0].candidate == "1.0");
    }
}

TEST_CASE("AptIndexBuilder: a record provides every name any version provides, once, in first-seen order") {
    // The versions' lists gathered three ways (append_unique): a version that repeats the names already
    // gathered (no work), a short list (compared one by one), a long one (through a set); the package's
    // own name is never among them. Versions are added out of order, and two are equal.
    auto names = [](const std::string& prefix, int from, int to) {
        std::string text;
        for (int i = from; i < to; ++i) {
            text += (text.empty() ? "" : ", ") + prefix + std::to_string(i) + " (= 1)";
        }
        return text;
    };
    AptIndexBuilder b("amd64", {"amd64"});
    b.add_list_stanza("Package: pv\nVersion: 1.0\nProvides: " + names("n", 0, 40) + "\nDescription: one\n",
                      500);
    b.add_list_stanza("Package: pv\nVersion: 3.0\nProvides: " + names("n", 0, 40) + "\nDescription: three\n",
                      500);
    b.add_list_stanza("Package: pv\nVersion: 2.0\nProvides: n39, pv, " + names("m", 0, 50) +
                          ", n0\nDescription: two\n",
                      500);
    b.add_list_stanza("Package: pv\nVersion: 3.0\nProvides: n1, extra\nDescription: three again\n", 100);
    // Its first names are those gathered so far, then one more: not a repeat.
    b.add_list_stanza("Package: pv\nVersion: 0.5\nProvides: n0, n1, late\nDescription: old\n", 500);
    b.add_list_stanza("Package: small\nVersion: 1\nProvides: a, b\nDescription: s\n", 500);
    b.add_list_stanza("Package: small\nVersion: 2\nProvides: b, c, a\nDescription: s\n", 500);
    auto r = by_name(b.finish());
    REQUIRE(r.count("pv") == 1);
    std::vector<std::string> want;
    // Newest version first (3.0 at 500, then 3.0 at 100, in the order added), then 2.0, 1.0 and 0.5.
    for (int i = 0; i < 40; ++i) {
        want.push_back("n" + std::to_string(i));
    }
    want.push_back("extra");
    for (int i = 0; i < 50; ++i) {
        want.push_back("m" + std::to_string(i));
    }
    want.push_back("late");
    CHECK(r["pv"].provides == want);
    CHECK(r["pv"].candidate == "3.0");
    CHECK(r["pv"].summary == "three");
    CHECK(r["small"].provides == std::vector<std::string>{"b", "c", "a"});
}

TEST_CASE("AptIndexBuilder multi-arch: the native candidate wins, foreign-only packages are name:arch") {
    AptIndexBuilder b("amd64", {"amd64", "i386"});
    b.add_list_stanza("Package: libx\nVersion: 1.0\nArchitecture: amd64\nDescription: x\n", 500);
    b.add_list_stanza("Package: libx\nVersion: 1.0+b1\nArchitecture: i386\nDescription: x\n", 500);
    b.add_list_stanza("Package: wine32\nVersion: 8\nArchitecture: i386\nDescription: w\n", 500);
    b.add_list_stanza("Package: armonly\nVersion: 1\nArchitecture: arm64\nDescription: a\n", 500);
    auto r = by_name(b.finish());
    CHECK(r.size() == 2);
    CHECK(r["libx"].candidate == "1.0");
    CHECK(r.count("wine32:i386") == 1);
    CHECK(r.count("wine32") == 0);
    CHECK(r.count("armonly") == 0);
}

namespace {
std::string run_capture(const std::string& command) {
    std::string out;
    FILE* p = ::popen(command.c_str(), "r");
    if (p == nullptr) {
        return out;
    }
    char buf[4096];
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) {
        out.append(buf, n);
    }
    ::pclose(p);
    return out;
}
} // namespace

TEST_CASE("apt_setup's native architecture is the installed dpkg's, as dpkg-query reads it") {
    // The oracle is dpkg-query on the same status file. The dpkg stanza sits first, after ~100 KiB of other
    // stanzas (across the 64 KiB chunks of the scan), and is itself padded past one or several 4 KiB pieces
    // of the stanza read, with its blank line at and around a piece's end.
    if (std::system("command -v dpkg-query >/dev/null 2>&1") != 0) {
        MESSAGE("dpkg-query not installed: skipped");
        return;
    }
    TempDir dir;
    fs::create_directories(dir.path / "var/lib/dpkg/updates");
    util::Root root(dir.path);
    auto other = [](int i) {
        return "Package: pkg" + std::to_string(i) +
               "\nStatus: install ok installed\nVersion: 1\nArchitecture: i386\nMaintainer: t <t@t>\n"
               "Description: filler\n\n";
    };
    std::string before;
    for (int i = 0; before.size() < 100 * 1024; ++i) {
        before += other(i);
    }
    int cases = 0;
    for (bool first : {true, false}) {
        for (std::size_t pad : {0, 3000, 4000, 4030, 4040, 4050, 4060, 9000, 20000}) {
            const char* arch = pad % 2 == 0 ? "arm64" : "riscv64";
            // Conffiles lines before Architecture, so the field may lie past the first piece.
            std::string conffiles = "Conffiles:\n";
            while (conffiles.size() < pad) {
                conffiles += " /etc/dpkg/x" + std::to_string(conffiles.size()) + " 0123456789abcdef\n";
            }
            std::string dpkg = "Package: dpkg\nStatus: install ok installed\nVersion: 1.21.22\n" + conffiles +
                               "Maintainer: t <t@t>\nDescription: Debian package management system\n"
                               "Architecture: " +
                               arch + "\n\n";
            std::string status = first ? dpkg + before : before + dpkg + other(99999);
            REQUIRE(util::write_file_atomic(dir.path / "var/lib/dpkg/status", status).ok());
            std::string oracle =
                run_capture("dpkg-query --admindir='" + (dir.path / "var/lib/dpkg").string() +
                            "' -W -f '${Architecture}' dpkg 2>/dev/null");
            CAPTURE(first);
            CAPTURE(pad);
            CHECK(oracle == arch);
            CHECK(apt_setup(root).native_arch == oracle);
            ++cases;
        }
    }
    CHECK(cases == 18);
    // The stanza's "\nPackage: dpkg\n" across a read's end: the filler before it is cut to end just before,
    // at and after the boundary (a match split between two reads must still be found). The reads are 16 KiB,
    // the second one after the 14 bytes carried over (a match's length less one): its end is at 32,754.
    std::vector<std::size_t> sizes;
    for (std::size_t boundary : {std::size_t(16384), std::size_t(32754), std::size_t(65536)}) {
        for (std::size_t size = boundary - 16; size <= boundary + 4; ++size) {
            sizes.push_back(size);
        }
    }
    for (std::size_t size : sizes) {
        std::string filler;
        for (int i = 0; filler.size() + 300 < size; ++i) {
            filler += other(i);
        }
        std::string last = "Package: pad\nStatus: install ok installed\nVersion: 1\nArchitecture: all\n"
                           "Maintainer: t <t@t>\nDescription: ";
        last += std::string(size - filler.size() - last.size() - 2, 'x') + "\n\n";
        filler += last;
        REQUIRE(filler.size() == size);
        std::string dpkg = "Package: dpkg\nStatus: install ok installed\nVersion: 1.21.22\n"
                           "Maintainer: t <t@t>\nArchitecture: mips64el\nDescription: d\n\n";
        REQUIRE(util::write_file_atomic(dir.path / "var/lib/dpkg/status", filler + dpkg + other(99999)).ok());
        std::string oracle = run_capture("dpkg-query --admindir='" + (dir.path / "var/lib/dpkg").string() +
                                         "' -W -f '${Architecture}' dpkg 2>/dev/null");
        CAPTURE(size);
        CHECK(oracle == "mips64el");
        CHECK(apt_setup(root).native_arch == oracle);
    }
}

TEST_CASE("apt_index reads dpkg's journal and empty files like dpkg-query does") {
    TempDir dir;
    fs::create_directories(dir.path / "var/lib/apt/lists");
    fs::create_directories(dir.path / "var/lib/dpkg/updates");
    fs::create_directories(dir.path / "etc/apt");
    REQUIRE(
        util::write_file_atomic(dir.path / "etc/apt/sources.list", "deb [trusted=yes] file:/srv/repo ./\n")
            .ok());
    REQUIRE(util::write_file_atomic(dir.path / "var/lib/apt/lists/_srv_repo_._Packages", "").ok());
    REQUIRE(util::write_file_atomic(dir.path / "var/lib/dpkg/status", "").ok());
    util::Root root(dir.path);

    SUBCASE("zero-byte status and Packages are valid and empty") {
        auto index = apt_index(root, {});
        REQUIRE(index.ok());
        CHECK(index->size() == 0);
    }
    SUBCASE("the journal overrides the status file") {
        REQUIRE(util::write_file_atomic(dir.path / "var/lib/dpkg/status",
                                        "Package: jr-a\nStatus: install ok installed\nVersion: 1\n"
                                        "Architecture: all\nMaintainer: t <t@t>\nDescription: a\n\n"
                                        "Package: jr-b\nStatus: install ok installed\nVersion: 1\n"
                                        "Architecture: all\nMaintainer: t <t@t>\nDescription: b\n\n")
                    .ok());
        REQUIRE(util::write_file_atomic(dir.path / "var/lib/dpkg/updates/0000",
                                        "Package: jr-a\nStatus: install ok unpacked\nVersion: 2\n"
                                        "Architecture: all\nMaintainer: t <t@t>\nDescription: a\n")
                    .ok());
        REQUIRE(util::write_file_atomic(dir.path / "var/lib/dpkg/updates/0001",
                                        "Package: jr-b\nStatus: purge ok not-installed\nArchitecture: all\n")
                    .ok());
        auto index = apt_index(root, {});
        REQUIRE(index.ok());
        auto hits = index->search({"jr-", MatchMode::substring, 0});
        REQUIRE(hits.size() == 1);
        CHECK(hits[0].name == "jr-a");
        CHECK(hits[0].installed_version == "2");
        if (std::system("command -v dpkg-query >/dev/null 2>&1") == 0) {
            // The oracle: dpkg-query reads the same database, journal included.
            std::string q = run_capture("dpkg-query --admindir=" + (dir.path / "var/lib/dpkg").string() +
                                        " -W -f '${Package} ${Version} ${db:Status-Abbrev}\\n' 2>/dev/null");
            CHECK(q.find("jr-a 2 iU") != std::string::npos);
            CHECK(q.find("jr-b") == std::string::npos);
        }
    }
    SUBCASE("a status file of several MiB (read into huge pages) gives every package dpkg-query gives") {
        // Past 512 KiB the status file is read into a buffer of whole 2 MiB blocks: 2.3 MiB of stanzas
        // here, so the text crosses a block boundary; every 97th package is installed, at its own version.
        std::string status;
        int installed = 0;
        for (int i = 0; status.size() < (std::size_t(23) << 20) / 10; ++i) {
            bool in = i % 97 == 0;
            installed += in ? 1 : 0;
            status += "Package: big" + std::to_string(i) +
                      "\nStatus: " + (in ? "install ok installed" : "deinstall ok config-files") +
                      "\nVersion: 1." + std::to_string(i) +
                      "\nArchitecture: all\nMaintainer: t <t@t>\nConffiles:\n /etc/big" + std::to_string(i) +
                      " 0123456789abcdef0123456789abcdef\nDescription: big " + std::to_string(i) + "\n\n";
        }
        REQUIRE(util::write_file_atomic(dir.path / "var/lib/dpkg/status", status).ok());
        auto index = apt_index(root, {});
        REQUIRE(index.ok());
        auto hits = index->search({"big", MatchMode::substring, 0});
        std::set<std::string> ours;
        for (const auto& h : hits) {
            if (h.installed) {
                ours.insert(h.name + " " + h.installed_version);
            }
        }
        CHECK(ours.size() == static_cast<std::size_t>(installed));
        if (std::system("command -v dpkg-query >/dev/null 2>&1") == 0) {
            std::string q =
                run_capture("dpkg-query --admindir=" + (dir.path / "var/lib/dpkg").string() +
                            " -W -f '${db:Status-Abbrev} ${Package} ${Version}\\n' 'big*' 2>/dev/null");
            std::set<std::string> theirs;
            for (std::string_view line : util::split_lines(q)) {
                if (line.starts_with("ii ")) {
                    theirs.insert(std::string(util::trim(line.substr(3))));
                }
            }
            CHECK(ours == theirs);
        }
    }
    SUBCASE("a list of a source no longer configured is not read") {
        REQUIRE(util::write_file_atomic(
                    dir.path / "var/lib/apt/lists/old.example_debian_dists_x_main_binary-amd64_Packages",
                    "Package: leftover\nVersion: 1\nDescription: l\n\n")
                    .ok());
        CHECK(apt_list_files(root).size() == 1);
        auto index = apt_index(root, {});
        REQUIRE(index.ok());
        CHECK(index->search({"leftover", MatchMode::substring, 0}).empty());
    }
}

TEST_CASE("apt sources: one-line and deb822 entries map to apt's list file names") {
    auto one = parse_sources_list(
        "# c\ndeb [arch=amd64 signed-by=/k] http://deb.debian.org/debian bookworm main contrib\n"
        "deb-src http://x/ y main\ndeb file:/srv/r ./\n");
    REQUIRE(one.size() == 2);
    CHECK(one[0].uri == "http://deb.debian.org/debian");
    CHECK(one[0].components == std::vector<std::string>{"main", "contrib"});
    CHECK(one[0].architectures == std::vector<std::string>{"amd64"});
    CHECK(one[1].suite == "./");
    auto d =
        parse_deb822_sources("Types: deb deb-src\nURIs: http://a/debian\n# note\nSuites: s1 s2\n"
                             "Components: main\n\nTypes: deb\nURIs: http://b/\nSuites: s\nComponents: c\n"
                             "Enabled: no\n");
    REQUIRE(d.size() == 2);
    CHECK(d[1].suite == "s2");
    CHECK(apt_uri_to_filename("http://deb.debian.org/debian/dists/bookworm/main/binary-amd64/") ==
          "deb.debian.org_debian_dists_bookworm_main_binary-amd64_");
    CHECK(apt_uri_to_filename("https://user:pw@h:8080/a_b/") == "h:8080_a%5fb_");
    CHECK(apt_uri_to_filename("file:/srv/r/./") == "_srv_r_._");
}

TEST_CASE("StanzaSplitter is linear and caps a stanza") {
    std::size_t count = 0;
    StanzaSplitter s([&](std::string_view) { ++count; }, 1 << 20);
    std::string zeros(1 << 16, '\0');
    for (int i = 0; i < 64 && !s.overflowed(); ++i) {
        s.feed(zeros);
    }
    CHECK(s.overflowed());
    CHECK(count == 0);
    StanzaSplitter t([&](std::string_view) { ++count; });
    std::string text;
    for (int i = 0; i < 1000; ++i) {
        text += "Package: p\n\n";
    }
    for (char c : text) {
        t.feed(std::string_view(&c, 1)); // one byte at a time: each byte is scanned once
    }
    t.finish();
    CHECK(count == 1000);
}

TEST_CASE("sanitize_index_field removes escapes, C1 controls and bidi overrides") {
    CHECK(sanitize_index_field("a\x1b]52;c;aGk=\x07"
                               "b") == "ab");
    CHECK(sanitize_index_field("a\x1b[2J\x1b[31mb") == "ab");
    CHECK(sanitize_index_field("a\xc2\x9b"
                               "31mb\xc2\x85"
                               "c") == "abc");
    CHECK(sanitize_index_field("a\xc2\x9d"
                               "0;title\xc2\x9c"
                               "b") == "ab");
    CHECK(sanitize_index_field("x\xe2\x80\xaemoc.exe\xe2\x81\xa6y\xe2\x81\xa9") == "xmoc.exey");
    CHECK(sanitize_index_field("t\tab\nnl\x7f\x01") == "t ab nl");
    CHECK(sanitize_index_field("l1\nl2", true) == "l1\nl2");
    CHECK(sanitize_index_field("bad\xff") == "bad\xef\xbf\xbd");
    CHECK(sanitize_index_field("Büchi ü") == "Büchi ü");
    PackageIndex index =
        PackageIndex::build({{"evil\x1b]0;x\x07", "1\x1b[2J", "desc\xe2\x80\xae", "", false}}, {});
    auto hits = index.search({"evil", MatchMode::substring, 0});
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].name == "evil");
    CHECK(hits[0].version == "1");
    CHECK(hits[0].description == "desc");
}

TEST_CASE("generated records read back as their sanitized fields, whatever their bytes and lengths") {
    // Fields of every length across the 16-byte blocks a record's text is split with, made of bytes of
    // every kind: printable ASCII, UTF-8, control characters, escapes, DEL, C1 controls, bidi overrides,
    // invalid UTF-8. Read as a vector and one at a time after ranking, each hit has the record's fields
    // as the sanitizer leaves them.
    const std::vector<std::string> pieces = {"a",
                                             "Z",
                                             " ",
                                             "-",
                                             "~",
                                             "\xc3\xa9",
                                             "\x01",
                                             "\x1b[2J",
                                             "\x7f",
                                             "\xc2\x9b",
                                             "\xe2\x80\xae",
                                             "\xff",
                                             "\t",
                                             "0123456789abcdef"};
    std::uint32_t seed = 12345;
    auto next = [&] {
        seed = seed * 1103515245u + 12345u;
        return static_cast<std::size_t>((seed >> 16) & 0x7fff);
    };
    auto text = [&](std::size_t most) {
        std::string t;
        std::size_t n = next() % (most + 1);
        while (t.size() < n) {
            t += pieces[next() % pieces.size()];
        }
        return t;
    };
    std::vector<IndexRecord> records;
    for (int i = 0; i < 400; ++i) {
        IndexRecord r;
        r.name = "zq" + std::to_string(1000 + i) + text(20);
        r.version = text(24);
        r.summary = text(60);
        r.installed = next() % 2 == 0;
        r.installed_version = r.installed ? text(18) : "";
        r.candidate = text(18);
        r.kind = text(8);
        records.push_back(r);
    }
    std::map<std::string, const IndexRecord*> by_name; // by the name as shown
    for (const auto& r : records) {
        by_name[sanitize_index_field(r.name)] = &r;
    }
    REQUIRE(by_name.size() == records.size());
    PackageIndex index = PackageIndex::build(records, {});
    auto check = [&](const SearchHit& h) {
        auto it = by_name.find(h.name);
        REQUIRE(it != by_name.end());
        const IndexRecord& r = *it->second;
        CHECK(h.version == sanitize_index_field(r.version));
        CHECK(h.description == sanitize_index_field(r.summary));
        CHECK(h.installed == r.installed);
        CHECK(h.installed_version == sanitize_index_field(r.installed_version));
        CHECK(h.candidate == sanitize_index_field(r.candidate));
        CHECK(h.kind == sanitize_index_field(r.kind));
    };
    const SearchQuery q{"zq", MatchMode::substring, 0};
    auto hits = index.search(q);
    CHECK(hits.size() == records.size());
    for (const auto& h : hits) {
        check(h);
    }
    auto lazy = index.search_lazily(q);
    lazy->rank(q);
    REQUIRE(lazy->size() == records.size());
    SearchHit hit;
    HitView view;
    for (std::size_t i = 0; i < lazy->size(); ++i) {
        lazy->read(i, hit);
        check(hit);
        // The plain line's fields as views: the same text.
        REQUIRE(lazy->view(i, view));
        CHECK(view.name == hit.name);
        CHECK(view.version == hit.version);
        CHECK(view.description == hit.description);
        CHECK(view.kind == hit.kind);
        CHECK(view.installed == hit.installed);
        CHECK(view.installed_version == hit.installed_version);
    }
}

TEST_CASE("PackageIndex folds case beyond ASCII like apt-cache in C.UTF-8") {
    PackageIndex index =
        PackageIndex::build({{"lbt", "1", "converts LTL formulas to Büchi automata", "", false},
                             {"other", "1", "ÉDITEUR", "", false}},
                            {});
    CHECK(names(index.search({"Ü", MatchMode::substring, 0})) == std::vector<std::string>{"lbt"});
    CHECK(names(index.search({"BÜCHI", MatchMode::substring, 0})) == std::vector<std::string>{"lbt"});
    CHECK(names(index.search({"éditeur", MatchMode::substring, 0})) == std::vector<std::string>{"other"});
}

TEST_CASE("PackageIndex::from_bytes refuses damaged bytes") {
    std::vector<SourceStamp> stamps{{"/x", 1, 2}};
    PackageIndex built = PackageIndex::build({{"curl", "8", "transfer tool", "", false}}, stamps);
    auto loaded = PackageIndex::from_bytes(built.data(), stamps, "mem");
    REQUIRE(loaded);
    CHECK(loaded->size() == 1);
    SUBCASE("every truncation is refused") {
        for (std::size_t n = 0; n < built.data().size(); ++n) {
            auto cut = PackageIndex::from_bytes(built.data().substr(0, n), stamps, "mem");
            CAPTURE(n);
            CHECK_FALSE(cut);
        }
    }
    SUBCASE("any flipped byte: refused, or searched without reading out of bounds") {
        PackageIndex three = PackageIndex::build({{"curl", "8", "transfer tool", "", false, "", "8", {"www"}},
                                                  {"wget", "1", "retriever", "long", true, "1", "1", {}},
                                                  {"zsh", "5", "shell", "", false}},
                                                 stamps);
        std::string bytes = three.data();
        for (std::size_t i = 0; i < bytes.size(); ++i) {
            for (char flip : {'\xff', '\x01', '\x80'}) {
                std::string copy = bytes;
                copy[i] = static_cast<char>(copy[i] ^ flip);
                auto damaged = PackageIndex::from_bytes(copy, stamps, "mem");
                if (!damaged) {
                    continue;
                }
                CAPTURE(i);
                for (const char* q : {"t", "curl", "www", "e", "zsh"}) {
                    for (auto mode : {MatchMode::substring, MatchMode::exact}) {
                        CHECK(damaged->search({q, mode, 0}).size() <= 3);
                    }
                }
            }
        }
    }
    SUBCASE("other stamps are refused as changed sources") {
        auto other = PackageIndex::from_bytes(built.data(), {}, "mem");
        REQUIRE_FALSE(other);
        CHECK(other.error().kind == util::ErrorKind::invalid_input);
    }
}

namespace {
// One ustar entry: a 512-byte header (checksum over the header with its own field as blanks), then the
// contents padded to a whole block.
std::string tar_entry(const std::string& name, const std::string& contents) {
    std::string header(512, '\0');
    auto put = [&](std::size_t at, const std::string& value) {
        header.replace(at, value.size(), value);
    };
    char octal[16];
    put(0, name);
    put(100, "0000644");
    put(108, "0000000");
    put(116, "0000000");
    std::snprintf(octal, sizeof octal, "%011llo", static_cast<unsigned long long>(contents.size()));
    put(124, octal);
    put(136, "00000000000");
    put(148, "        ");
    header[156] = '0';
    put(257, std::string("ustar\0"
                         "00",
                         8));
    unsigned sum = 0;
    for (unsigned char c : header) {
        sum += c;
    }
    std::snprintf(octal, sizeof octal, "%06o", sum);
    put(148, std::string(octal) + std::string(1, '\0') + " ");
    std::string padded = contents;
    padded.resize((contents.size() + 511) / 512 * 512, '\0');
    return header + padded;
}
} // namespace

TEST_CASE("a tar walk stops at its limits and when told to, so a hostile pacman db costs little") {
    TempDir dir;
    // 2 MiB in an entry nobody wants, then a desc entry.
    std::string tar = tar_entry("zs-big-1-1/files", std::string(2u << 20, 'x')) +
                      tar_entry("zs-a-1-1/desc", "%NAME%\nzs-a\n\n%VERSION%\n1-1\n") +
                      std::string(1024, '\0');
    fs::path db = dir.path / "core.db";
    REQUIRE(util::write_file_atomic(db, tar).ok());
    auto desc = [](std::string_view path) {
        return path.size() > 5 && path.substr(path.size() - 5) == "/desc";
    };
    std::vector<std::string> seen;
    auto collect = [&](std::string_view path, std::string_view) {
        seen.emplace_back(path);
    };

    SUBCASE("within the limits every wanted entry arrives") {
        REQUIRE(for_each_tar_entry(db, desc, collect).ok());
        CHECK(seen == std::vector<std::string>{"zs-a-1-1/desc"});
    }
    SUBCASE("skipped entries count towards the total") {
        TarLimits limits;
        limits.max_total = 1u << 20;
        auto walked = for_each_tar_entry(db, desc, collect, limits);
        REQUIRE_FALSE(walked.ok());
        CHECK(walked.error().kind == util::ErrorKind::io);
        CHECK(walked.error().message.find("MiB decompressed") != std::string::npos);
        CHECK(seen.empty());
    }
    SUBCASE("keep_going is asked inside a long entry") {
        TarLimits limits;
        int asked = 0;
        limits.keep_going = [&] {
            return ++asked < 10;
        };
        auto walked = for_each_tar_entry(db, desc, collect, limits);
        REQUIRE_FALSE(walked.ok());
        CHECK(walked.error().kind == util::ErrorKind::cancelled);
        CHECK(asked == 10); // stopped inside the 2 MiB entry (128 reads of 16 KiB), not after it
    }
    SUBCASE("a cancelled token ends the pacman reader with cancelled, not an empty index") {
        core::CancellationToken token;
        token.cancel();
        auto records = read_pacman_records({db}, {}, token);
        REQUIRE_FALSE(records.ok());
        CHECK(records.error().kind == util::ErrorKind::cancelled);
    }
}

TEST_CASE("read_decompressed reads a plain file as it is and a compressed one by its bytes, not its name") {
    TempDir dir;
    auto read_all = [](const fs::path& file) {
        std::string out;
        auto r = read_decompressed(file, [&](std::string_view chunk) {
            out.append(chunk);
            return true;
        });
        REQUIRE(r.ok());
        return out;
    };
    // Plain text larger than one 256 KiB chunk: every byte, in order.
    std::string big;
    for (int i = 0; big.size() < (1u << 19); ++i) {
        big += "Package: zs-" + std::to_string(i) + "\nVersion: 1.0\n\n";
    }
    CHECK(read_all(dir.write("var/lib/dpkg/status", big)) == big);
    // gzip bytes in a file with no compression suffix (as a list named by its hash would be): decompressed.
    static constexpr unsigned char k_gzip[] = {
        0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff, 0x0b, 0x48, 0x4c, 0xce, 0x4e, 0x4c, 0x4f,
        0xb5, 0x52, 0xa8, 0x2a, 0xe6, 0xe2, 0x02, 0x00, 0x87, 0x9d, 0xaf, 0x31, 0x0d, 0x00, 0x00, 0x00};
    fs::path gz =
        dir.write("lists/Packages", std::string_view(reinterpret_cast<const char*>(k_gzip), sizeof k_gzip));
    CHECK(read_all(gz) == "Package: zs\n\n");
    // The sink stops early: ok, and no more chunks.
    int chunks = 0;
    CHECK(read_decompressed(dir.path / "var/lib/dpkg/status", [&](std::string_view) {
              return ++chunks < 1;
          }).ok());
    CHECK(chunks == 1);
    // A FIFO in a list's place neither blocks nor is read as a list.
    fs::path fifo = dir.path / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_FALSE(read_decompressed(fifo, [](std::string_view) { return true; }).ok());
    // Nor a tar walk (a pacman sync db, an APKINDEX): refused before libarchive opens it, with no writer at
    // the other end (libarchive's open of a FIFO blocked for ever); a directory neither.
    bool called = false;
    auto walked = for_each_tar_entry(
        fifo, [](std::string_view) { return true; },
        [&](std::string_view, std::string_view) { called = true; });
    REQUIRE_FALSE(walked.ok());
    CHECK(walked.error().message.find("not a regular file") != std::string::npos);
    CHECK_FALSE(called);
    auto directory = for_each_tar_entry(
        dir.path / "lists", [](std::string_view) { return true; }, [](std::string_view, std::string_view) {});
    REQUIRE_FALSE(directory.ok());
    CHECK(directory.error().message.find("not a regular file") != std::string::npos);
    // A missing archive is still not_found (callers read it as "no database").
    auto missing = for_each_tar_entry(
        dir.path / "nothing.tar.gz", [](std::string_view) { return true; },
        [](std::string_view, std::string_view) {});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind == util::ErrorKind::not_found);
}

TEST_CASE("apt_setup reads sources.list.d's one-line and deb822 parts from one listing, and stamps them") {
    // One listing of the directory serves both kinds (and a part apt ignores stays ignored): the lists of
    // both are selected and every part read is a stamp.
    TempDir dir;
    util::Root root(dir.path);
    auto put = [&](const std::string& rel, const std::string& text) {
        REQUIRE(util::write_file_atomic(dir.path / rel, text).ok());
    };
    put("var/lib/dpkg/status", "");
    put("etc/apt/sources.list.d/zz.list", "deb http://one.example/debian stable main\n");
    put("etc/apt/sources.list.d/aa.sources",
        "Types: deb\nURIs: http://two.example/debian\nSuites: stable\nComponents: main\n");
    put("etc/apt/sources.list.d/mm.list.disabled", "deb http://three.example/debian stable main\n");
    const std::string body = "Package: p\nVersion: 1\nArchitecture: all\nDescription: d\n\n";
    for (const char* site : {"one", "two", "three"}) {
        put(std::string("var/lib/apt/lists/") + site + ".example_debian_dists_stable_main_binary-" +
                apt_setup(root).native_arch + "_Packages",
            body);
    }
    AptSetup setup = apt_setup(root);
    std::vector<std::string> sources;
    for (const auto& list : setup.lists) {
        sources.push_back(list.source);
    }
    REQUIRE(sources.size() == 2);
    CHECK(sources[0].starts_with("http://one.example/debian stable/main"));
    CHECK(sources[1].starts_with("http://two.example/debian stable/main"));
    auto stamped = [&](const char* rel) {
        const fs::path want = root.resolve(std::string("/") + rel);
        return std::find(setup.stamp.begin(), setup.stamp.end(), want) != setup.stamp.end();
    };
    CHECK(stamped("etc/apt/sources.list.d/zz.list"));
    CHECK(stamped("etc/apt/sources.list.d/aa.sources"));
    CHECK_FALSE(stamped("etc/apt/sources.list.d/mm.list.disabled"));
}

TEST_CASE(
    "apt_setup leaves the Release files to the build: read later they give what reading them at once gives") {
    // Two components of one suite share its InRelease (read once); a NotAutomatic suite gets priority 1, a
    // NotAutomatic + ButAutomaticUpgrades one 100, a general release pin applies after them. A parts file
    // reached through a symlink inside the root is listed like a plain one; a dangling one is not.
    TempDir dir;
    util::Root root(dir.path);
    auto put = [&](const std::string& rel, const std::string& text) {
        REQUIRE(util::write_file_atomic(dir.path / rel, text).ok());
    };
    put("var/lib/dpkg/status", "");
    put("etc/apt/sources.list.d/a.list", "deb http://r.example/debian stable main contrib\n");
    put("etc/apt/real-b", "deb http://r.example/debian exp main\ndeb http://r.example/debian bpo main\n");
    fs::create_symlink("../real-b", dir.path / "etc/apt/sources.list.d/b.list");
    fs::create_symlink("../missing", dir.path / "etc/apt/sources.list.d/c.list");
    put("etc/apt/preferences.d/pin", "Package: *\nPin: release a=bpo\nPin-Priority: 700\n");
    const std::string arch = apt_setup(root).native_arch;
    const std::string body = "Package: p\nVersion: 1\nArchitecture: all\nDescription: d\n\n";
    for (const char* list : {"stable_main", "stable_contrib", "exp_main", "bpo_main"}) {
        put(std::string("var/lib/apt/lists/r.example_debian_dists_") + list + "_binary-" + arch + "_Packages",
            body);
    }
    put("var/lib/apt/lists/r.example_debian_dists_stable_InRelease",
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: R\nSuite: stable\nCodename: s\n\n"
        "-----BEGIN PGP SIGNATURE-----\n");
    put("var/lib/apt/lists/r.example_debian_dists_exp_Release", "Suite: exp\nNotAutomatic: yes\n");
    put("var/lib/apt/lists/r.example_debian_dists_bpo_Release",
        "Suite: bpo\nNotAutomatic: yes\nButAutomaticUpgrades: yes\n");

    const AptSetup full = apt_setup(root);
    CHECK(full.releases_read);
    AptSetup later = apt_setup(root, AptReleases::when_building);
    CHECK_FALSE(later.releases_read);
    CHECK(later.stamp == full.stamp);
    REQUIRE(later.lists.size() == 4);
    for (const auto& list : later.lists) {
        CHECK_FALSE(list.release.has_release);
    }
    read_apt_releases(root, later);
    CHECK(later.releases_read);
    auto summary = [](const AptSetup& setup) {
        std::vector<std::string> out;
        for (const auto& list : setup.lists) {
            out.push_back(list.file.filename().string() + " " + std::to_string(list.priority) + " " +
                          list.release.archive + "/" + list.release.component + " " + list.release.origin +
                          (list.release.has_release ? " release" : ""));
        }
        return out;
    };
    CHECK(summary(later) == summary(full));
    const std::string pre = "r.example_debian_dists_";
    const std::string post = "_binary-" + arch + "_Packages";
    CHECK(summary(full) == std::vector<std::string>{
                               pre + "bpo_main" + post + " 700 bpo/main  release",
                               pre + "exp_main" + post + " 1 exp/main  release",
                               pre + "stable_contrib" + post + " 500 stable/contrib R release",
                               pre + "stable_main" + post + " 500 stable/main R release",
                           });
    // Reading again changes nothing.
    read_apt_releases(root, later);
    CHECK(summary(later) == summary(full));
}
