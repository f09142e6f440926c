#include "pkg/inventory/npm_global.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <system_error>

#include <nlohmann/json.hpp>

#include "core/process.hpp"
#include "pkg/inventory/manager_command.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

using Json = nlohmann::json;

// The string at `key` of an object, or empty.
std::string string_at(const Json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The entry names of a directory inside the root, sorted; empty when it is missing.
util::Result<std::vector<std::string>> entries_of(const util::Root& root, const std::string& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    std::filesystem::directory_iterator it(root.resolve(dir), ec);
    if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory) {
        return names;
    }
    if (ec) {
        return util::fail(ec == std::errc::permission_denied ? util::ErrorKind::permission_denied
                                                             : util::ErrorKind::io,
                          "cannot read " + dir + ": " + ec.message());
    }
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (!name.empty() && name.front() != '.') {
            names.push_back(std::move(name));
        }
    }
    if (ec) {
        return util::fail(util::ErrorKind::io, "cannot read " + dir + ": " + ec.message());
    }
    std::sort(names.begin(), names.end());
    return names;
}

// One package directory: its package.json's name and version, or nothing when it has none.
void read_package(const util::Root& root, const std::string& dir, const std::string& dir_name,
                  std::vector<InstalledPackage>& out) {
    auto text = root.read(dir + "/package.json", 4u << 20);
    if (!text) {
        return;
    }
    Json doc = Json::parse(*text, nullptr, false);
    if (!doc.is_object()) {
        return;
    }
    std::string version = string_at(doc, "version");
    if (version.empty()) {
        return;
    }
    InstalledPackage p;
    p.name = string_at(doc, "name");
    if (p.name.empty()) {
        p.name = dir_name;
    }
    p.version = std::move(version);
    p.state = "installed";
    p.reason = InstallReason::explicit_install; // a global package is one the user asked for
    out.push_back(std::move(p));
}

// True when NAME is one directory entry ("name") or a scoped pair ("@scope/name") of node_modules: no
// "." or ".." part, nothing that leaves the directory.
bool is_module_name(std::string_view name) {
    auto slash = name.find('/');
    auto part_ok = [](std::string_view part) {
        return !part.empty() && part != "." && part != "..";
    };
    if (slash == std::string_view::npos) {
        return part_ok(name);
    }
    return name.front() == '@' && part_ok(name.substr(0, slash)) && part_ok(name.substr(slash + 1)) &&
           name.find('/', slash + 1) == std::string_view::npos;
}

} // namespace

void mark_npm_links(const std::string& prefix, std::vector<OutdatedPackage>& outdated) {
    std::string modules = prefix + (prefix.ends_with('/') ? "" : "/") + "lib/node_modules/";
    for (OutdatedPackage& o : outdated) {
        std::error_code ec;
        if (is_module_name(o.name) && std::filesystem::is_symlink(modules + o.name, ec)) {
            o.skip_reason = "linked";
        }
    }
}

util::Result<std::vector<InstalledPackage>> read_npm_global(const util::Root& root, const std::string& prefix,
                                                            const core::CancellationToken& token) {
    std::string modules = prefix + (prefix.ends_with('/') ? "" : "/") + "lib/node_modules";
    auto top = entries_of(root, modules);
    if (!top) {
        return util::fail(top.error());
    }
    std::vector<InstalledPackage> out;
    for (const auto& name : *top) {
        if (token.is_cancelled()) {
            return util::fail(util::ErrorKind::cancelled, "cancelled");
        }
        if (name.front() != '@') {
            read_package(root, modules + "/" + name, name, out);
            continue;
        }
        auto scoped = entries_of(root, modules + "/" + name);
        if (!scoped) {
            return util::fail(scoped.error());
        }
        for (const auto& inner : *scoped) {
            read_package(root, modules + "/" + name + "/" + inner, name + "/" + inner, out);
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

util::Result<std::vector<OutdatedPackage>> parse_npm_outdated(const std::string& json) {
    // npm prints nothing at all (not "{}") for nothing outdated in some versions.
    if (util::trim(json).empty()) {
        return std::vector<OutdatedPackage>{};
    }
    Json doc = Json::parse(json, nullptr, false);
    if (!doc.is_object()) {
        return util::fail(util::ErrorKind::parse, "npm outdated --json printed no JSON object");
    }
    if (auto error = doc.find("error"); error != doc.end() && error->is_object()) {
        std::string summary = string_at(*error, "summary");
        std::string code = string_at(*error, "code");
        return util::fail(util::ErrorKind::command_failed, "npm outdated failed" +
                                                               (code.empty() ? "" : " (" + code + ")") +
                                                               (summary.empty() ? "" : ": " + summary));
    }
    std::vector<OutdatedPackage> out;
    for (const auto& [name, entry] : doc.items()) {
        if (!entry.is_object()) {
            return util::fail(util::ErrorKind::parse, "npm outdated --json: '" + name + "' is not an object");
        }
        OutdatedPackage o;
        o.name = name;
        o.installed = string_at(entry, "current");
        o.candidate = string_at(entry, "latest");
        if (o.candidate.empty()) {
            o.candidate = string_at(entry, "wanted");
        }
        out.push_back(std::move(o));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    return out;
}

util::Result<std::vector<OutdatedPackage>> npm_outdated(const Manager& manager, const std::string& executable,
                                                        const std::string& prefix,
                                                        const core::CancellationToken& token) {
    core::ProcessSpec spec;
    spec.argv = {executable,  "outdated",  "--global", "--json", "--prefix", prefix, "--no-update-notifier",
                 "--no-fund", "--no-audit"};
    spec.set_env("LC_ALL", "C");
    spec.timeout = std::chrono::minutes(5);
    std::vector<std::string> argv = spec.argv;
    auto ran = run_manager_command(std::move(spec), "npm outdated", token);
    if (!ran) {
        return util::fail(std::move(ran).error());
    }
    bool answered = ran->success() || (ran->outcome == core::ProcessOutcome::exited &&
                                       non_failure_exit(manager, argv, ran->exit_code) != nullptr);
    auto parsed = parse_npm_outdated(ran->stdout_text);
    if (answered && parsed) {
        mark_npm_links(prefix, *parsed);
        return parsed;
    }
    if (!parsed && parsed.error().kind == util::ErrorKind::command_failed) {
        return util::fail(parsed.error());
    }
    std::string tail = std::string(util::trim(ran->stderr_text));
    std::replace(tail.begin(), tail.end(), '\n', ' ');
    if (tail.size() > 300) {
        tail = "..." + tail.substr(tail.size() - 300);
    }
    if (answered) {
        return util::fail(parsed.error());
    }
    return util::fail(util::ErrorKind::command_failed,
                      "npm outdated " + ran->describe() + (tail.empty() ? "" : ": " + tail));
}

} // namespace zsyncctl::pkg
