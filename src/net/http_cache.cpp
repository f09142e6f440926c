#include "net/http_cache.hpp"

#include <chrono>
#include <system_error>

#include "util/fs.hpp"
#include "util/strings.hpp"

namespace zsyncctl::net {

namespace {

constexpr std::string_view k_magic = "zsyncctl-http-cache 1";
constexpr std::size_t k_max_meta = 64 * 1024;

std::int64_t now_unix() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Header values come from the network: a CR or LF in them would corrupt the line-based format (and could
// smuggle a header into the next conditional request), so they are refused rather than stored.
bool single_line(std::string_view value) {
    return value.find_first_of("\r\n") == std::string_view::npos;
}

util::Failure bad_key(std::string_view key) {
    return util::fail(util::ErrorKind::invalid_input, "invalid cache key '" + std::string(key) + "'",
                      "use 1-128 characters of letters, digits, '.', '_' or '-'");
}

} // namespace

bool valid_cache_key(std::string_view key) {
    if (key.empty() || key.size() > 128 || key.front() == '.') {
        return false;
    }
    for (char c : key) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

HttpCache::HttpCache(std::filesystem::path dir) : m_dir(std::move(dir)) {}

util::Result<HttpCache> HttpCache::open_default() {
    auto base = util::cache_dir();
    if (!base) {
        return util::fail(base.error());
    }
    return HttpCache(*base / "http");
}

util::Result<std::optional<CacheEntry>> HttpCache::lookup(std::string_view key, std::string_view url) const {
    if (!valid_cache_key(key)) {
        return bad_key(key);
    }
    std::string name(key);
    auto text = util::read_file(m_dir / (name + ".meta"), k_max_meta);
    if (!text) {
        return std::optional<CacheEntry>();
    }
    auto lines = util::split_lines(*text);
    if (lines.empty() || util::trim(lines.front()) != k_magic) {
        return std::optional<CacheEntry>();
    }
    CacheEntry entry;
    entry.key = name;
    entry.body_path = m_dir / (name + ".body");
    bool have_size = false;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        std::string_view line = lines[i];
        auto colon = line.find(": ");
        if (colon == std::string_view::npos) {
            continue;
        }
        std::string_view field = line.substr(0, colon);
        std::string value(line.substr(colon + 2));
        if (field == "url") {
            entry.url = value;
        } else if (field == "etag") {
            entry.etag = value;
        } else if (field == "last-modified") {
            entry.last_modified = value;
        } else if (field == "size") {
            if (auto n = util::parse_uint(value)) {
                entry.size = *n;
                have_size = true;
            }
        } else if (field == "stored") {
            if (auto n = util::parse_int(value)) {
                entry.stored_at = *n;
            }
        } else if (field == "validated") {
            if (auto n = util::parse_int(value)) {
                entry.validated_at = *n;
            }
        }
    }
    if (!have_size || entry.url != url) {
        return std::optional<CacheEntry>();
    }
    std::error_code ec;
    auto actual = std::filesystem::file_size(entry.body_path, ec);
    if (ec || actual != entry.size) {
        return std::optional<CacheEntry>();
    }
    return std::optional<CacheEntry>(std::move(entry));
}

util::Result<void> HttpCache::write_meta(const CacheEntry& entry) const {
    std::string meta(k_magic);
    meta += "\nurl: " + entry.url;
    if (!entry.etag.empty()) {
        meta += "\netag: " + entry.etag;
    }
    if (!entry.last_modified.empty()) {
        meta += "\nlast-modified: " + entry.last_modified;
    }
    meta += "\nsize: " + std::to_string(entry.size);
    meta += "\nstored: " + std::to_string(entry.stored_at);
    meta += "\nvalidated: " + std::to_string(entry.validated_at);
    meta += "\n";
    return util::write_file_atomic(m_dir / (entry.key + ".meta"), meta);
}

util::Result<CacheEntry> HttpCache::store(std::string_view key, std::string_view url, std::string_view etag,
                                          std::string_view last_modified, std::string_view body) const {
    if (!valid_cache_key(key)) {
        return bad_key(key);
    }
    if (!single_line(url)) {
        return util::fail(util::ErrorKind::invalid_input, "URL contains a line break");
    }
    CacheEntry entry;
    entry.key = std::string(key);
    entry.url = std::string(url);
    entry.etag = single_line(etag) ? std::string(etag) : std::string();
    entry.last_modified = single_line(last_modified) ? std::string(last_modified) : std::string();
    entry.size = body.size();
    entry.stored_at = now_unix();
    entry.validated_at = entry.stored_at;
    entry.body_path = m_dir / (entry.key + ".body");
    if (auto written = util::write_file_atomic(entry.body_path, body); !written) {
        return util::fail(written.error());
    }
    if (auto written = write_meta(entry); !written) {
        return util::fail(written.error());
    }
    return entry;
}

util::Result<CacheEntry> HttpCache::mark_revalidated(CacheEntry entry, std::string_view etag,
                                                     std::string_view last_modified) const {
    if (!valid_cache_key(entry.key)) {
        return bad_key(entry.key);
    }
    if (!etag.empty() && single_line(etag)) {
        entry.etag = std::string(etag);
    }
    if (!last_modified.empty() && single_line(last_modified)) {
        entry.last_modified = std::string(last_modified);
    }
    entry.validated_at = now_unix();
    if (auto written = write_meta(entry); !written) {
        return util::fail(written.error());
    }
    return entry;
}

util::Result<void> HttpCache::remove(std::string_view key) const {
    if (!valid_cache_key(key)) {
        return bad_key(key);
    }
    std::string name(key);
    for (const char* suffix : {".meta", ".body"}) {
        std::error_code ec;
        std::filesystem::remove(m_dir / (name + suffix), ec);
        if (ec) {
            return util::fail(
                util::errno_error("cannot remove " + (m_dir / (name + suffix)).string(), ec.value()));
        }
    }
    return util::ok();
}

std::vector<std::string> HttpCache::conditional_headers(const CacheEntry& entry) {
    std::vector<std::string> headers;
    if (!entry.etag.empty()) {
        headers.push_back("If-None-Match: " + entry.etag);
    }
    if (!entry.last_modified.empty()) {
        headers.push_back("If-Modified-Since: " + entry.last_modified);
    }
    return headers;
}

} // namespace zsyncctl::net
