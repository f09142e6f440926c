// The apt index split in two (lists index + installed-state side file) must search exactly like the index
// built in one piece from the lists and dpkg's status together.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pkg/search/native/archive_reader.hpp"
#include "pkg/search/native/index_apt.hpp"
#include "pkg/search/search.hpp"
#include "pkg/search/search_index.hpp"
#include "search_run_support.hpp"

using namespace zsyncctl;
using namespace zsyncctl::pkg;

namespace {

using test_support::describe;

void feed(std::string_view text, const std::function<void(std::string_view)>& add) {
    StanzaSplitter s(add);
    s.feed(text);
    s.finish();
}

struct Built {
    PackageIndex whole;
    std::optional<PackageIndex> joined;
    PackageIndex lists;
};

Built build_both(std::string_view packages, std::string_view status, const std::vector<std::string>& archs) {
    Built b;
    AptIndexBuilder whole(archs.front(), archs);
    feed(packages, [&](std::string_view st) { whole.add_list_stanza(st, 500); });
    feed(status, [&](std::string_view st) { whole.add_status_stanza(st); });
    b.whole = PackageIndex::build(whole.finish(), {});

    AptIndexBuilder lists(archs.front(), archs);
    feed(packages, [&](std::string_view st) { lists.add_list_stanza(st, 500); });
    std::string aux;
    auto records = lists.finish(&aux);
    b.lists = PackageIndex::build(std::move(records), {}, aux);
    AptIndexBuilder dpkg(archs.front(), archs);
    feed(status, [&](std::string_view st) { dpkg.add_status_stanza(st); });
    if (auto side = apt_installed_side(b.lists, dpkg, archs.front(), {})) {
        b.joined = apt_joined(b.lists, std::move(*side));
    }
    return b;
}

// What SearchRun makes of index.search(q): every hit sanitized, ranked, cut to the limit.
std::vector<SearchHit> as_report(const PackageIndex& index, const SearchQuery& q) {
    SearchQuery all = q;
    all.limit = 0;
    auto hits = index.search(all);
    for (auto& h : hits) {
        sanitize_hit(h);
    }
    rank_hits(q, hits);
    if (q.limit != 0 && hits.size() > q.limit) {
        hits.resize(q.limit);
    }
    return hits;
}

// The same through search_lazily(), ranked and cut as SearchRun does, each hit read into one SearchHit
// reused from read to read (as for_each_hit does), in `order` (0: first to last, 1: last to first). Each
// hit's plain-line fields as views (HitSource::view, what `pkg search` prints from) are its fields too,
// wherever the source gives them so.
std::vector<SearchHit> read_lazily(const PackageIndex& index, const SearchQuery& q, int order = 0) {
    SearchQuery all = q;
    all.limit = 0;
    auto lazy = index.search_lazily(all);
    lazy->rank(q);
    if (q.limit != 0) {
        lazy->truncate(q.limit);
    }
    std::vector<SearchHit> out(lazy->size());
    SearchHit hit;
    HitView view;
    for (std::size_t n = 0; n < lazy->size(); ++n) {
        std::size_t i = order == 0 ? n : lazy->size() - 1 - n;
        lazy->read(i, hit);
        out[i] = hit;
        if (lazy->view(i, view)) {
            CHECK(view.name == hit.name);
            CHECK(view.version == hit.version);
            CHECK(view.description == hit.description);
            CHECK(view.kind == hit.kind);
            CHECK(view.installed == hit.installed);
            CHECK(view.installed_version == hit.installed_version);
        }
    }
    return out;
}

// 240 packages in a shuffled stanza order: a third installed as the lists have them (kept, shown installed),
// a sixth installed with a name the lists' version does not provide (hidden in the lists index, rebuilt in
// the side one), and ten packages only dpkg knows. Returns the lists' text and dpkg's status.
std::pair<std::string, std::string> many_packages(const std::function<std::string(int)>& name = [](int i) {
    return "pk" + std::to_string(i % 7) + "-" + std::to_string(i);
}) {
    std::vector<int> order(240);
    for (int i = 0; i < 240; ++i) {
        order[static_cast<std::size_t>(i)] = (i * 97) % 240; // a permutation: 97 is prime to 240
    }
    std::string packages;
    std::string status;
    for (int i : order) {
        packages += "Package: " + name(i) + "\nVersion: 1.0\nArchitecture: amd64\nDescription: zq " +
                    name(i) + "\n\n";
        if (i % 3 == 0) {
            status += "Package: " + name(i) +
                      "\nStatus: install ok installed\nVersion: 1.0\n"
                      "Architecture: amd64\nDescription: zq " +
                      name(i) + "\n\n";
        } else if (i % 6 == 1) {
            status += "Package: " + name(i) +
                      "\nStatus: install ok installed\nVersion: 1.0\n"
                      "Architecture: amd64\nProvides: zq-extra-" +
                      std::to_string(i) + "\nDescription: zq " + name(i) + "\n\n";
        }
    }
    for (int i = 0; i < 10; ++i) { // dpkg's only: the side index's own records
        status += "Package: pk-local-" + std::to_string(i) +
                  "\nStatus: install ok installed\nVersion: 2\n"
                  "Architecture: amd64\nDescription: zq local\n\n";
    }
    return {packages, status};
}

} // namespace

