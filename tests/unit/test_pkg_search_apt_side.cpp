// The apt index split in two (lists index + installed-state side file) must search exactly like the index
// built in one piece from the lists and dpkg's status together.
#include <doctest/doctest.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pkg/search/native/archive_reader.hpp"
#include "pkg/search/native/index_apt.hpp"
#include "pkg/search/search_index.hpp"

using namespace zsyncctl;
using namespace zsyncctl::pkg;

namespace {

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

std::string describe(const std::vector<SearchHit>& hits) {
    std::string out;
    for (const auto& h : hits) {
        out += h.name + " " + h.version + " " + h.installed_version + " " + h.candidate + " " +
               (h.installed ? "i" : "-") + " " + h.description + " " + h.match_reason + "\n";
    }
    return out;
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
