#include "pkg/detect/detect.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "pkg/detect/cache.hpp"
#include "pkg/detect/detect_internal.hpp"
#include "pkg/registry_fingerprint_value.hpp"
#include "platform/host.hpp"

namespace zsyncctl::pkg {

namespace detail {

void DetectState::depend_on(const std::string& logical) {
    // Most candidates share their parent directory: resolve each logical path inside the root once.
    if (depended_logical.insert(logical).second) {
        dependencies.insert(context.root.resolve(logical).string());
    }
}

FileProbe DetectState::probe_candidate(const std::string& logical, bool record_rejection) {
    FileProbe probe = probe_path(context.root, logical);
    std::string distrust;
    // A candidate executable is what detection's users run (--versions, search, install): as root on the
    // host, only one nobody else controls (under --root nothing found is run at all).
    if (record_rejection && probe.is_executable() && context.root.is_host() && ::geteuid() == 0) {
        distrust = distrust_as_root(probe);
        if (!distrust.empty()) {
            probe.kind = FileProbe::Kind::untrusted;
        }
    }
    // The parent directory's stamp covers this name appearing, vanishing, being replaced or renamed. The
    // path's own stamp is needed only where the parent's cannot tell: a candidate executable (its mode
    // decides, and a cached one is checked for trust with that same stat on load) and a symlink (its
    // target can change or vanish while the link's directory stays the same). A marker or prefix that
    // is a plain file or directory is evidence by existence alone: a database written in place
    // (rpmdb.sqlite) no longer invalidates the detection.
    depend_on(parent_of(logical));
    if (probe.kind != FileProbe::Kind::missing && (record_rejection || probe.via_link)) {
        dependencies.insert(probe.host_path);
    }
    if (record_rejection && probe.kind != FileProbe::Kind::missing && !probe.is_executable() &&
        rejected_seen.insert(logical).second) {
        result.rejected.push_back(
            {logical, distrust.empty() ? std::string(describe_rejection(probe.kind)) : std::move(distrust)});
    }
    return probe;
}

std::vector<std::string> executable_names(std::string_view name, std::string_view os) {
    std::vector<std::string> names;
    if (os == "windows") {
        for (const char* ext : {".exe", ".cmd", ".bat"}) {
            names.push_back(std::string(name) + ext);
        }
    }
    names.emplace_back(name);
    return names;
}

std::vector<Evidence> find_markers(DetectState& state, const Manager& entry, const std::string& prefix) {
    std::vector<Evidence> found;
    for (auto marker : entry.markers) {
        auto path = expand_template(marker, state.context, prefix);
        if (!path) {
            continue;
        }
        FileProbe probe = state.probe_candidate(*path, false);
        if (probe.exists()) {
            found.push_back({Evidence::Source::db, *path});
        }
    }
    return found;
}

} // namespace detail

namespace {

using detail::DetectState;

char path_separator() {
#ifdef _WIN32
    return ';';
#else
    return ':';
#endif
}

std::vector<std::string> split_path(std::string_view path_env) {
    std::vector<std::string> dirs;
    std::size_t start = 0;
    while (start <= path_env.size()) {
        std::size_t end = path_env.find(path_separator(), start);
        if (end == std::string_view::npos) {
            end = path_env.size();
        }
        auto entry = path_env.substr(start, end - start);
        // Relative and empty entries mean "the current directory": never trust them for detection.
        if (!entry.empty() && entry.front() == '/') {
            std::string clean = clean_logical(entry);
            if (std::find(dirs.begin(), dirs.end(), clean) == dirs.end()) {
                dirs.push_back(std::move(clean));
            }
        }
        start = end + 1;
    }
    return dirs;
}

struct Found {
    std::string executable;
    Evidence evidence;
};

std::optional<Found> find_executable(DetectState& state, const Manager& entry) {
    for (auto name : entry.executables) {
        for (const auto& candidate : detail::executable_names(name, state.context.os)) {
            for (const auto& dir : state.path_dirs) {
                std::string logical = dir == "/" ? "/" + candidate : dir + "/" + candidate;
                if (state.probe_candidate(logical, true).is_executable()) {
                    return Found{logical, {Evidence::Source::path_entry, dir}};
                }
            }
        }
    }
    for (auto location : entry.well_known) {
        auto logical = expand_template(location, state.context);
        if (!logical) {
            continue;
        }
        std::string clean = clean_logical(*logical);
        if (state.probe_candidate(clean, true).is_executable()) {
            return Found{clean, {Evidence::Source::well_known, clean}};
        }
    }
    return std::nullopt;
}

std::string resolve_prefix(DetectState& state, const Manager& entry, const std::string& executable) {
    std::optional<std::string> first;
    for (auto candidate : entry.prefix) {
        auto expanded = expand_template(candidate, state.context);
        if (!expanded) {
            continue;
        }
        std::string clean = clean_logical(*expanded);
        if (!first) {
            first = clean;
        }
        if (state.probe_candidate(clean, false).exists()) {
            return clean;
        }
    }
    if (first) {
        return *first; // where the manager will create it (cargo makes ~/.cargo on first install)
    }
    if (!executable.empty()) {
        return parent_of(parent_of(executable)); // /usr/bin/npm -> /usr
    }
    return {};
}

} // namespace

std::string Evidence::describe() const {
    switch (source) {
    case Source::path_entry:
        return "PATH entry " + path;
    case Source::well_known:
        return "well-known " + path;
    case Source::db:
        return "db " + path;
    case Source::env:
        return "env " + path;
    }
    return path;
}

bool HomebrewFindings::any_mismatch() const {
    return std::any_of(installs.begin(), installs.end(), [](const Install& i) { return !i.native; });
}

std::vector<const DetectedManager*> Detection::find(std::string_view id) const {
    std::vector<const DetectedManager*> out;
    for (const auto& m : managers) {
        if (m.manager->id == id) {
            out.push_back(&m);
        }
    }
    return out;
}

std::optional<std::string> DetectContext::getenv(std::string_view name) const {
    for (const auto& [key, value] : env) {
        if (key == name) {
            return value.empty() ? std::nullopt : std::optional<std::string>(value);
        }
    }
    return std::nullopt;
}

DetectContext DetectContext::current(util::Root root) {
    DetectContext context;
    context.root = std::move(root);
    auto identity = platform::host_identity();
    context.os = identity.os;
    context.arch = identity.arch;
    if (const char* path = std::getenv("PATH")) {
        context.path_env = path;
    }
    if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') {
        context.home = home;
    }
    // The names come from the table when it was built (registry_env_names()), so reading the environment
    // builds no entry.
    std::vector<std::string> names(std::begin(k_built_registry_env_names),
                                   std::end(k_built_registry_env_names));
    for (auto& name : names) {
        const char* value = std::getenv(name.c_str());
        context.env.emplace_back(std::move(name), value == nullptr ? "" : value);
    }
    return context;
}

