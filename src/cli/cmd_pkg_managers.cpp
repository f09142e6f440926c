#include "cli/cli11.hpp"
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "cli/context.hpp"
#include "cli/documents.hpp"
#include "cli/json.hpp"
#include "cli/json_writer.hpp"
#include "cli/terminal.hpp"
#include "pkg/detect/detect.hpp"
#include "pkg/detect/version_probe.hpp"
#include "pkg/registry/registry.hpp"

namespace zsyncctl::cli {

namespace {

struct ManagersOptions {
    bool all = false;
    bool versions = false;
    double timeout_seconds = 10.0;
};

std::string_view privilege_name(pkg::InstallPrivilege privilege) {
    switch (privilege) {
    case pkg::InstallPrivilege::root:
        return "root";
    case pkg::InstallPrivilege::user:
        return "user";
    case pkg::InstallPrivilege::polkit:
        return "polkit";
    }
    return "root";
}

// Members every entry has, detected or not. Each object's keys are written in byte order (json_text's
// std::map order).
void write_privilege_to_lock(JsonWriter& w, const pkg::Manager& m) {
    w.member("install_privilege", privilege_name(m.install_privilege));
    w.member("kind", pkg::to_string(m.kind));
    w.key("lock_group");
    w.string_or_null(m.lock_group);
}

void write_platforms(JsonWriter& w, const pkg::Manager& m) {
    w.key("platforms");
    w.begin_array();
    for (auto name : pkg::platform_names(m.platforms)) {
        w.value(name);
    }
    w.end_array();
}

std::string render_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        widths.resize(std::max(widths.size(), row.size()), 0);
        for (std::size_t i = 0; i < row.size(); ++i) {
            widths[i] = std::max(widths[i], display_width(row[i]));
        }
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += i + 1 == row.size() ? row[i] : pad(row[i], widths[i] + 2);
        }
        while (!line.empty() && line.back() == ' ') {
            line.pop_back();
        }
        out += line + "\n";
    }
    return out;
}

} // namespace

std::string managers_text(const pkg::Detection& detection, const std::vector<pkg::VersionResult>& versions,
                          bool all) {
    std::string out;
    out.reserve(512 * (detection.managers.size() + 1));
    JsonWriter w(out);
    w.begin_array();
    for (std::size_t i = 0; i < detection.managers.size(); ++i) {
        const auto& d = detection.managers[i];
        const pkg::Manager& m = *d.manager;
        w.begin_object();
        w.member("detected", true);
        w.member("display_name", m.display_name);
        w.key("evidence");
        w.begin_array();
        for (const auto& e : d.evidence) {
            w.value(e.describe());
        }
        w.end_array();
        write_privilege_to_lock(w, m);
        w.key("mismatch");
        w.string_or_null(d.mismatch);
        w.member("name", m.id);
        w.member("needs_root", m.install_privilege == pkg::InstallPrivilege::root);
        w.key("path");
        w.string_or_null(d.executable);
        write_platforms(w, m);
        w.member("preferred", d.preferred);
        w.key("prefix");
        w.string_or_null(d.prefix);
        if (i < versions.size()) {
            const auto& v = versions[i];
            w.member("version", v.version);
            w.key("version_error");
            v.error ? w.value(v.error->message) : w.null();
            w.member("version_ms", v.elapsed.count());
            w.key("version_output");
            w.string_or_null(v.raw);
        } else {
            w.key("version");
            w.null();
        }
        w.end_object();
    }
    if (all) {
        std::uint32_t os_bit = pkg::platform_bit(detection.os);
        for (const auto& m : pkg::registry()) {
            if (!detection.find(m.id).empty()) {
                continue;
            }
            w.begin_object();
            w.member("available_on_os", os_bit == 0 || (m.platforms & os_bit) != 0);
            w.member("detected", false);
            w.member("display_name", m.display_name);
            write_privilege_to_lock(w, m);
            w.member("name", m.id);
            w.member("needs_root", m.install_privilege == pkg::InstallPrivilege::root);
            w.key("path");
            w.null();
            write_platforms(w, m);
            w.key("prefix");
            w.null();
            w.key("version");
            w.null();
            w.end_object();
        }
    }
    w.end_array();
    return out;
}

nlohmann::json managers_document(const pkg::Detection& detection,
                                 const std::vector<pkg::VersionResult>& versions, bool all) {
    // Serve's /v1/managers takes a tree: the text `pkg managers --json` prints, read back.
    return nlohmann::json::parse(managers_text(detection, versions, all));
}

