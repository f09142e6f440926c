// libFuzzer target: every manager's search-output parser. Input: "<parser id>\n<output>"; an unknown id
// picks a parser by hash, so mutations of the first line still reach all of them.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "pkg/search/parsers/search_parsers.hpp"
#include "util/strings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::size_t nl = input.find('\n');
    std::string_view id = nl == std::string_view::npos ? input : input.substr(0, nl);
    std::string_view output = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);
    auto parser = zsyncctl::pkg::find_search_parser(id);
    if (parser == nullptr) {
        auto ids = zsyncctl::pkg::search_parser_ids();
        parser = zsyncctl::pkg::find_search_parser(ids[std::hash<std::string_view>{}(id) % ids.size()]);
    }
    zsyncctl::pkg::ParsedSearch parsed = parser(output);
    for (const auto& hit : parsed.hits) {
        // Parsers promise valid UTF-8 in everything they store.
        if (!zsyncctl::util::is_valid_utf8(hit.name) || !zsyncctl::util::is_valid_utf8(hit.version) ||
            !zsyncctl::util::is_valid_utf8(hit.description)) {
            __builtin_trap();
        }
    }
    return 0;
}
