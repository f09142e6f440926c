#include "pkg/brew_api.hpp"

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "net/curl_api.hpp"
#include "net/http_cache.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

std::string str(const nlohmann::json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string env_or(const char* name, std::string fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

} // namespace

util::Result<std::vector<IndexRecord>> parse_brew_api(std::string_view text) {
    auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_object() && doc.contains("payload") && doc["payload"].is_string()) {
        doc = nlohmann::json::parse(doc["payload"].get<std::string>(), nullptr, false);
    }
    if (doc.is_discarded() || !doc.is_array()) {
        return util::fail(util::ErrorKind::parse, "not a Homebrew API document (formula.json / cask.json)");
    }
    std::vector<IndexRecord> records;
    for (const auto& item : doc) {
        if (!item.is_object()) {
            continue;
        }
        IndexRecord r;
        if (item.contains("token")) { // a cask
            r.name = str(item, "token");
            r.version = str(item, "version");
            r.summary = str(item, "desc");
            if (auto names = item.find("name"); names != item.end() && names->is_array()) {
                for (const auto& n : *names) {
                    if (n.is_string()) {
                        r.long_text += n.get<std::string>() + " ";
                    }
                }
            }
        } else {
            r.name = str(item, "name");
            r.summary = str(item, "desc");
            if (auto versions = item.find("versions"); versions != item.end() && versions->is_object()) {
                r.version = str(*versions, "stable");
            }
            if (auto aliases = item.find("aliases"); aliases != item.end() && aliases->is_array()) {
                for (const auto& a : *aliases) {
                    if (a.is_string()) {
                        r.long_text += a.get<std::string>() + " ";
                    }
                }
            }
        }
        if (!r.name.empty()) {
            r.name = util::sanitize_for_display(r.name);
            r.summary = util::sanitize_for_display(r.summary);
            records.push_back(std::move(r));
        }
    }
    return records;
}

std::vector<std::filesystem::path> brew_cached_api_files(const util::Root& root) {
    std::vector<std::filesystem::path> dirs;
    if (const char* c = std::getenv("HOMEBREW_CACHE"); c != nullptr && *c != '\0') {
        dirs.push_back(root.resolve(c) / "api");
    }
    if (auto home = root.home()) {
        dirs.push_back(*home / ".cache/Homebrew/api");
        dirs.push_back(*home / "Library/Caches/Homebrew/api");
    }
    std::error_code ec;
    for (const auto& dir : dirs) {
        std::vector<std::filesystem::path> files;
        for (const char* kind : {"formula", "cask"}) {
            for (const char* suffix : {".jws.json", ".json"}) {
                std::filesystem::path file = dir / (std::string(kind) + suffix);
                if (std::filesystem::is_regular_file(file, ec)) {
                    files.push_back(file);
                    break;
                }
            }
        }
        if (!files.empty()) {
            return files;
        }
    }
    return {};
}

std::vector<std::string> brew_installed_names(const util::Root& root) {
    std::vector<std::string> prefixes = {"/opt/homebrew", "/usr/local", "/home/linuxbrew/.linuxbrew"};
    if (const char* p = std::getenv("HOMEBREW_PREFIX"); p != nullptr && *p != '\0') {
        prefixes.insert(prefixes.begin(), p);
    }
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& prefix : prefixes) {
        for (const char* sub : {"/Cellar", "/Caskroom"}) {
            std::filesystem::directory_iterator it(root.resolve(prefix + sub), ec);
            if (ec) {
                continue;
            }
            for (const auto& e : it) {
                names.push_back(e.path().filename().string());
            }
        }
    }
    return names;
}

