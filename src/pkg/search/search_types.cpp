#include "pkg/search/search_types.hpp"

#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {
bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i];
        char y = b[i];
        if (x >= 'A' && x <= 'Z') {
            x = static_cast<char>(x - 'A' + 'a');
        }
        if (y >= 'A' && y <= 'Z') {
            y = static_cast<char>(y - 'A' + 'a');
        }
        if (x != y) {
            return false;
        }
    }
    return true;
}
} // namespace

bool query_matches(const SearchQuery& query, std::string_view name, std::string_view description) {
    if (query.mode == MatchMode::exact) {
        return iequals(name, query.text);
    }
    return util::icontains(name, query.text) || util::icontains(description, query.text);
}

} // namespace zsyncctl::pkg
