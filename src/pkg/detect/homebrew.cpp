#include <algorithm>

#include "pkg/detect/detect_internal.hpp"

namespace zsyncctl::pkg::detail {

namespace {

struct Candidate {
    std::string prefix;
    Evidence evidence;
    bool from_env = false;
};

// The OS a well-known prefix belongs to: Homebrew installs into /opt/homebrew and /usr/local only on
// macOS, and into linuxbrew homes only on Linux. Other prefixes (HOMEBREW_PREFIX, PATH) fit any OS.
bool prefix_fits_os(const std::string& prefix, const std::string& os,
                    const std::optional<std::string>& home) {
    if (prefix == "/opt/homebrew" || prefix == "/usr/local") {
        return os == "macos";
    }
    if (prefix == "/home/linuxbrew/.linuxbrew" || (home && prefix == *home + "/.linuxbrew")) {
        return os == "linux";
    }
    return true;
}

// Why a brew does not match the host, or empty. /opt/homebrew holds arm64 bottles and /usr/local x86_64
// ones (Homebrew's defaults); a /usr/local brew on an arm64 Mac runs under Rosetta 2.
std::string mismatch_for(const std::string& prefix, const std::string& os, const std::string& arch) {
    if (os != "macos") {
        return {};
    }
    if (prefix == "/usr/local" && arch == "arm64") {
        return "Intel Homebrew in /usr/local on Apple Silicon (runs under Rosetta 2); the native prefix is "
               "/opt/homebrew";
    }
    if (prefix == "/opt/homebrew" && arch == "x86_64") {
        return "Apple Silicon Homebrew prefix /opt/homebrew on an Intel Mac; the native prefix is /usr/local";
    }
    return {};
}

} // namespace

void detect_homebrew(DetectState& state, const Manager& entry) {
    const DetectContext& ctx = state.context;
    std::vector<Candidate> candidates;
    auto add = [&](std::string prefix, Evidence evidence, bool from_env) {
        prefix = clean_logical(prefix);
        if (std::none_of(candidates.begin(), candidates.end(),
                         [&](const Candidate& c) { return c.prefix == prefix; })) {
            candidates.push_back({std::move(prefix), std::move(evidence), from_env});
        }
    };
    if (auto env_prefix = ctx.getenv("HOMEBREW_PREFIX"); env_prefix && env_prefix->front() == '/') {
        add(*env_prefix, {Evidence::Source::env, "HOMEBREW_PREFIX=" + clean_logical(*env_prefix)}, true);
    }
    // The brews on PATH, in PATH order: the one the user's shell runs comes first.
    for (const auto& dir : state.path_dirs) {
        for (auto name : entry.executables) {
            std::string logical = dir + "/" + std::string(name);
            if (state.probe_candidate(logical, true).is_executable()) {
                add(parent_of(dir), {Evidence::Source::path_entry, dir}, false);
            }
        }
    }
    for (auto location : entry.well_known) {
        if (location.find("{env:") != std::string_view::npos) {
            continue; // HOMEBREW_PREFIX, handled above
        }
        auto brew = expand_template(location, ctx);
        if (!brew) {
            continue;
        }
        std::string prefix = parent_of(parent_of(*brew));
        if (prefix_fits_os(prefix, ctx.os, ctx.home)) {
            add(prefix, {Evidence::Source::well_known, *brew}, false);
        }
    }

    std::vector<DetectedManager> found;
    std::vector<bool> from_env;
    for (const auto& candidate : candidates) {
        std::string brew = candidate.prefix + "/bin/brew";
        if (!state.probe_candidate(brew, true).is_executable()) {
            continue;
        }
        DetectedManager detected;
        detected.manager = &entry;
        detected.executable = brew;
        detected.prefix = candidate.prefix;
        detected.evidence.push_back(candidate.evidence);
        auto markers = find_markers(state, entry, candidate.prefix);
        detected.evidence.insert(detected.evidence.end(), markers.begin(), markers.end());
        detected.mismatch = mismatch_for(candidate.prefix, ctx.os, ctx.arch);
        detected.preferred = false;
        found.push_back(std::move(detected));
        from_env.push_back(candidate.from_env);
    }
    if (found.empty()) {
        return;
    }
    // Preferred: HOMEBREW_PREFIX when it is native, else the first native brew, else the first one.
    std::size_t preferred = found.size();
    for (std::size_t i = 0; i < found.size() && preferred == found.size(); ++i) {
        if (from_env[i] && found[i].mismatch.empty()) {
            preferred = i;
        }
    }
    for (std::size_t i = 0; i < found.size() && preferred == found.size(); ++i) {
        if (found[i].mismatch.empty()) {
            preferred = i;
        }
    }
    if (preferred == found.size()) {
        preferred = 0;
    }
    found[preferred].preferred = true;
    std::stable_partition(found.begin(), found.end(), [](const DetectedManager& d) { return d.preferred; });
    for (auto& d : found) {
        state.result.homebrew.installs.push_back(
            {d.prefix, d.executable, d.mismatch.empty(), d.preferred, d.mismatch});
        state.result.managers.push_back(std::move(d));
    }
}

} // namespace zsyncctl::pkg::detail
