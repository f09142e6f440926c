#include "pkg/detect/paths.hpp"

#include <algorithm>
#include <filesystem>
#include <set>

#include <sys/stat.h>

#include "pkg/detect/probe.hpp"

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
    paths.prefix_exists = !detected.prefix.empty() &&
                          probe_path(context.root, detected.prefix).exists();
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
