#include "net/http_client.hpp"

#include "core/runtime.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace zsyncctl::net {

namespace {

util::Result<CachedResponse> from_entry(const CacheEntry& entry) {
    CachedResponse cached;
    cached.body_path = entry.body_path;
    cached.size = entry.size;
    cached.etag = entry.etag;
    cached.last_modified = entry.last_modified;
    return cached;
}

util::Result<CachedResponse> settle_cached(const HttpCache& cache, const CachedRequest& request,
                                           const std::optional<CacheEntry>& entry,
                                           util::Result<Response> fetched) {
    auto stale = [&](const util::Error& why) -> util::Result<CachedResponse> {
        auto cached = from_entry(*entry);
        cached->from_cache = true;
        cached->stale = true;
        cached->stale_reason = why.message;
        return cached;
    };
    bool may_serve_stale = entry.has_value() && request.stale_on_error == StaleOnError::yes;
    if (!fetched) {
        if (may_serve_stale && fetched.error().kind != util::ErrorKind::cancelled) {
            return stale(fetched.error());
        }
        return util::fail(std::move(fetched).error());
    }
    Response& response = *fetched;
    std::string etag = response.header("ETag").value_or("");
    std::string last_modified = response.header("Last-Modified").value_or("");
    if (response.status == 304) {
        if (!entry) {
            return util::fail(util::ErrorKind::network,
                              "GET " + request.url +
                                  ": HTTP 304 Not Modified for a request that was not conditional");
        }
        auto marked = cache.mark_revalidated(*entry, etag, last_modified);
        if (!marked) {
            return util::fail(std::move(marked).error());
        }
        auto cached = from_entry(*marked);
        cached->from_cache = true;
        cached->revalidated = true;
        cached->status = 304;
        return cached;
    }
    if (response.status >= 300) {
        auto failed = require_success(std::move(response));
        if (failed) {
            return util::fail(util::ErrorKind::network,
                              "GET " + request.url + ": unexpected HTTP " + std::to_string(failed->status));
        }
        if (may_serve_stale && failed.error().kind == util::ErrorKind::network) {
            return stale(failed.error());
        }
        return util::fail(std::move(failed).error());
    }
    auto stored = cache.store(request.cache_key, request.url, etag, last_modified, response.body);
    if (!stored) {
        return util::fail(std::move(stored).error());
    }
    auto cached = from_entry(*stored);
    cached->status = response.status;
    return cached;
}

} // namespace

core::Future<CachedResponse> HttpClient::fetch_cached(CachedRequest request) {
    if (!valid_cache_key(request.cache_key)) {
        return core::Future<CachedResponse>::ready(
            util::fail(util::ErrorKind::invalid_input, "invalid cache key '" + request.cache_key + "'"));
    }
    if (!m_cache) {
        return core::Future<CachedResponse>::ready(util::fail(m_cache.error()));
    }
    auto found = m_cache->lookup(request.cache_key, request.url);
    if (!found) {
        return core::Future<CachedResponse>::ready(util::fail(std::move(found).error()));
    }
    std::optional<CacheEntry> entry = std::move(*found);

    Request get;
    get.url = request.url;
    get.timeout = request.timeout;
    get.connect_timeout = request.connect_timeout;
    get.max_body_size = request.max_body_size;
    get.accept_encoding = AcceptEncoding::any; // JSON indexes shrink ~10x with gzip
    get.on_progress = std::move(request.on_progress);
    get.token = request.token;
    if (entry && request.mode == CacheMode::revalidate) {
        get.headers = HttpCache::conditional_headers(*entry);
    }

    core::Promise<CachedResponse> promise;
    core::Future<CachedResponse> future = promise.future();
    core::Runtime* runtime = &m_runtime;
    HttpCache cache = *m_cache;
    fetch(std::move(get))
        .on_complete([runtime, cache = std::move(cache), request = std::move(request),
                      entry = std::move(entry),
                      p = std::move(promise)](util::Result<Response> fetched) mutable {
            // Writing tens of MB and fsync()ing them does not belong on the loop thread: use the pool.
            auto work = [cache = std::move(cache), request = std::move(request), entry = std::move(entry),
                         fetched = std::move(fetched)]() mutable {
                return settle_cached(cache, request, entry, std::move(fetched));
            };
            runtime->spawn(std::move(work))
                .on_complete(
                    [p = std::move(p)](util::Result<CachedResponse> r) mutable { p.set(std::move(r)); });
        });
    return future;
}

} // namespace zsyncctl::net
