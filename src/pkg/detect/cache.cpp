#include "pkg/detect/cache.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>

#include "pkg/detect/probe.hpp"
#include "util/fs.hpp"

namespace zsyncctl::pkg {

namespace {

// Bump when the file layout changes.
constexpr int k_format = 1;

std::string cache_key(const DetectContext& context) {
    std::uint64_t hash = 14695981039346656037ull;
    auto mix = [&](std::string_view text) {
        for (unsigned char c : text) {
            hash ^= c;
            hash *= 1099511628211ull;
        }
        hash ^= 0xff;
        hash *= 1099511628211ull;
    };
    mix(std::to_string(k_format));
    mix(context.root.dir().string());
    mix(context.os);
    mix(context.arch);
    mix(context.path_env);
    mix(context.home.value_or(""));
    for (const auto& [name, value] : context.env) {
        mix(name);
        mix(value);
    }
    mix(std::to_string(registry_fingerprint()));
    char buffer[17];
    std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(hash));
    return buffer;
}

nlohmann::json to_json(const Detection& detection) {
    nlohmann::json managers = nlohmann::json::array();
    for (const auto& m : detection.managers) {
        nlohmann::json evidence = nlohmann::json::array();
        for (const auto& e : m.evidence) {
            evidence.push_back({static_cast<int>(e.source), e.path});
        }
        managers.push_back({{"id", m.manager->id},
                            {"executable", m.executable},
                            {"prefix", m.prefix},
                            {"evidence", evidence},
                            {"preferred", m.preferred},
                            {"mismatch", m.mismatch}});
    }
    nlohmann::json rejected = nlohmann::json::array();
    for (const auto& r : detection.rejected) {
        rejected.push_back({r.path, r.reason});
    }
    nlohmann::json brews = nlohmann::json::array();
    for (const auto& b : detection.homebrew.installs) {
        brews.push_back({{"prefix", b.prefix},
                         {"executable", b.executable},
                         {"native", b.native},
                         {"preferred", b.preferred},
                         {"mismatch", b.mismatch}});
    }
    return {{"os", detection.os},
            {"arch", detection.arch},
            {"managers", managers},
            {"rejected", rejected},
            {"homebrew", brews}};
}

Detection from_json(const nlohmann::json& doc) {
    Detection detection;
    detection.os = doc.at("os").get<std::string>();
    detection.arch = doc.at("arch").get<std::string>();
    for (const auto& m : doc.at("managers")) {
        DetectedManager detected;
        detected.manager = find_manager(m.at("id").get<std::string>());
        if (detected.manager == nullptr) {
            throw std::runtime_error("unknown manager in cache");
        }
        detected.executable = m.at("executable").get<std::string>();
        detected.prefix = m.at("prefix").get<std::string>();
        for (const auto& e : m.at("evidence")) {
            int source = e.at(0).get<int>();
            if (source < 0 || source > static_cast<int>(Evidence::Source::env)) {
                throw std::runtime_error("bad evidence source");
            }
            detected.evidence.push_back({static_cast<Evidence::Source>(source), e.at(1).get<std::string>()});
        }
        detected.preferred = m.at("preferred").get<bool>();
        detected.mismatch = m.at("mismatch").get<std::string>();
        detection.managers.push_back(std::move(detected));
    }
    for (const auto& r : doc.at("rejected")) {
        detection.rejected.push_back({r.at(0).get<std::string>(), r.at(1).get<std::string>()});
    }
    for (const auto& b : doc.at("homebrew")) {
        detection.homebrew.installs.push_back(
            {b.at("prefix").get<std::string>(), b.at("executable").get<std::string>(),
             b.at("native").get<bool>(), b.at("preferred").get<bool>(), b.at("mismatch").get<std::string>()});
    }
    return detection;
}

} // namespace

std::optional<std::filesystem::path> cache_file_for(const DetectContext& context) {
    auto dir = util::cache_dir();
    if (!dir) {
        return std::nullopt;
    }
    return *dir / ("managers-" + cache_key(context) + ".json");
}

std::optional<Detection> load_cache(const std::filesystem::path& file, const DetectContext& context) {
    auto text = util::read_file(file, 4u << 20);
    if (!text) {
        return std::nullopt;
    }
    try {
        auto doc = nlohmann::json::parse(*text);
        if (doc.at("format").get<int>() != k_format ||
            doc.at("key").get<std::string>() != cache_key(context)) {
            return std::nullopt;
        }
        for (const auto& [path, stamp] : doc.at("deps").items()) {
            if (stamp_host_path(path) != stamp.get<std::string>()) {
                return std::nullopt;
            }
        }
        return from_json(doc.at("detection"));
    } catch (const std::exception&) {
        return std::nullopt; // corrupt or from an incompatible writer: detect again and overwrite
    }
}

util::Result<void> store_cache(const std::filesystem::path& file, const DetectContext& context,
                               const Detection& detection, const std::vector<std::string>& dependencies) {
    nlohmann::json deps = nlohmann::json::object();
    for (const auto& path : dependencies) {
        deps[path] = stamp_host_path(path);
    }
    nlohmann::json doc = {
        {"format", k_format}, {"key", cache_key(context)}, {"deps", deps}, {"detection", to_json(detection)}};
    std::string text;
    try {
        text = doc.dump(); // strict: a path that is not UTF-8 must not be cached in a mangled form
    } catch (const nlohmann::json::exception& e) {
        return util::fail(util::ErrorKind::invalid_input, std::string("detection not cached: ") + e.what());
    }
    return util::write_file_atomic(file, text);
}

} // namespace zsyncctl::pkg
