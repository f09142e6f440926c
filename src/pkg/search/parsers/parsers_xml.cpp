// Parsers for the search output of managers whose data is not on disk in a readable form. Each format
// below is the tool's documented or long-stable output; the comment above each parser says where the
// format comes from. tests/fixtures/search/<manager>/ holds recorded samples of each.
// XML (zypper's stable --xmlout interface).
#include "pkg/search/parsers/parsers_internal.hpp"
#include "pkg/search/parsers/xml_scan.hpp"

#include <unordered_set>

#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg::parsers {

using util::sanitize_terminal;
using util::trim;

// zypper --xmlout search --details: <stream><search-result><solvable-list><solvable status="installed"
// name="…" summary="…" kind="package" edition="…" arch="…" repository="…"/> (zypper's documented stable
// XML interface, src/search.cc and the zypper-xml schema). --details lists one solvable per version.
ParsedSearch parse_zypper_xml(std::string_view output, const ParseLimit& limit) {
    HitSink sink(limit);
    std::optional<std::string> error;
    std::unordered_set<std::string> seen;
    std::size_t pos = 0;
    bool saw_stream = output.find("<stream") != std::string_view::npos;
    while (true) {
        std::size_t start = output.find("<solvable ", pos);
        if (start == std::string_view::npos) {
            break;
        }
        std::size_t end = output.find('>', start);
        if (end == std::string_view::npos) {
            error = "truncated zypper XML output";
            break;
        }
        std::string_view element = output.substr(start, end - start);
        pos = end + 1;
        std::string kind = xml_attribute(element, "kind");
        if (!kind.empty() && kind != "package") {
            continue;
        }
        std::string name = xml_attribute(element, "name");
        if (name.empty() || !seen.insert(name).second) {
            continue;
        }
        std::string status = xml_attribute(element, "status");
        if (sink.full()) {
            sink.add(name, {}, {}); // counted only: the other attributes are not decoded
            continue;
        }
        sink.add(name, xml_attribute(element, "edition"), xml_attribute(element, "summary"),
                 status == "installed");
    }
    if (!saw_stream && sink.read() == 0 && !trim(output).empty()) {
        error = "zypper did not print XML";
    } else if (saw_stream && output.find("</stream>") == std::string_view::npos && !error) {
        error = "truncated zypper XML output";
    }
    return sink.take(std::move(error));
}

} // namespace zsyncctl::pkg::parsers