TEST_CASE("apt's installed state joined from a side index equals the index built in one piece") {
    std::string packages =
        "Package: alpha\nVersion: 1.0\nArchitecture: amd64\nDescription: zq alpha one\n more\n\n"
        "Package: alpha\nVersion: 2.0\nArchitecture: amd64\nDescription: zq alpha two\n\n"
        "Package: bravo\nVersion: 1.0\nArchitecture: all\nProvides: zq-virtual\n"
        "Description: zq bravo\n long text zq\n\n"
        "Package: wine\nVersion: 8\nArchitecture: i386\nDescription: zq wine\n\n"
        "Package: libx\nVersion: 1\nArchitecture: amd64\nDescription: zq libx\n\n"
        "Package: libx\nVersion: 1\nArchitecture: i386\nDescription: zq libx i386\n\n"
        "Package: nodesc\nVersion: 1\nArchitecture: amd64\n\n";
    std::string status =
        "Package: alpha\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n"
        "Description: zq alpha status\n\n"
        "Package: local\nStatus: install ok installed\nVersion: 3\nArchitecture: amd64\n"
        "Provides: zq-local-virtual\nDescription: zq local only\n\n"
        "Package: nodesc\nStatus: install ok installed\nVersion: 2\nArchitecture: amd64\n"
        "Description: zq nodesc from dpkg\n\n"
        "Package: wine\nStatus: install ok installed\nVersion: 9\nArchitecture: amd64\n"
        "Description: zq native wine\n\n"
        "Package: bravo\nStatus: deinstall ok config-files\nVersion: 1.0\nArchitecture: all\n"
        "Description: zq bravo\n\n"
        "Package: libx\nStatus: install ok installed\nVersion: 1\nArchitecture: i386\n"
        "Description: zq libx i386\n\n";
    Built b = build_both(packages, status, {"amd64", "i386"});
    REQUIRE(b.joined.has_value());
    for (const char* q : {"zq", "alpha", "virtual", "wine", "libx", "local", "nodesc"}) {
        CAPTURE(q);
        for (MatchMode mode : {MatchMode::substring, MatchMode::exact}) {
            for (std::size_t limit : {0, 1, 2}) {
                SearchQuery query{q, mode, limit};
                CHECK(describe(b.joined->search(query)) == describe(b.whole.search(query)));
            }
        }
    }
    CHECK(describe(b.joined->search({"zq", MatchMode::substring, 0}))
              .find("alpha 2.0 1.0 2.0 i zq alpha two") != std::string::npos);
    CHECK(b.joined->search({"wine", MatchMode::exact, 0}).size() == 1);
}

