#include "core/combinators.hpp"

namespace zsyncctl::core {

util::Error combine_errors(std::string_view what,
                           const std::vector<std::pair<std::size_t, util::Error>>& errors) {
    util::Error combined;
    combined.kind = errors.empty() ? util::ErrorKind::internal : errors.front().second.kind;
    combined.message = std::string(what);
    for (const auto& [index, error] : errors) {
        combined.message += "; [" + std::to_string(index) + "] " + error.message;
    }
    if (!errors.empty()) {
        combined.hint = errors.front().second.hint;
        combined.code = errors.front().second.code;
    }
    return combined;
}

} // namespace zsyncctl::core
