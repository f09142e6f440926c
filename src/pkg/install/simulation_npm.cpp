#include "pkg/install/simulation_npm.hpp"

#include <string>
#include <vector>

#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// The space-separated words of a line.
std::vector<std::string_view> words_of(std::string_view line) {
    std::vector<std::string_view> out;
    for (std::string_view w : util::split(line, ' ')) {
        if (!w.empty()) {
            out.push_back(w);
        }
    }
    return out;
}

} // namespace

void parse_npm_dry_run(std::string_view out, SimulationResult& result) {
    // npm/cli lib/utils/reify-output.js, dry run: one line per diff entry, "ACTION NAME VERSION" with
    // "OLD => NEW" for a change. Names never contain spaces (npm refuses them), versions neither.
    for (std::string_view line : util::split_lines(out)) {
        auto w = words_of(util::trim(line));
        if (w.size() == 3 && w[0] == "add") {
            result.transaction.install.push_back({std::string(w[1]), std::string(w[2]), {}});
        } else if (w.size() == 3 && w[0] == "remove") {
            result.transaction.remove.push_back({std::string(w[1]), {}, std::string(w[2])});
        } else if (w.size() == 5 && w[0] == "change" && w[3] == "=>") {
            result.transaction.upgrade.push_back({std::string(w[1]), std::string(w[4]), std::string(w[2])});
        }
    }
}

} // namespace zsyncctl::pkg