TEST_CASE("the joined index merges in the order of the names as shown (sanitized)") {
    // Found by fuzz_apt_index: a name with control characters sorted by its raw bytes before the installed
    // package, by its shown name after it.
    std::string packages("Package: z\x02zs-alpha\x01s-zeta\nVersion: 1-1\nDescription: Zeta\n\n"
                         "Package: zs-alpha\nVersion: 1-1\nDescription: alpha\n\n");
    std::string status(
        "Package: zs-alpha\nStatus: install ok installed\nVersion: 1-1\nDescription: alpha\n\n");
    Built b = build_both(packages, status, {"amd64"});
    REQUIRE(b.joined.has_value());
    SearchQuery q{"zs-alpha", MatchMode::substring, 0};
    CHECK(describe(b.joined->search(q)) == describe(b.whole.search(q)));
    CHECK(b.whole.search(q).size() == 2);
}

TEST_CASE("a damaged versions section or side index is refused or searched without a bad read") {
    std::string packages = "Package: alpha\nVersion: 1.0\nDescription: zq alpha\n\n";
    std::string status =
        "Package: alpha\nStatus: install ok installed\nVersion: 1.0\nDescription: zq alpha\n\n";
    Built b = build_both(packages, status, {"amd64"});
    REQUIRE(b.joined.has_value());
    std::string bytes = b.lists.data();
    std::size_t extra = b.lists.extra().size();
    REQUIRE(extra > 8);
    for (std::size_t i = bytes.size() - extra; i < bytes.size(); ++i) {
        for (char flip : {'\xff', '\x01', '\x80'}) {
            std::string copy = bytes;
            copy[i] = static_cast<char>(copy[i] ^ flip);
            auto lists = PackageIndex::from_bytes(copy, {}, "mem");
            REQUIRE(static_cast<bool>(lists)); // the section's bytes are its reader's to check
            AptIndexBuilder dpkg("amd64", {"amd64"});
            feed(status, [&](std::string_view st) { dpkg.add_status_stanza(st); });
            if (auto side = apt_installed_side(*lists, dpkg, "amd64", {})) {
                if (auto joined = apt_joined(*lists, std::move(*side))) {
                    (void)joined->search({"zq", MatchMode::substring, 0});
                }
            }
        }
    }
    CHECK_FALSE(
        apt_joined(b.lists, PackageIndex::build({}, {}, std::string("\xff\xff\xff\x7f", 4))).has_value());
}

TEST_CASE("a record dpkg leaves as the lists have it is kept from the lists index, shown installed") {
    // keep: installed at an older list version, its record unchanged; grow: the installed version provides
    // a name the list's does not, so its record changes and is rebuilt in the side index.
    std::string packages = "Package: keep\nVersion: 1.0\nDescription: zq keep one\n\n"
                           "Package: keep\nVersion: 2.0\nDescription: zq keep two\n\n"
                           "Package: grow\nVersion: 1.0\nProvides: zq-a\nDescription: zq grow\n\n"
                           "Package: same\nVersion: 1.0\nProvides: zq-s\nDescription: zq same\n\n";
    std::string status =
        "Package: keep\nStatus: install ok installed\nVersion: 1.0\nDescription: zq keep one\n\n"
        "Package: grow\nStatus: install ok installed\nVersion: 1.0\nProvides: zq-a, zq-b\n"
        "Description: zq grow\n\n"
        "Package: same\nStatus: install ok installed\nVersion: 1.0\nProvides: zq-s\n"
        "Description: zq same\n\n";
    Built b = build_both(packages, status, {"amd64"});
    REQUIRE(b.joined.has_value());
    for (const char* q : {"zq", "zq-b", "zq-s", "keep", "grow", "same"}) {
        CAPTURE(q);
        SearchQuery query{q, MatchMode::substring, 0};
        CHECK(describe(b.joined->search(query)) == describe(b.whole.search(query)));
    }
    CHECK(describe(b.joined->search({"keep", MatchMode::exact, 0})) == "keep 2.0 1.0 2.0 i zq keep two \n");
    AptIndexBuilder dpkg("amd64", {"amd64"});
    feed(status, [&](std::string_view st) { dpkg.add_status_stanza(st); });
    auto side = apt_installed_side(b.lists, dpkg, "amd64", {});
    REQUIRE(side.has_value());
    CHECK(side->size() == 1); // grow only: keep and same are the lists index's records
}

