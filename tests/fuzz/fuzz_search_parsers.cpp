// libFuzzer target: every manager's search-output parser. Input: "<parser id>\n<output>"; an unknown id
// picks a parser by hash, so mutations of the first line still reach all of them. Each input is parsed
// twice: with no limit, and under a ParseLimit (keep and --exact taken from the input's bytes), which must
// keep exactly what filter_hits keeps of the unlimited parse and count every match; the lazy line range the
// parsers use must cut the output as util::split_lines does.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "pkg/search/parsers/parsers_internal.hpp"
#include "pkg/search/parsers/search_parsers.hpp"
#include "util/strings.hpp"

namespace {

bool same_hit(const zsyncctl::pkg::SearchHit& a, const zsyncctl::pkg::SearchHit& b) {
    return a.name == b.name && a.version == b.version && a.description == b.description &&
           a.installed == b.installed;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace zsyncctl::pkg;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::size_t nl = input.find('\n');
    std::string_view id = nl == std::string_view::npos ? input : input.substr(0, nl);
    std::string_view output = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
    auto parser = find_search_parser(id);
    if (parser == nullptr) {
        auto ids = search_parser_ids();
        parser = find_search_parser(ids[std::hash<std::string_view>{}(id) % ids.size()]);
    }
    // The parsers' lazy line range cuts exactly as util::split_lines.
    std::vector<std::string_view> want_lines = zsyncctl::util::split_lines(output);
    std::size_t at = 0;
    for (std::string_view line : parsers::Lines(output)) {
        if (at >= want_lines.size() || want_lines[at] != line) {
            __builtin_trap();
        }
        ++at;
    }
    if (at != want_lines.size()) {
        __builtin_trap();
    }
    ParsedSearch parsed = parser(output, {});
    for (const auto& hit : parsed.hits) {
        // Parsers promise valid UTF-8 in everything they store.
        if (!zsyncctl::util::is_valid_utf8(hit.name) || !zsyncctl::util::is_valid_utf8(hit.version) ||
            !zsyncctl::util::is_valid_utf8(hit.description)) {
            __builtin_trap();
        }
    }
    if (parsed.matched != parsed.hits.size()) {
        __builtin_trap(); // no limit: every match is kept
    }
    // The limited parse: keep 1-4 from the output's length, --exact for the first hit's name on odd lengths.
    ParseLimit limit;
    limit.keep = 1 + output.size() % 4;
    if (output.size() % 2 == 1 && !parsed.hits.empty()) {
        limit.query = {parsed.hits.front().name, MatchMode::exact, 0};
    }
    ParsedSearch capped = parser(output, limit);
    SearchQuery reference = limit.query;
    std::vector<SearchHit> want = filter_hits(parsed.hits, reference);
    reference.limit = limit.keep;
    std::vector<SearchHit> kept = filter_hits(parsed.hits, reference);
    if (capped.matched != want.size() || capped.hits.size() != kept.size() || capped.error != parsed.error) {
        __builtin_trap();
    }
    for (std::size_t i = 0; i < kept.size(); ++i) {
        if (!same_hit(capped.hits[i], kept[i])) {
            __builtin_trap();
        }
    }
    return 0;
}
