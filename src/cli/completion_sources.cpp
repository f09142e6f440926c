#include <array>

#include "cli/completion.hpp"
#include "doctor/doctor.hpp"
#include "pkg/registry/registry.hpp"
#include "pkg/search/search.hpp"

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
    for (const pkg::Manager* m : pkg::search_managers()) {
        out.emplace_back(m->id);
    }
    return out;
}

std::vector<std::string> registry_manager_ids(Context&) {
    std::vector<std::string> out;
    for (const pkg::Manager& m : pkg::registry()) {
        out.emplace_back(m.id);
    }
    return out;
}

std::vector<std::string> doctor_checks(Context&) {
    std::vector<std::string> out;
    for (const doctor::CheckInfo& c : doctor::check_catalog()) {
        out.emplace_back(c.id);
    }
    return out;
}

// The named value sources behind `zsyncctl __complete <kind>`, one line each. A command attaches one to an
// option or positional with complete_with(option, "<kind>").
constexpr std::array k_value_sources{
    ValueSource{"shells", "shells `zsyncctl completion` writes scripts for", &shell_names},
    ValueSource{"search-managers", "managers `pkg search --manager` accepts", &search_managers},
    ValueSource{"managers", "every manager id in the registry", &registry_manager_ids},
    ValueSource{"doctor-checks", "doctor check ids", &doctor_checks},
};

} // namespace

std::span<const ValueSource> value_sources() {
    return k_value_sources;
}

} // namespace zsyncctl::cli
