#include "pkg/search/search_types.hpp"

#include "util/strings.hpp"

namespace zsyncctl::pkg {

bool query_matches(const SearchQuery& query, std::string_view name, std::string_view description) {
    if (query.mode == MatchMode::exact) {
        return util::iequals(name, query.text);
    }
    return util::icontains(name, query.text) || util::icontains(description, query.text);
}

} // namespace zsyncctl::pkg
