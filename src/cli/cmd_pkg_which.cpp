#include "cli/cli11.hpp"

#include <algorithm>
#include <memory>

#include "cli/cmd_pkg_list_report.hpp"
#include "pkg/registry/registry.hpp"
#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

nlohmann::json which_resolution_json(const pkg::CommandResolution& which) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& s : which.steps) {
        steps.push_back(util::sanitize_terminal(s));
    }
    auto or_null = [](const std::string& text) {
        return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(util::sanitize_terminal(text));
    };
    return {{"found", or_null(which.found)},
            {"on_path", which.on_path},
            {"steps", std::move(steps)},
            {"shim", or_null(which.shim)},
            {"note", or_null(which.note)}};
}

void print_which_report(const Output& out, const std::vector<pkg::InventoryReport>& reports,
                        const pkg::CommandResolution& which) {
    // What the shell runs, when that took a PATH search, a link or a shim to know.
    if (!which.steps.empty() && (which.steps.size() > 1 || which.query.find('/') == std::string::npos)) {
        std::string line = util::sanitize_terminal(which.query) + ": ";
        for (std::size_t i = 0; i < which.steps.size(); ++i) {
            if (i > 0) {
                line += " -> ";
            }
            if (i > 0 && i == which.shim_step) {
                line += which.shim + " -> ";
            }
            line += util::sanitize_terminal(which.steps[i]);
        }
        out.line(line);
    }
    if (!which.note.empty()) {
        out.info(util::sanitize_terminal(which.query) + ": " + which.note);
    }
    if (which.found.empty()) {
        out.info(util::sanitize_terminal(which.query) + ": not found on PATH");
    }
    std::size_t owners = 0;
    for (const auto& r : reports) {
        owners += r.owners.size();
    }
    // The answer: the owners, per manager.
    std::vector<std::string> nothing;
    for (const auto& r : reports) {
        if (r.status != pkg::InventoryStatus::ok) {
            continue;
        }
        if (!r.owners.empty()) {
            // One line per package: the paths of it on the way (nodejs ships the link and its target).
            std::vector<std::pair<std::string, std::string>> lines;
            for (const auto& f : r.owners) {
                auto it = std::find_if(lines.begin(), lines.end(),
                                       [&](const auto& l) { return l.first == f.package; });
                if (it == lines.end()) {
                    lines.emplace_back(f.package, f.path);
                } else {
                    it->second += ", " + f.path;
                }
            }
            out.line(out.paint(r.manager, Color::bold) + " (" + std::to_string(lines.size()) +
                     (lines.size() == 1 ? " package)" : " packages)"));
            for (const auto& [package, paths] : lines) {
                out.line("  " + package + ": " + paths);
            }
        } else if (owners == 0 && !r.providers.empty()) {
            out.line(out.paint(r.manager, Color::bold) + ": no installed package ships it");
            for (const auto& f : r.providers) {
                out.line("  could be installed from " +
                         (f.repository.empty() ? std::string("?") : f.repository) + ": " + f.package + ": " +
                         f.path);
            }
        } else {
            nothing.push_back(r.manager);
        }
    }
    // Nobody owns it: every manager that was asked says so, in one line. Somebody does: the others only
    // with -v.
    if (!nothing.empty() && owners == 0) {
        out.line(util::join(nothing, ", ") + ": no installed package ships it");
    } else if (!nothing.empty() && out.verbosity() > 0) {
        out.info("no installed package of " + util::join(nothing, ", ") + " ships it");
    }
    if (out.reader_gone()) {
        return; // the reader left (| head -1): no notes after the answer
    }
    std::vector<std::string> unsupported;
    for (const auto& r : reports) {
        if (out.verbosity() > 0) {
            char ms[32];
            std::snprintf(ms, sizeof ms, "%.3fs", static_cast<double>(r.elapsed_ms) / 1000.0);
            out.info(r.manager + ": native reader [" + std::string(pkg::to_string(r.status)) + ", " + ms +
                     "]");
        }
        if (r.status == pkg::InventoryStatus::unsupported && out.verbosity() == 0) {
            // dpkg after apt, rpm after dnf: the same database, already read.
            if (!read_by_another(r, reports)) {
                unsupported.push_back(r.manager);
            }
        } else if (r.status != pkg::InventoryStatus::ok) {
            out.info(inventory_status_line(r));
        } else if (!r.note.empty() && (owners == 0 || out.verbosity() > 0)) {
            out.info(r.manager + ": " + r.note);
        }
    }
    if (!unsupported.empty() && owners == 0) {
        out.info("not read yet: " + util::join(unsupported, ", ") + " (-v says why)");
    }
    if (reports.empty()) {
        out.warning("no package manager was found");
    }
}

void register_pkg_which(CLI::App& pkg, Context& context) {
    auto options = std::make_shared<InventoryOptions>();
    auto* cmd = add_inventory_command(pkg, context, pkg::InventoryKind::which, "which",
                                      "Which installed package ships a command or a file",
                                      "A command is resolved as the shell would run it: the first "
                                      "executable on PATH (then the standard directories), symbolic "
                                      "links followed, a pyenv shim resolved to the program pyenv "
                                      "selects; every file on the way is looked up.\n"
                                      "apt/dpkg: dpkg's file lists (/var/lib/dpkg/info/*.list), exact paths "
                                      "as dpkg -S matches them (and their merged-/usr twin); pacman: the "
                                      "local db's files (pacman -Qo); dnf/yum/zypper: the rpm database "
                                      "(rpm -qf); npm: the global package under the prefix's "
                                      "lib/node_modules a bin link leads into (npm ls -g); pip: the "
                                      "dist-info RECORD that lists the script, in the environment its "
                                      "#! line names (pip show -f); cargo: .crates2.json's binaries in "
                                      "the install root's bin (cargo install --list). Nothing is run.\n"
                                      "When no installed package ships it: the packages that "
                                      "could be installed from apt's Contents indexes (apt-file's "
                                      "/var/lib/apt/lists/*_Contents-*) or pacman's file databases "
                                      "(zsyncctl pkg refresh -m pacman), shown apart ('could be installed "
                                      "from', JSON \"providers\"). The managers that own nothing are named "
                                      "only then, or with -v; --json has every manager's status.\n"
                                      "Exit status: 0 found, 1 no installed package ships it (even when one "
                                      "could be installed),\n2 usage error, 3 a manager could not be read, "
                                      "130/143/129/131 stopped by\nSIGINT/SIGTERM/SIGHUP/SIGQUIT, 141 the "
                                      "reader of stdout left.",
                                      options);
    cmd->add_option("query", options->query,
                    "A path (/usr/bin/ls) or a command name, looked up on PATH (under --root: "
                    "/usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin and /bin)")
        ->required();
}

} // namespace zsyncctl::cli
