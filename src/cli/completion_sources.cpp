#include <array>

#include "cli/completion.hpp"
#include "pkg/search_backends.hpp"

namespace zsyncctl::cli {

namespace {

std::vector<std::string> shell_names(Context&) {
    std::vector<std::string> out;
    for (std::string_view s : completion_shells()) {
        out.emplace_back(s);
    }
    return out;
}

std::vector<std::string> search_managers(Context&) {
    std::vector<std::string> out;
    for (const pkg::SearchBackend& backend : pkg::search_backends()) {
        out.emplace_back(backend.manager);
    }
    return out;
}

// The named value sources behind `zsyncctl __complete <kind>`, one line each. A command attaches one to an
// option or positional with complete_with(option, "<kind>").
constexpr std::array k_value_sources{
    ValueSource{"shells", "shells `zsyncctl completion` writes scripts for", &shell_names},
    ValueSource{"search-managers", "managers `pkg search --manager` accepts", &search_managers},
};

} // namespace

std::span<const ValueSource> value_sources() {
    return k_value_sources;
}

} // namespace zsyncctl::cli
