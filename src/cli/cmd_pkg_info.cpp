#include "cli/cli11.hpp"
#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <iterator>
#include <memory>
#include <string>

#include "cli/cmd_pkg_list_report.hpp"
#include "cli/json.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

nlohmann::json text_or_null(const std::string& text) {
    return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

nlohmann::json size_or_null(std::int64_t size) {
    return size < 0 ? nlohmann::json(nullptr) : nlohmann::json(size);
}

nlohmann::json info_json(const pkg::PackageInfo& i) {
    return {{"manager", i.manager},
            {"name", i.name},
            {"architecture", text_or_null(i.architecture)},
            {"installed_version", text_or_null(i.installed)},
            {"candidate", text_or_null(i.candidate)},
            {"description", text_or_null(i.description)},
            {"repository", text_or_null(i.repository)},
            {"installed_size", size_or_null(i.installed_size)},
            {"download_size", size_or_null(i.download_size)},
            {"held", i.held},
            {"reason", std::string(pkg::to_string(i.reason))}};
}

// "4.0 KiB" for 4096: binary units, one decimal from KiB on.
std::string human_size(std::int64_t bytes) {
    if (bytes < 1024) {
        return std::to_string(bytes) + " B";
    }
    const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes) / 1024.0;
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < std::size(units)) {
        value /= 1024.0;
        ++unit;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f %s", value, units[unit]);
    return buf;
}

void print_info_text(const Output& out, const pkg::PackageInfo& i) {
    std::string title =
        i.manager + ": " + i.name + (i.architecture.empty() ? "" : " (" + i.architecture + ")");
    out.line(title);
    std::string installed = i.installed.empty() ? "not installed" : i.installed;
    if (!i.installed.empty()) {
        installed +=
            std::string(" (") + std::string(pkg::to_string(i.reason)) + (i.held ? ", held" : "") + ")";
    }
    out.line("  installed:   " + installed);
    out.line("  candidate:   " + (i.candidate.empty() ? std::string("none") : i.candidate));
    if (!i.description.empty()) {
        out.line("  description: " + i.description);
    }
    if (!i.repository.empty()) {
        out.line("  repository:  " + i.repository);
    }
    std::string size;
    if (i.installed_size >= 0) {
        size = human_size(i.installed_size) + " installed";
    }
    if (i.download_size >= 0) {
        size += (size.empty() ? "" : ", ") + human_size(i.download_size) + " download";
    }
    if (!size.empty()) {
        out.line("  size:        " + size);
    }
}

nlohmann::json info_status_json(const pkg::InventoryReport& r) {
    return nlohmann::json{{"name", r.manager},
                          {"status", std::string(pkg::to_string(r.status))},
                          {"count", r.info.size()},
                          {"elapsed_ms", r.elapsed_ms},
                          {"error", text_or_null(r.error)},
                          {"hint", text_or_null(r.hint)},
                          {"note", text_or_null(r.note)}};
}

} // namespace

nlohmann::json info_document(const std::vector<pkg::InventoryReport>& reports, const std::string& query) {
    nlohmann::json doc{{"schema_version", k_inventory_schema_version},
                       {"command", "info"},
                       {"query", query},
                       {"packages", nlohmann::json::array()},
                       {"managers", nlohmann::json::array()}};
    for (const auto& r : reports) {
        for (const auto& i : r.info) {
            doc["packages"].push_back(info_json(i));
        }
        doc["managers"].push_back(info_status_json(r));
    }
    return doc;
}

ExitCode print_info_report(Context& context, const std::vector<pkg::InventoryReport>& reports, bool named,
                           const InventoryOptions& options) {
    const Output& out = context.out;
    std::size_t found = 0;
    bool incomplete = reports.empty();
    // A note of a manager that does not know the name ("nothing is installed with cargo") answers nothing
    // the user asked when another manager knows it: such notes wait, and are printed only when no manager
    // knew the name (they may say why), the manager was named with -m, or with -v.
    std::vector<std::string> held_notes;
    for (const auto& r : reports) {
        found += r.info.size();
        incomplete = incomplete || r.status == pkg::InventoryStatus::error ||
                     r.status == pkg::InventoryStatus::cancelled ||
                     (named && r.status != pkg::InventoryStatus::ok);
        for (const auto& i : r.info) {
            if (options.json_lines) {
                nlohmann::json j = info_json(i);
                j["type"] = "package";
                out.line(json_text(j, JsonLayout::line));
            } else if (!out.json()) {
                print_info_text(out, i);
            }
        }
        if (options.json_lines) {
            nlohmann::json s = info_status_json(r);
            s["type"] = "status";
            s["manager"] = r.manager;
            s.erase("name");
            s["schema_version"] = k_inventory_schema_version;
            out.line(json_text(s, JsonLayout::line));
        } else if (out.reader_gone()) {
            continue; // the reader left (| head -1): no notes after the answer
        } else if (!out.json() && (r.status == pkg::InventoryStatus::error ||
                                   (named && r.status != pkg::InventoryStatus::ok))) {
            out.warning(r.manager + ": " + r.error + (r.hint.empty() ? "" : " (" + r.hint + ")"));
        } else if (!out.json() && !r.note.empty()) {
            if (!r.info.empty() || named || out.verbosity() > 0) {
                out.info(r.manager + ": " + r.note); // e.g. a pin zsyncctl cannot apply
            } else {
                held_notes.push_back(r.manager + ": " + r.note);
            }
        }
    }
    if (out.json() && !options.json_lines) {
        out.line(json_text(info_document(reports, options.query)));
    } else if (!out.json() && !options.json_lines && found == 0 && !out.reader_gone()) {
        for (const auto& note : held_notes) {
            out.info(note);
        }
        out.info("no package manager here knows " + util::sanitize_for_display(options.query));
    }
    out.flush();
    if (out.reader_gone()) {
        return ExitCode::reader_gone;
    }
    if (context.runtime().token().is_cancelled()) {
        return ExitCode::interrupted;
    }
    if (incomplete && found == 0) {
        return ExitCode::no_answer;
    }
    return found > 0 ? ExitCode::success : ExitCode::failure;
}

void register_pkg_info(CLI::App& pkg, Context& context) {
    auto options = std::make_shared<InventoryOptions>();
    auto* cmd = add_inventory_command(
        pkg, context, pkg::InventoryKind::info, "info",
        "One package per manager: installed and candidate versions, description, repository, size",
        "apt/dpkg: dpkg's status and the configured apt lists (the candidate as pkg outdated picks it); "
        "pacman: the local db and the first sync db that has it (read from the databases, nothing is run); "
        "zypper: zypper --no-refresh --xmlout info; pip and gem: their METADATA or gemspec (version, "
        "summary), the candidate from their outdated check (pip list --outdated, gem outdated). Nothing is "
        "refreshed.\n"
        "Exit status: 0 found, 1 no manager knows it, 2 usage error, 3 a manager could not be read,\n"
        "130/143/129/131 stopped by SIGINT/SIGTERM/SIGHUP/SIGQUIT, 141 the reader of stdout left.",
        options);
    cmd->add_option("name", options->query, "The package's name")->required();
}

} // namespace zsyncctl::cli
