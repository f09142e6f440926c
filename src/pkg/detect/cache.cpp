#include "pkg/detect/cache.hpp"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ctime>

#include "pkg/detect/detect_internal.hpp"
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

// Managers' cache files kept: one per root/PATH/environment combination, the newest first.
constexpr std::size_t k_keep_files = 16;
constexpr long long k_max_age_seconds = 30LL * 24 * 3600;

std::vector<std::string> path_dirs(std::string_view path_env) {
    std::vector<std::string> dirs;
    std::size_t start = 0;
    while (start <= path_env.size()) {
        std::size_t end = path_env.find(':', start);
        if (end == std::string_view::npos) {
            end = path_env.size();
        }
        auto entry = path_env.substr(start, end - start);
        if (!entry.empty() && entry.front() == '/') {
            dirs.push_back(clean_logical(entry));
        }
        start = end + 1;
    }
    return dirs;
}

bool plain_absolute(const std::string& path) {
    if (path.empty() || path.front() != '/' || path.find('\0') != std::string::npos) {
        return false;
    }
    for (const auto& part : std::filesystem::path(path)) {
        if (part == "..") {
            return false;
        }
    }
    return true;
}

// Root or we own it, and nobody else may write it.
bool trusted_inode(const struct stat& st) {
    return (st.st_uid == 0 || st.st_uid == ::geteuid()) && (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

// True when `executable` is where detection looks for `entry` (a PATH directory or a well-known location,
// under one of its names) and, on the host, a regular executable file owned by root or euid in a directory
// owned by root or euid, neither writable by others.
bool executable_ok(const Manager& entry, const std::string& executable, const DetectContext& context) {
    if (!plain_absolute(executable)) {
        return false;
    }
    bool located = false;
    std::string dir = parent_of(executable);
    std::string base = executable.substr(executable.rfind('/') + 1);
    auto dirs = path_dirs(context.path_env);
    for (auto name : entry.executables) {
        auto names = detail::executable_names(name, context.os);
        if (std::find(names.begin(), names.end(), base) != names.end()) {
            located = located || std::find(dirs.begin(), dirs.end(), dir) != dirs.end();
        }
    }
    for (auto location : entry.well_known) {
        auto expanded = expand_template(location, context);
        located = located || (expanded && clean_logical(*expanded) == executable);
    }
    if (!located) {
        return false;
    }
    if (!context.root.is_host()) {
        return true; // nothing inside an image is executed; the logical path is checked above
    }
    struct stat file {};
    struct stat parent {};
    return ::stat(executable.c_str(), &file) == 0 && S_ISREG(file.st_mode) && (file.st_mode & 0111) != 0 &&
           trusted_inode(file) && ::stat(dir.c_str(), &parent) == 0 && trusted_inode(parent);
}

// True when `prefix` is one detection would have resolved for `entry` (a prefix template, or the parent of
// the executable's directory) and, on the host, missing or a directory owned by root or euid that nobody
// else may write.
bool prefix_ok(const Manager& entry, const std::string& prefix, const std::string& executable,
               const DetectContext& context) {
    if (prefix.empty()) {
        return true;
    }
    if (!plain_absolute(prefix)) {
        return false;
    }
    bool derived = !executable.empty() && parent_of(parent_of(executable)) == prefix;
    for (auto candidate : entry.prefix) {
        auto expanded = expand_template(candidate, context);
        derived = derived || (expanded && clean_logical(*expanded) == prefix);
    }
    if (!derived) {
        return false;
    }
    if (!context.root.is_host()) {
        return true;
    }
    struct stat st {};
    if (::stat(prefix.c_str(), &st) != 0) {
        return errno == ENOENT;
    }
    return S_ISDIR(st.st_mode) && trusted_inode(st);
}

// A cached detection is used only when every executable and prefix in it passes the checks a fresh
// detection implies: what is executed (--versions) or exported (pkg paths --shell) is never taken on trust.
bool revalidate(const Detection& detection, const DetectContext& context) {
    for (const auto& m : detection.managers) {
        if (!m.executable.empty() && !executable_ok(*m.manager, m.executable, context)) {
            return false;
        }
        if (!prefix_ok(*m.manager, m.prefix, m.executable, context)) {
            return false;
        }
    }
    // Every Homebrew prefix found (the preferred one is also a manager above): where it is run from.
    for (const auto& b : detection.homebrew.installs) {
        if (!plain_absolute(b.prefix) || !plain_absolute(b.executable)) {
            return false;
        }
        struct stat file {};
        struct stat prefix {};
        if (context.root.is_host() &&
            (::stat(b.executable.c_str(), &file) != 0 || !S_ISREG(file.st_mode) || !trusted_inode(file) ||
             ::stat(b.prefix.c_str(), &prefix) != 0 || !trusted_inode(prefix))) {
            return false;
        }
    }
    return true;
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
    // Only a file root or we wrote, in a directory nobody else controls, reached without a symlink.
    auto dir =
        util::open_private_dir(file.parent_path(), util::CreateMissing::no, util::DirOwner::self_or_root);
    if (!dir) {
        return std::nullopt;
    }
    auto fd = util::open_trusted_file_at(dir->get(), file.filename().string());
    if (!fd) {
        return std::nullopt;
    }
    auto text = util::read_fd(fd->release(), file.string(), 4u << 20);
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
        Detection detection = from_json(doc.at("detection"));
        if (!revalidate(detection, context)) {
            return std::nullopt; // detect again; the fresh result replaces the file
        }
        return detection;
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
    auto dir = util::open_private_dir(file.parent_path(), util::CreateMissing::yes);
    if (!dir) {
        return util::fail(std::move(dir).error());
    }
    std::string name = file.filename().string();
    auto written = util::write_file_atomic_at(dir->get(), name, text);
    // One file per root/PATH/environment combination accumulates: keep the newest few, none too old.
    util::prune_files_at(dir->get(), "managers-", ".json", k_keep_files, k_max_age_seconds,
                         static_cast<long long>(std::time(nullptr)), name);
    return written;
}

} // namespace zsyncctl::pkg