namespace {

// The side index's name lists as apt_joined reads them: the hidden names, then (name, installed version).
void side_lists(std::string_view extra, std::vector<std::string_view>& hidden,
                std::vector<std::pair<std::string_view, std::string_view>>& installed) {
    std::uint32_t count = 0;
    std::memcpy(&count, extra.data(), 4);
    REQUIRE((count & 0x80000000u) != 0); // the flag: both lists in name order
    count &= ~0x80000000u;
    std::vector<std::string_view> names;
    for (std::size_t pos = 4; pos + 4 <= extra.size();) {
        std::uint32_t len = 0;
        std::memcpy(&len, extra.data() + pos, 4);
        names.push_back(extra.substr(pos + 4, len));
        pos += 4 + len;
    }
    REQUIRE(names.size() >= count);
    hidden.assign(names.begin(), names.begin() + count);
    for (std::size_t i = count; i + 1 < names.size(); i += 2) {
        installed.emplace_back(names[i], names[i + 1]);
    }
}

} // namespace

TEST_CASE("many installed packages: the joined index equals the whole one; an older side file is refused") {
    const auto generated = many_packages();
    const std::string& packages = generated.first;
    const std::string& status = generated.second;
    Built b = build_both(packages, status, {"amd64"});
    REQUIRE(b.joined.has_value());
    const std::vector<SearchQuery> queries = {
        {"zq", MatchMode::substring, 0},    {"pk3", MatchMode::substring, 0},
        {"extra", MatchMode::substring, 0}, {"local", MatchMode::substring, 0},
        {"zq", MatchMode::substring, 50},   {"pk0-0", MatchMode::exact, 0},
        {"pk1-1", MatchMode::exact, 0},     {"-2", MatchMode::substring, 0}};
    for (const auto& q : queries) {
        CAPTURE(q.text);
        CHECK(describe(b.joined->search(q)) == describe(b.whole.search(q)));
    }
    CHECK(b.whole.search(queries[0]).size() == 250);

    // The side file writes its lists in name order and says so; one without the flag (an older side file,
    // whose lists are in no particular order) is refused, so apt_index builds it again.
    AptIndexBuilder dpkg("amd64", {"amd64"});
    feed(status, [&](std::string_view st) { dpkg.add_status_stanza(st); });
    auto side = apt_installed_side(b.lists, dpkg, "amd64", {});
    REQUIRE(side.has_value());
    std::vector<std::string_view> hidden;
    std::vector<std::pair<std::string_view, std::string_view>> installed;
    side_lists(side->extra(), hidden, installed);
    CHECK(hidden.size() == 50); // the 40 rebuilt and the 10 of dpkg only
    CHECK(installed.size() == 80);
    CHECK(std::is_sorted(installed.begin(), installed.end()));
    CHECK(std::is_sorted(hidden.begin(), hidden.end()));
    CHECK(apt_joined(b.lists, *side).has_value());
    std::string bytes = side->data();
    std::size_t flag_at = bytes.size() - side->extra().size() + 3; // the count's top byte
    bytes[flag_at] = static_cast<char>(bytes[flag_at] & 0x7f);
    auto older = PackageIndex::from_bytes(bytes, {}, "mem");
    REQUIRE(static_cast<bool>(older));
    CHECK_FALSE(apt_joined(b.lists, std::move(*older)).has_value());
}

