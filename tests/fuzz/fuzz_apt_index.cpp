// libFuzzer target: apt's Packages indexes, dpkg's status file and zsyncctl's own on-disk search index.
// Input "PACKAGES\0STATUS\0INDEX": the records parsed from PACKAGES (installed per STATUS) must build an
// index that loads back and finds each of its packages by name; INDEX, loaded as a damaged or hostile
// cache file, must be refused or searched without reading out of bounds.
#include <set>
#include <string>

#include "fuzz_split.hpp"
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

    auto hostile = pkg::PackageIndex::from_bytes(std::string(cache), {}, "fuzz");
    if (hostile) {
        for (std::string_view q : {"a", "", "lib"}) {
            for (const auto& hit :
                 hostile->search(pkg::SearchQuery{std::string(q), pkg::MatchMode::substring, 50})) {
                (void)hit;
            }
        }
    }
    return 0;
}
