#include "pkg/detect/paths.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include <sys/stat.h>

#include "pkg/detect/probe.hpp"
#include "pkg/detect/version_probe.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

void add_existing(const DetectContext& context, const std::vector<std::string_view>& templates,
                  const std::string& prefix, std::vector<std::string>& out) {
    for (auto text : templates) {
        auto path = expand_template(text, context, prefix);
        if (!path || std::find(out.begin(), out.end(), *path) != out.end()) {
            continue;
        }
        if (probe_path(context.root, *path).kind == FileProbe::Kind::directory) {
            out.push_back(*path);
        }
    }
}

std::set<std::string> list_dir(const DetectContext& context, const std::string& logical) {
    std::set<std::string> names;
    auto probe = probe_path(context.root, logical);
    if (probe.kind != FileProbe::Kind::directory) {
        return names;
    }
    std::error_code ec;
    for (std::filesystem::directory_iterator it(probe.host_path, ec), end; !ec && it != end;
         it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (!name.empty() && name.front() != '.') {
            names.insert(std::move(name));
        }
    }
    return names;
}

void add_keg_only(const DetectContext& context, ManagerPaths& paths) {
    const std::string& prefix = paths.prefix;
    auto opt = list_dir(context, prefix + "/opt");
    auto linked = list_dir(context, prefix + "/var/homebrew/linked");
    for (const auto& formula : opt) {
        if (linked.count(formula) != 0) {
            continue;
        }
        paths.keg_only.push_back(formula);
        std::string base = prefix + "/opt/" + formula;
        auto add = [&](std::string dir, std::vector<std::string>& out) {
            if (probe_path(context.root, dir).kind == FileProbe::Kind::directory) {
                out.push_back(std::move(dir));
            }
        };
        add(base + "/bin", paths.bin);
        add(base + "/lib", paths.lib);
        add(base + "/include", paths.include);
        add(base + "/lib/pkgconfig", paths.pkg_config);
    }
}

} // namespace

ManagerPaths resolve_paths(const DetectContext& context, const DetectedManager& detected) {
    ManagerPaths paths;
    paths.detected = &detected;
    paths.prefix = detected.prefix;
    paths.prefix_exists = !detected.prefix.empty() && probe_path(context.root, detected.prefix).exists();
    const Manager& entry = *detected.manager;
    add_existing(context, entry.bin, detected.prefix, paths.bin);
    add_existing(context, entry.lib, detected.prefix, paths.lib);
    add_existing(context, entry.include, detected.prefix, paths.include);
    add_existing(context, entry.pkg_config, detected.prefix, paths.pkg_config);
    if (entry.keg_only_paths && !detected.prefix.empty()) {
        add_keg_only(context, paths);
    }
    return paths;
}

std::optional<std::string> value_of_key(std::string_view text, std::string_view key) {
    for (auto line : util::split_lines(text)) {
        auto rest = util::trim(line);
        if (rest.starts_with("- ")) {
            rest = util::trim(rest.substr(2));
        }
        if (rest.size() > key.size() && rest.starts_with(key) && rest[key.size()] == ':') {
            return std::string(util::trim(rest.substr(key.size() + 1)));
        }
    }
    return std::nullopt;
}

util::Result<void> ask_manager_paths(core::Runtime& runtime, const DetectContext& context,
                                     ManagerPaths& paths, std::chrono::milliseconds timeout) {
    const DetectedManager& detected = *paths.detected;
    const auto& query = detected.manager->paths_query;
    if (query.argv.empty() || detected.executable.empty() || !context.root.is_host()) {
        return util::fail(util::make_error(util::ErrorKind::unsupported, "nothing to ask"));
    }
    std::string exe = probe_path(context.root, detected.executable).host_path;
    std::vector<std::string> argv;
    for (auto arg : query.argv) {
        argv.push_back(arg == "{exe}" ? exe : std::string(arg));
    }
    std::string shown = util::join(argv, " ");
    auto outcome = start_probe_command(runtime, std::move(argv), timeout, runtime.token())
                       .wait_for(timeout + std::chrono::seconds(2));
    if (!outcome) {
        return util::fail(std::move(outcome).error());
    }
    const core::ProcessResult& r = outcome->result;
    if (r.outcome == core::ProcessOutcome::timed_out || r.output_cut_off) {
        return util::fail(
            util::make_error(util::ErrorKind::timeout, "`" + shown + "` gave no answer within " +
                                                           std::to_string(timeout.count()) + " ms"));
    }
    if (r.outcome != core::ProcessOutcome::exited || r.exit_code != 0) {
        return util::fail(
            util::make_error(util::ErrorKind::command_failed,
                             "`" + shown + "` failed (status " + std::to_string(r.exit_code) + ")"));
    }
    auto prefix = value_of_key(outcome->output, query.prefix_key);
    auto bin = value_of_key(outcome->output, query.bin_key);
    if (!prefix || !bin || prefix->empty() || prefix->front() != '/' || bin->empty() || bin->front() != '/') {
        return util::fail(util::make_error(util::ErrorKind::parse, "`" + shown + "` did not name " +
                                                                       std::string(query.prefix_key) +
                                                                       " and " + std::string(query.bin_key)));
    }
    paths.prefix = clean_logical(*prefix);
    paths.prefix_exists = probe_path(context.root, paths.prefix).exists();
    paths.bin.clear();
    paths.lib.clear();
    paths.include.clear();
    paths.pkg_config.clear();
    if (probe_path(context.root, *bin).kind == FileProbe::Kind::directory) {
        paths.bin.push_back(clean_logical(*bin));
    }
    const Manager& entry = *detected.manager;
    add_existing(context, entry.lib, paths.prefix, paths.lib);
    add_existing(context, entry.include, paths.prefix, paths.include);
    add_existing(context, entry.pkg_config, paths.prefix, paths.pkg_config);
    return util::ok();
}

bool prefix_owned_by_root(const DetectContext& context, const DetectedManager& detected) {
    if (detected.prefix.empty()) {
        return false;
    }
    auto probe = probe_path(context.root, detected.prefix);
    struct stat st {};
    return probe.kind == FileProbe::Kind::directory && ::stat(probe.host_path.c_str(), &st) == 0 &&
           st.st_uid == 0;
}

bool is_default_search_dir(std::string_view dir, std::string_view arch) {
    static const std::set<std::string_view> k_defaults = {
        "/bin",
        "/sbin",
        "/usr/bin",
        "/usr/sbin",
        "/lib",
        "/lib64",
        "/usr/lib",
        "/usr/lib64",
        "/usr/include",
        "/usr/lib/pkgconfig",
        "/usr/lib64/pkgconfig",
        "/usr/share/pkgconfig",
    };
    if (k_defaults.count(dir) != 0) {
        return true;
    }
    std::string triplet = multiarch_triplet(arch);
    return dir == "/usr/lib/" + triplet || dir == "/lib/" + triplet ||
           dir == "/usr/lib/" + triplet + "/pkgconfig" || dir == "/usr/include/" + triplet;
}

} // namespace zsyncctl::pkg