TEST_CASE("names that share their first 8 bytes, or are shorter, are found by the versions section") {
    // The section's table compares 8-byte name prefixes first, and the names only when those are equal:
    // names of exactly 8 bytes, names extending them, and names shorter than 8 that prefix each other.
    auto name = [](int i) {
        switch (i % 5) {
        case 0:
            return "libreoffice-l10n-" + std::to_string(i);
        case 1:
            return "libreoff" + std::string(static_cast<std::size_t>(i % 4), 'x');
        case 2:
            return "libreoffice-" + std::to_string(i);
        case 3:
            return "l" + std::to_string(i);
        default:
            return "libreoff-" + std::to_string(i) + "-dev";
        }
    };
    // The names of case 1 repeat (4 of them): a repeated stanza adds a version or replaces one.
    const auto generated = many_packages(name);
    Built b = build_both(generated.first, generated.second, {"amd64"});
    REQUIRE(b.joined.has_value());
    for (const char* q : {"zq", "libreoff", "libreoffxx", "l1", "l10n", "dev", "extra", "local"}) {
        CAPTURE(q);
        for (MatchMode mode : {MatchMode::substring, MatchMode::exact}) {
            SearchQuery query{q, mode, 0};
            CHECK(describe(b.joined->search(query)) == describe(b.whole.search(query)));
        }
    }
    CHECK(b.whole.search({"libreoff", MatchMode::exact, 0}).size() == 1);
    CHECK(b.joined->search({"libreoff", MatchMode::exact, 0}).size() == 1);

    // A lists index whose table has no prefixes (written before them: the flag is clear) is refused, so
    // apt_index builds it again.
    std::string bytes = b.lists.data();
    std::size_t flag_at = bytes.size() - 1; // the group count's top byte ends the section
    REQUIRE((bytes[flag_at] & 0x80) != 0);
    bytes[flag_at] = static_cast<char>(bytes[flag_at] & 0x7f);
    auto older = PackageIndex::from_bytes(bytes, {}, "mem");
    REQUIRE(static_cast<bool>(older));
    AptIndexBuilder dpkg("amd64", {"amd64"});
    feed(generated.second, [&](std::string_view st) { dpkg.add_status_stanza(st); });
    CHECK_FALSE(apt_installed_side(*older, dpkg, "amd64", {}).has_value());
}

TEST_CASE("a broad query on a large joined index places the side file's names by record: same answer") {
    // 3,000 packages, 31 installed as the lists have them and a few the side file changes: a query matching
    // most of them passes the point where the joined search stops reading each hit's name and finds the
    // hidden records, the merge points and the installed versions by binary search instead (find_refs,
    // Hits::rank); the answer must stay that of the index built in one piece, with hidden records and side
    // records before, between and after the switch.
    std::string packages;
    std::string status;
    auto name = [](int i) {
        return "pk" + std::to_string(i % 10) + "-" + std::to_string(i);
    };
    for (int n = 0; n < 3000; ++n) {
        int i = (n * 7919) % 3000; // shuffled: 7919 is prime to 3000
        packages += "Package: " + name(i) + "\nVersion: 1.0\nArchitecture: amd64\nDescription: zq " +
                    name(i) + "\n\n";
        if (i % 97 == 0) {
            status += "Package: " + name(i) +
                      "\nStatus: install ok installed\nVersion: 1.0\n"
                      "Architecture: amd64\nDescription: zq " +
                      name(i) + "\n\n";
        } else if (i % 701 == 5) { // rebuilt in the side index: hidden in the lists one
            status += "Package: " + name(i) +
                      "\nStatus: install ok installed\nVersion: 1.0\n"
                      "Architecture: amd64\nProvides: zq-extra-" +
                      std::to_string(i) + "\nDescription: zq " + name(i) + "\n\n";
        }
    }
    for (const char* local : {"pk0-local", "pk4-local", "pk4-local2", "pk9-zlocal", "zz-local"}) {
        status +=
            std::string("Package: ") + local +
            "\nStatus: install ok installed\nVersion: 2\nArchitecture: amd64\nDescription: zq local\n\n";
    }
    Built b = build_both(packages, status, {"amd64"});
    REQUIRE(b.joined.has_value());
    const std::vector<SearchQuery> queries = {
        {"zq", MatchMode::substring, 0},    {"pk", MatchMode::substring, 0},
        {"-", MatchMode::substring, 0},     {"zq", MatchMode::substring, 2000},
        {"pk4", MatchMode::substring, 0},   {"local", MatchMode::substring, 0},
        {"extra", MatchMode::substring, 0}, {"pk1-706", MatchMode::exact, 0},
        {"zz-local", MatchMode::exact, 0}};
    for (const auto& q : queries) {
        CAPTURE(q.text);
        CAPTURE(q.limit);
        CHECK(describe(b.joined->search(q)) == describe(b.whole.search(q)));
        CHECK(describe(read_lazily(*b.joined, q)) == describe(as_report(b.whole, q)));
    }
    CHECK(b.whole.search(queries[0]).size() == 3005);
}