std::string multiarch_triplet(std::string_view arch) {
    if (arch == "x86_64") {
        return "x86_64-linux-gnu";
    }
    if (arch == "arm64") {
        return "aarch64-linux-gnu";
    }
    if (arch == "x86") {
        return "i386-linux-gnu";
    }
    if (arch == "arm") {
        return "arm-linux-gnueabihf";
    }
    if (arch == "riscv64") {
        return "riscv64-linux-gnu";
    }
    return std::string(arch) + "-linux-gnu";
}

std::optional<std::string> expand_template(std::string_view text, const DetectContext& context,
                                           std::string_view prefix) {
    std::string out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto open = text.find('{', pos);
        if (open == std::string_view::npos) {
            out.append(text.substr(pos));
            break;
        }
        out.append(text.substr(pos, open - pos));
        auto close = text.find('}', open);
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        auto var = text.substr(open + 1, close - open - 1);
        std::optional<std::string> value;
        if (var == "home") {
            value = context.home;
        } else if (var == "prefix") {
            if (!prefix.empty()) {
                value = std::string(prefix);
            }
        } else if (var == "multiarch") {
            value = multiarch_triplet(context.arch);
        } else if (var.substr(0, 4) == "env:") {
            value = context.getenv(var.substr(4));
        }
        if (!value || value->empty()) {
            return std::nullopt;
        }
        out += *value;
        pos = close + 1;
    }
    if (out.empty() || out.front() != '/') {
        return std::nullopt;
    }
    return clean_logical(out);
}

Detection detect_uncached(const DetectContext& context, std::vector<std::string>* dependencies) {
    DetectState state{context, split_path(context.path_env), {}, {}, {}, {}};
    state.result.os = context.os;
    state.result.arch = context.arch;
    for (const auto& dir : state.path_dirs) {
        state.depend_on(dir);
    }
    std::uint32_t os_bit = platform_bit(context.os);
    for (const auto& entry : registry()) {
        if (os_bit != 0 && (entry.platforms & os_bit) == 0) {
            continue;
        }
        if (entry.detection == DetectionStyle::per_prefix) {
            detail::detect_homebrew(state, entry);
            continue;
        }
        std::optional<Found> found;
        if (!entry.executables.empty()) {
            found = find_executable(state, entry);
        }
        // Under --root the host's manager works on the image: its database or configuration there is enough.
        bool by_root_marker = false;
        if (!found && !context.root.is_host()) {
            for (auto marker : entry.root_markers) {
                auto path = expand_template(marker, context);
                by_root_marker = by_root_marker || (path && state.probe_candidate(*path, false).exists());
            }
        }
        if (!found && !entry.detected_by_marker && !by_root_marker) {
            // Still depend on the markers' and prefixes' directories? Not needed: without an
            // executable nothing is detected, and the PATH/well-known directories cover its appearance.
            continue;
        }
        DetectedManager detected;
        detected.manager = &entry;
        if (found) {
            detected.executable = found->executable;
            detected.evidence.push_back(found->evidence);
        }
        detected.prefix = resolve_prefix(state, entry, detected.executable);
        auto markers = detail::find_markers(state, entry, detected.prefix);
        if (!found && markers.empty() && !by_root_marker) {
            continue;
        }
        detected.evidence.insert(detected.evidence.end(), markers.begin(), markers.end());
        state.result.managers.push_back(std::move(detected));
    }
    if (dependencies != nullptr) {
        dependencies->assign(state.dependencies.begin(), state.dependencies.end());
    }
    return std::move(state.result);
}

Detection detect_managers(const DetectContext& context, UseCache use_cache) {
    if (use_cache == UseCache::no) {
        return detect_uncached(context);
    }
    auto file = cache_file_for(context);
    if (file) {
        if (auto cached = load_cache(*file, context)) {
            cached->from_cache = true;
            return std::move(*cached);
        }
    }
    std::vector<std::string> dependencies;
    Detection detection = detect_uncached(context, &dependencies);
    if (file) {
        (void)store_cache(*file, context, detection, dependencies);
    }
    return detection;
}

} // namespace zsyncctl::pkg