util::Result<std::vector<std::filesystem::path>> fetch_brew_api(const std::atomic<bool>& cancelled) {
    auto curl = net::load_curl();
    if (!curl) {
        return util::fail(std::move(curl).error());
    }
    auto cache = net::HttpCache::open_default();
    if (!cache) {
        return util::fail(std::move(cache).error());
    }
    const net::CurlApi& api = **curl;
    std::string base = env_or("ZSYNCCTL_BREW_API_URL", "https://formulae.brew.sh/api");
    while (!base.empty() && base.back() == '/') {
        base.pop_back();
    }
    long max_age = 450;
    if (auto v = util::parse_int(env_or("HOMEBREW_API_AUTO_UPDATE_SECS", "450")); v && *v >= 0) {
        max_age = static_cast<long>(*v);
    }
    std::vector<std::filesystem::path> bodies;
    for (const char* kind : {"formula", "cask"}) {
        std::string url = base + "/" + kind + ".json";
        std::string key = std::string("brew-") + kind;
        auto entry = cache->lookup(key, url);
        std::optional<net::CacheEntry> cached = entry ? *entry : std::nullopt;
        if (cached && std::time(nullptr) - cached->validated_at < max_age) {
            bodies.push_back(cached->body_path);
            continue;
        }
        CURL* easy = api.easy_init();
        if (easy == nullptr) {
            return util::fail(util::ErrorKind::internal, "curl_easy_init failed");
        }
        std::string body;
        std::string etag;
        curl_slist* headers = nullptr;
        if (cached) {
            for (const auto& h : net::HttpCache::conditional_headers(*cached)) {
                headers = api.slist_append(headers, h.c_str());
            }
        }
        auto write_cb = +[](char* data, size_t size, size_t n, void* user) -> size_t {
            static_cast<std::string*>(user)->append(data, size * n);
            return size * n;
        };
        auto header_cb = +[](char* data, size_t size, size_t n, void* user) -> size_t {
            std::string_view line(data, size * n);
            if (line.size() > 5 && util::to_lower(line.substr(0, 5)) == "etag:") {
                *static_cast<std::string*>(user) = std::string(util::trim(line.substr(5)));
            }
            return size * n;
        };
        auto progress_cb = +[](void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> int {
            return static_cast<const std::atomic<bool>*>(user)->load() ? 1 : 0;
        };
        api.easy_setopt(easy, CURLOPT_URL, url.c_str());
        api.easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
        api.easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        api.easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, 10L);
        api.easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
        api.easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
        api.easy_setopt(easy, CURLOPT_WRITEFUNCTION, write_cb);
        api.easy_setopt(easy, CURLOPT_WRITEDATA, &body);
        api.easy_setopt(easy, CURLOPT_HEADERFUNCTION, header_cb);
        api.easy_setopt(easy, CURLOPT_HEADERDATA, &etag);
        api.easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
        api.easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, progress_cb);
        api.easy_setopt(easy, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(&cancelled));
        CURLcode rc = api.easy_perform(easy);
        long status = 0;
        api.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        api.easy_cleanup(easy);
        api.slist_free_all(headers);
        if (cancelled.load()) {
            return util::fail(util::ErrorKind::cancelled, "Homebrew API download cancelled");
        }
        if (rc != CURLE_OK || (status != 200 && status != 304)) {
            if (cached) {
                bodies.push_back(cached->body_path); // stale beats nothing
                continue;
            }
            std::string why = rc != CURLE_OK ? api.easy_strerror(rc) : "HTTP " + std::to_string(status);
            return util::fail(util::ErrorKind::network, url + ": " + why);
        }
        if (status == 304 && cached) {
            auto marked = cache->mark_revalidated(*cached, etag, "");
            bodies.push_back(marked ? marked->body_path : cached->body_path);
            continue;
        }
        auto stored = cache->store(key, url, etag, "", body);
        if (!stored) {
            return util::fail(std::move(stored).error());
        }
        bodies.push_back(stored->body_path);
    }
    return bodies;
}

util::Result<PackageIndex> homebrew_index(const util::Root& root, const std::filesystem::path& cache_file,
                                          const std::atomic<bool>& cancelled) {
    std::vector<std::filesystem::path> files = brew_cached_api_files(root);
    if (files.empty()) {
        auto fetched = fetch_brew_api(cancelled);
        if (!fetched) {
            return util::fail(std::move(fetched).error());
        }
        files = std::move(*fetched);
    }
    std::vector<SourceStamp> stamps = stamp_files(files);
    std::vector<std::string> installed = brew_installed_names(root);
    // Installing or removing a formula changes the installed marks, so they are part of the key.
    SourceStamp marks;
    marks.path = "installed:" + util::join(installed, ",");
    stamps.push_back(marks);
    if (!cache_file.empty()) {
        if (auto cached = PackageIndex::load(cache_file, stamps)) {
            return cached;
        }
    }
    std::unordered_set<std::string> installed_set(installed.begin(), installed.end());
    std::vector<IndexRecord> records;
    std::unordered_set<std::string> seen;
    for (const auto& file : files) {
        auto text = util::read_file(file, 256u << 20);
        if (!text) {
            return util::fail(std::move(text).error());
        }
        auto parsed = parse_brew_api(*text);
        if (!parsed) {
            return util::fail(util::ErrorKind::parse, file.string() + ": " + parsed.error().message);
        }
        for (auto& r : *parsed) {
            if (seen.insert(r.name).second) {
                r.installed = installed_set.count(r.name) != 0;
                records.push_back(std::move(r));
            }
        }
    }
    PackageIndex index = PackageIndex::build(std::move(records), std::move(stamps));
    if (!cache_file.empty()) {
        (void)index.save(cache_file);
    }
    return index;
}

} // namespace zsyncctl::pkg