namespace {

std::string packed(const std::vector<std::string>& strings) {
    std::string out;
    for (const auto& s : strings) {
        auto len = static_cast<std::uint32_t>(s.size());
        out.append(reinterpret_cast<const char*>(&len), 4);
        out += s;
    }
    return out;
}

} // namespace

TEST_CASE("packed name lists are read in place, in order or not, and refused when damaged or unsorted") {
    std::string bytes = packed({"a", "bb", "c", "d", "a", "1", "c", "3", "c2", ""});
    std::string_view rest = bytes;
    auto names = PackedNames::take(rest, 4, 1);
    REQUIRE(names.has_value());
    auto pairs = PackedNames::take(rest, std::string_view::npos, 2);
    REQUIRE(pairs.has_value());
    CHECK(rest.empty());
    CHECK(names->size() == 4);
    CHECK(pairs->size() == 3);
    PackedNames::Cursor at;
    CHECK(names->find(at, "bb") == std::optional<std::string_view>("bb"));
    CHECK(names->find(at, "c") == std::optional<std::string_view>("c"));
    CHECK_FALSE(names->find(at, "cc").has_value());
    CHECK(names->find(at, "a") == std::optional<std::string_view>("a")); // out of order: found all the same
    CHECK(names->find(at, "d") == std::optional<std::string_view>("d"));
    CHECK_FALSE(names->find(at, "e").has_value());
    CHECK(names->find(at, "bb") == std::optional<std::string_view>("bb"));
    CHECK_FALSE(names->find(at, "b").has_value());
    PackedNames::Cursor p;
    CHECK(pairs->find(p, "c") == std::optional<std::string_view>("3"));
    CHECK(pairs->find(p, "c2") == std::optional<std::string_view>(""));
    CHECK(pairs->find(p, "a") == std::optional<std::string_view>("1"));
    // Refused: names out of order, a length past the end, fewer entries than counted, a last pair cut.
    for (const std::string& bad :
         {packed({"b", "a"}), bytes.substr(0, 6), packed({"a"}), packed({"a", "1", "b"})}) {
        std::string_view v = bad;
        auto taken = PackedNames::take(v, bad == packed({"a"}) ? 2 : std::string_view::npos,
                                       bad == packed({"b", "a"}) ? 1 : 2);
        CHECK_FALSE(taken.has_value());
    }
}