namespace {

ExitCode run_managers(Context& context, const ManagersOptions& options) {
    if (!(options.timeout_seconds > 0) || options.timeout_seconds > 600 ||
        std::isnan(options.timeout_seconds)) {
        raise_usage("--timeout must be more than 0 and at most 600 seconds", "for example: --timeout 5");
    }
    auto detect_context = pkg::DetectContext::current(context.root());
    auto detection = pkg::detect_managers(detect_context,
                                          context.options.no_cache ? pkg::UseCache::no : pkg::UseCache::yes);

    std::vector<pkg::VersionResult> versions;
    if (options.versions && !detection.managers.empty()) {
        auto timeout = std::chrono::milliseconds(static_cast<long long>(options.timeout_seconds * 1000));
        versions = pkg::probe_versions(context.runtime(), detect_context, detection.managers, timeout);
    }
    std::uint32_t os_bit = pkg::platform_bit(detection.os);
    if (context.out.verbosity() > 0) { // evidence on stderr, in text and JSON modes alike
        for (const auto& d : detection.managers) {
            for (const auto& e : d.evidence) {
                context.out.info(std::string(d.manager->id) + ": " + e.describe());
            }
        }
        for (const auto& r : detection.rejected) {
            context.out.info("ignored " + r.path + ": " + r.reason);
        }
        context.out.info(detection.from_cache ? "detection: from cache" : "detection: fresh");
    }

    if (context.out.json()) {
        context.out.line(managers_text(detection, versions, options.all));
        return ExitCode::success;
    }

    // PATH, the one long column, comes last: on a narrow terminal only it wraps, not the columns after it.
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> header{"MANAGER", "KIND", "LOCK"};
    if (options.versions) {
        header.push_back("VERSION");
    }
    header.push_back("PATH");
    if (options.all) {
        header.insert(header.begin() + 1, "STATUS");
    }
    rows.push_back(header);
    std::vector<std::string> notes;
    for (std::size_t i = 0; i < detection.managers.size(); ++i) {
        const auto& d = detection.managers[i];
        std::string name(d.manager->id);
        if (!d.mismatch.empty()) {
            name += " (!)";
            notes.push_back(std::string(d.manager->id) + " " + d.prefix + ": " + d.mismatch);
        } else if (!d.preferred) {
            name += " (2nd)";
        }
        std::vector<std::string> row{name, std::string(pkg::to_string(d.manager->kind)),
                                     d.manager->lock_group.empty() ? "-"
                                                                   : std::string(d.manager->lock_group)};
        if (options.versions) {
            const auto& v = versions[i];
            if (v.version) {
                row.push_back(*v.version);
            } else {
                row.push_back("? (" + (v.error ? v.error->message : std::string("unknown")) + ")");
            }
        }
        row.push_back(d.executable.empty() ? d.prefix : d.executable);
        if (options.all) {
            row.insert(row.begin() + 1, "found");
        }
        rows.push_back(std::move(row));
    }
    if (options.all) {
        for (const auto& m : pkg::registry()) {
            if (!detection.find(m.id).empty()) {
                continue;
            }
            bool available = os_bit == 0 || (m.platforms & os_bit) != 0;
            std::vector<std::string> row{std::string(m.id), available ? "not found" : "other OS",
                                         std::string(pkg::to_string(m.kind)),
                                         m.lock_group.empty() ? "-" : std::string(m.lock_group)};
            if (options.versions) {
                row.push_back("-");
            }
            row.push_back("-");
            rows.push_back(std::move(row));
        }
    }
    if (rows.size() == 1) {
        context.out.line("No package managers detected.");
    } else {
        context.out.print(render_table(rows));
    }
    for (const auto& note : notes) {
        context.out.warning(note);
    }
    if (detection.homebrew.multiple()) {
        context.out.warning(
            "several Homebrew installations: " + std::to_string(detection.homebrew.installs.size()) +
            " prefixes; the preferred one is listed first");
    }
    return ExitCode::success;
}

} // namespace

void register_pkg_managers(CLI::App& pkg, Context& context) {
    auto options = std::make_shared<ManagersOptions>();
    auto* cmd = pkg.add_subcommand("managers", "List the package managers detected on this machine");
    cmd->add_flag("--all", options->all, "List the whole registry with found / not found");
    cmd->add_flag(
        "--versions", options->versions,
        "Run each manager's version command (concurrently; under --root, read the package databases)");
    cmd->add_option("--timeout", options->timeout_seconds, "Deadline for the version commands, in seconds")
        ->option_text("SECONDS (default 10)");
    cmd->final_callback([&context, options] {
        context.set_action([&context, options] { return run_managers(context, *options); });
    });
}

} // namespace zsyncctl::cli
