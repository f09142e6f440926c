#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "pkg/search/parsers/search_parsers.hpp"

using namespace zsyncctl;
using namespace zsyncctl::pkg;

namespace {
// name|version|description of each hit.
std::vector<std::string> hits_of(std::string_view id, std::string_view doc, std::size_t keep = 0) {
    ParsedSearch got = find_search_parser(id)(doc, {{}, keep});
    CHECK_FALSE(got.error.has_value());
    std::vector<std::string> out;
    for (const auto& h : got.hits) {
        out.push_back(h.name + "|" + h.version + "|" + h.description);
    }
    return out;
}
} // namespace

TEST_CASE("npm and nix JSON read record by record as the document tree reads them") {
    // Numbers as dumped, null and containers as empty, a repeated key's last value, records without a
    // name and elements that are no object skipped.
    CHECK(hits_of("npm-json",
                  R"([{"name":"a","version":1.5,"description":null},{"version":"2"},)"
                  R"({"name":"b","name":"c","description":{"x":[1,{"y":2}]},"version":"3"},5,[1]])") ==
          std::vector<std::string>{"a|1.5|", "c|3|"});
    // Keys ascending: streamed; a value that is no object skipped; no pname: the attribute's last part.
    CHECK(hits_of("nix-json", R"({"a.p":{"pname":"p","description":"d"},"b":3,"c.z":{"version":"1"}})") ==
          std::vector<std::string>{"p||d", "z|1|"});
    // Keys out of order or repeated: the tree's order (sorted) and its last value, as before streaming.
    CHECK(hits_of("nix-json", R"({"b.x":{"pname":"b"},"a.y":{"version":"1"}})") ==
          std::vector<std::string>{"y|1|", "b||"});
    CHECK(hits_of("nix-json", R"({"a.x":{"pname":"first"},"a.x":{"pname":"second"}})") ==
          std::vector<std::string>{"second||"});
    // The cap: the first `keep` built, the rest counted.
    ParsedSearch capped =
        find_search_parser("npm-json")(R"([{"name":"a"},{"name":"b"},{"name":"c"}])", {{}, 2});
    CHECK(capped.hits.size() == 2);
    CHECK(capped.matched == 3);
}