TEST_CASE("names with control characters are hidden and shown installed by their shown form") {
    // Raw order: a\x02c < ab < b\x02d < bc; shown (sanitized) order: ab < ac < bc < bd, the order of the
    // records and of the side file's lists. "ab" is hidden (rebuilt for the name it provides), "bc" kept
    // and shown installed; the lookups walk the lists in the records' order.
    std::string packages("Package: a\x02"
                         "c\nVersion: 1\nDescription: zq c\n\n"
                         "Package: ab\nVersion: 1\nDescription: zq b\n\n"
                         "Package: b\x02"
                         "d\nVersion: 1\nDescription: zq d\n\n"
                         "Package: bc\nVersion: 1\nDescription: zq bc\n\n");
    std::string status("Package: ab\nStatus: install ok installed\nVersion: 1\nProvides: zq-x\n"
                       "Description: zq b\n\n"
                       "Package: bc\nStatus: install ok installed\nVersion: 1\nDescription: zq bc\n\n");
    Built b = build_both(packages, status, {"amd64"});
    REQUIRE(b.joined.has_value());
    SearchQuery q{"zq", MatchMode::substring, 0};
    CHECK(describe(b.joined->search(q)) == describe(b.whole.search(q)));
    CHECK(b.whole.search(q).size() == 4);
    std::string shown = describe(b.joined->search(q));
    CHECK(shown.find("bc 1 1 1 i") != std::string::npos);
}

TEST_CASE("hits read one at a time are the report's hits: ranked, cut and sanitized the same") {
    // What `pkg search` prints (lazily read) must be what a vector of hits gives (serve, the live view):
    // over the index built in one piece and the joined one (overlay hits merged in, names hidden, installed
    // versions from the side file), with names and descriptions a sanitizer changes, provides matches
    // (match_reason) read into the same SearchHit as plain ones, in either reading order.
    const auto generated = many_packages();
    std::string packages = generated.first;
    std::string status = generated.second;
    packages += std::string(
        "Package: pk-\x1b[31mred\nVersion: 1\nArchitecture: amd64\nDescription: zq \x07"
        "bell\n\n"
        "Package: pk3-esc\nVersion: 1\nArchitecture: amd64\nDescription: zq \x1b]0;t\x07 pk3\n\n");
    Built b = build_both(packages, status, {"amd64"});
    REQUIRE(b.joined.has_value());
    std::size_t provides = 0;
    for (const PackageIndex* index : {&b.whole, &*b.joined}) {
        for (const char* text : {"zq", "pk3", "extra", "local", "-2", "pk0-0", "red", "bell", "1"}) {
            for (MatchMode mode : {MatchMode::substring, MatchMode::exact}) {
                for (std::size_t limit : {0, 1, 7, 50}) {
                    SearchQuery q{text, mode, limit};
                    CAPTURE(text);
                    CAPTURE(limit);
                    auto expected = as_report(*index, q);
                    CHECK(describe(read_lazily(*index, q)) == describe(expected));
                    CHECK(describe(read_lazily(*index, q, 1)) == describe(expected));
                    for (const auto& h : expected) {
                        provides += h.match_reason.empty() ? 0 : 1;
                    }
                }
            }
        }
    }
    CHECK(provides > 0); // the reused hit went from a provides match to a plain one and back
    CHECK(as_report(b.whole, {"zq", MatchMode::substring, 0}).size() == 252);
}

TEST_CASE("hits read one at a time from a damaged index are the vector's hits") {
    // Every offset is bounds-checked when read: a flipped byte costs missing or empty hits, the same ones
    // whichever way they are read, and an empty hit read after a full one is empty.
    std::string packages = "Package: alpha\nVersion: 1.0\nProvides: zq-virtual\nDescription: zq alpha\n\n"
                           "Package: bravo\nVersion: 2.0\nDescription: zq bravo\n\n"
                           "Package: charlie\nVersion: 3.0\nDescription: zq charlie\n\n";
    Built b = build_both(packages, "", {"amd64"});
    std::string bytes = b.whole.data();
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        std::string copy = bytes;
        copy[i] = static_cast<char>(copy[i] ^ '\x5a');
        auto index = PackageIndex::from_bytes(copy, {}, "mem");
        if (!index) {
            continue;
        }
        for (const char* text : {"zq", "virtual", "a"}) {
            SearchQuery q{text, MatchMode::substring, 0};
            CAPTURE(i);
            auto expected = as_report(*index, q);
            CHECK(describe(read_lazily(*index, q)) == describe(expected));
            CHECK(describe(read_lazily(*index, q, 1)) == describe(expected));
        }
    }
}
