#include "pkg/install/simulation_apk.hpp"

#include "util/strings.hpp"

namespace zsyncctl::pkg {

void parse_apk_simulation(std::string_view out, SimulationResult& result) {
    bool in_error = false;
    for (std::string_view line : util::split_lines(out)) {
        if (line.starts_with("ERROR: ") || (in_error && line.starts_with(" "))) {
            in_error = true;
            result.messages.emplace_back(util::trim(line));
            continue;
        }
        in_error = false;
        // "(i/n) VERB NAME[@TAG] (VER)" or "(i/n) VERB NAME[@TAG] (OLD -> NEW)".
        if (!line.starts_with("(")) {
            continue;
        }
        std::size_t close = line.find(") ");
        if (close == std::string_view::npos ||
            line.substr(1, close - 1).find('/') == std::string_view::npos) {
            continue;
        }
        std::string_view rest = line.substr(close + 2);
        std::size_t open = rest.rfind(" (");
        if (open == std::string_view::npos || !rest.ends_with(")")) {
            continue;
        }
        std::string_view versions = rest.substr(open + 2, rest.size() - open - 3);
        std::string_view head = rest.substr(0, open);
        std::size_t space = head.rfind(' ');
        if (space == std::string_view::npos) {
            continue;
        }
        std::string_view verb = head.substr(0, space);
        std::string_view name = head.substr(space + 1);
        name = name.substr(0, name.find('@'));
        TransactionPackage p;
        p.name = std::string(name);
        std::size_t arrow = versions.find(" -> ");
        if (arrow != std::string_view::npos) {
            p.old_version = std::string(versions.substr(0, arrow));
            p.version = std::string(versions.substr(arrow + 4));
        } else {
            p.version = std::string(versions);
        }
        if (verb == "Installing") {
            result.transaction.install.push_back(std::move(p));
        } else if (verb == "Purging") {
            p.old_version = std::move(p.version);
            p.version.clear();
            result.transaction.remove.push_back(std::move(p));
        } else if ((verb == "Upgrading" || verb == "Downgrading" || verb == "Replacing") &&
                   !p.old_version.empty()) {
            result.transaction.upgrade.push_back(std::move(p));
        }
    }
}

} // namespace zsyncctl::pkg
