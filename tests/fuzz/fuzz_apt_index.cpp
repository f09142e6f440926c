// libFuzzer target: apt's Packages indexes, dpkg's status file and zsyncctl's own on-disk search index.
// Input "PACKAGES\0STATUS\0INDEX": the records parsed from PACKAGES (installed per STATUS) must build an
// index that loads back and finds each of its packages by name; INDEX, loaded as a damaged or hostile
// cache file, must be refused or searched without reading out of bounds.
#include <algorithm>
#include <functional>
#include <set>
#include <string>

#include "fuzz_split.hpp"
#include "pkg/search/native/archive_reader.hpp"
#include "pkg/search/native/index_apt.hpp"
#include "pkg/search/search_index.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace zsyncctl;
    using fuzz::check;
    auto fields = fuzz::split_fields(fuzz::as_text(data, size), 3);
    std::string_view packages = fields[0];
    std::string_view status = fields.size() > 1 ? fields[1] : std::string_view();
    std::string_view cache = fields.size() > 2 ? fields[2] : std::string_view();

    auto installed = pkg::parse_dpkg_status(status);
    auto records = pkg::parse_apt_packages(packages, status);
    std::set<std::string> names;
    for (const auto& r : records) {
        check(!r.name.empty());
        check(names.insert(r.name).second); // one record per name
        check(!r.installed || installed.count(r.name) != 0);
        check(r.installed == !r.installed_version.empty());
        check(!r.candidate.empty());
    }

    std::vector<pkg::SourceStamp> stamps{{"/var/lib/apt/lists/x_Packages", 1, 2}};
    pkg::PackageIndex built = pkg::PackageIndex::build(records, stamps);
    auto loaded = pkg::PackageIndex::from_bytes(built.data(), stamps, "fuzz");
    check(loaded && loaded->size() == records.size());
    if (!records.empty()) {
        pkg::SearchQuery query{records.front().name, pkg::MatchMode::exact, 0};
        bool found = false;
        for (const auto& hit : loaded->search(query)) {
            found = found || hit.name == records.front().name;
        }
        // A name with control characters matches nothing by design (see PackageIndex::search), and one
        // that the index's sanitizer changes (invalid UTF-8, escapes) is stored, and found, as sanitized.
        const std::string& name = records.front().name;
        bool has_control = false;
        for (char c : name) {
            has_control = has_control || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
        }
        check(found || has_control || pkg::sanitize_index_field(name) != name);
    }

    // The index split in two (lists index with its versions section + the installed-state side index)
    // searches exactly like the index built in one piece.
    auto feed = [](std::string_view text, const std::function<void(std::string_view)>& add) {
        pkg::StanzaSplitter s(add);
        s.feed(text);
        s.finish();
    };
    pkg::AptIndexBuilder lists_builder("amd64", {"amd64"});
    feed(packages, [&](std::string_view st) { lists_builder.add_list_stanza(st, 500); });
    std::string aux;
    auto list_records = lists_builder.finish(&aux);
    pkg::PackageIndex lists = pkg::PackageIndex::build(std::move(list_records), stamps, aux);
    pkg::AptIndexBuilder dpkg("amd64", {"amd64"});
    feed(status, [&](std::string_view st) { dpkg.add_status_stanza(st); });
    auto side = pkg::apt_installed_side(lists, dpkg, "amd64", stamps);
    // Only a name the sanitizer changes may miss its record's text (apt_index then builds in one piece).
    if (side) {
        auto joined = pkg::apt_joined(lists, std::move(*side));
        check(joined.has_value());
        std::size_t n = 0;
        for (const auto& r : records) {
            if (++n > 8) {
                break;
            }
            pkg::SearchQuery q{r.name, pkg::MatchMode::substring, 0};
            auto a = joined->search(q);
            auto b = built.search(q);
            // Both are in shown-name order; among equal shown names (raw names the sanitizer made equal)
            // the order is unspecified, so each run of equal names is compared sorted.
            auto key = [](const pkg::SearchHit& h) {
                return h.name + '\0' + h.version + '\0' + h.installed_version + '\0' + h.candidate + '\0' +
                       h.description + '\0' + h.match_reason;
            };
            auto by_key = [&](const pkg::SearchHit& x, const pkg::SearchHit& y) {
                return key(x) < key(y);
            };
            std::stable_sort(a.begin(), a.end(), by_key);
            std::stable_sort(b.begin(), b.end(), by_key);
            check(a.size() == b.size());
            for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
                check(a[i].name == b[i].name && a[i].version == b[i].version &&
                      a[i].installed_version == b[i].installed_version && a[i].candidate == b[i].candidate &&
                      a[i].description == b[i].description && a[i].match_reason == b[i].match_reason);
            }
        }
    }

    auto hostile = pkg::PackageIndex::from_bytes(std::string(cache), {}, "fuzz");
    if (hostile) {
        pkg::AptIndexBuilder hostile_dpkg("amd64", {"amd64"});
        feed(status, [&](std::string_view st) { hostile_dpkg.add_status_stanza(st); });
        if (auto hostile_side = pkg::apt_installed_side(*hostile, hostile_dpkg, "amd64", {})) {
            if (auto joined = pkg::apt_joined(*hostile, std::move(*hostile_side))) {
                (void)joined->search(pkg::SearchQuery{"a", pkg::MatchMode::substring, 50});
            }
        }
        for (std::string_view q : {"a", "", "lib"}) {
            for (const auto& hit :
                 hostile->search(pkg::SearchQuery{std::string(q), pkg::MatchMode::substring, 50})) {
                (void)hit;
            }
        }
    }
    return 0;
}
