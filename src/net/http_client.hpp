#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/cancellation.hpp"
#include "core/future.hpp"
#include "net/http_cache.hpp"
#include "util/result.hpp"
#include "util/unique_function.hpp"

namespace zsyncctl::core {
class Runtime;
}

namespace zsyncctl::net {

/// Whether a transfer follows HTTP redirects.
enum class FollowRedirects { yes, no };

/// Whether an HTTP error status (>= 400) is a Response or a failure of the future (see require_success);
/// `fail` also keeps the error page away from on_chunk.
enum class HttpErrors { as_response, fail };

/// Whether the server may compress the body (gzip, deflate, br...); libcurl decodes it, so the caller
/// always sees the decoded bytes. Off by default: some servers label .tar.gz files as gzip-encoded.
enum class AcceptEncoding { identity, any };

/// One GET. Only http, https and file URLs are accepted; redirects may lead to http and https only.
/// Proxies come from the environment (http_proxy, https_proxy, no_proxy), as libcurl does by default.
struct Request {
    std::string url;
    /// Extra request headers, each "Name: value".
    std::vector<std::string> headers;
    /// Whole-transfer deadline; zero means none.
    std::chrono::milliseconds timeout{std::chrono::seconds(300)};
    /// Deadline for the connection (DNS, TCP, TLS); zero means libcurl's default (300 s).
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
    /// Fails the transfer (kind io, code ResponseTooLarge) once the body exceeds this; zero means no limit.
    std::uint64_t max_body_size = 0;
    FollowRedirects follow_redirects = FollowRedirects::yes;
    /// At most this many redirects are followed (then kind network).
    int max_redirects = 10;
    AcceptEncoding accept_encoding = AcceptEncoding::identity;
    HttpErrors http_errors = HttpErrors::as_response;
    /// When set, body bytes go here as they arrive (on the loop thread) instead of Response::body; an
    /// error returned by it aborts the transfer with that error.
    util::UniqueFunction<util::Result<void>(std::string_view)> on_chunk;
    /// When set, called on the loop thread with (bytes received, total or 0 when unknown) as data arrives.
    util::UniqueFunction<void(std::uint64_t, std::uint64_t)> on_progress;
    /// Cancelling it removes the transfer; the future then fails with CancellationRequested.
    core::CancellationToken token;
};

/// A completed transfer. HTTP error statuses (404, 500...) are responses, not failures: see
/// require_success().
struct Response {
    /// The final HTTP status; 0 for file:// URLs (which have none).
    int status = 0;
    /// Headers of the final response (after redirects), in order, names as the server sent them.
    std::vector<std::pair<std::string, std::string>> headers;
    /// The body, unless Request::on_chunk consumed it.
    std::string body;
    /// The URL of the final response after redirects.
    std::string effective_url;
    /// Body bytes received.
    std::uint64_t body_size = 0;

    /// The first header named `name` (case-insensitive), or nullopt.
    std::optional<std::string> header(std::string_view name) const;
};

/// Turns an HTTP error status into an Error (404/410 -> not_found, 401/403 -> permission_denied, other
/// 4xx/5xx -> network, with the URL and status in the message); passes other responses through.
util::Result<Response> require_success(Response response);

/// Whether fetch_cached() may answer from the cache without asking the server.
enum class CacheMode {
    /// Revalidate with If-None-Match / If-Modified-Since; 304 serves the cached body.
    revalidate,
    /// Ignore the cached entry and download again (--no-cache); the result still replaces the entry.
    refresh,
};

/// Whether fetch_cached() falls back to a cached body when the server cannot be reached.
enum class StaleOnError { yes, no };

/// A GET whose body is kept in the on-disk cache under `cache_key`.
struct CachedRequest {
    std::string url;
    /// Names the entry in the cache (see valid_cache_key), e.g. "homebrew-formula.json".
    std::string cache_key;
    CacheMode mode = CacheMode::revalidate;
    StaleOnError stale_on_error = StaleOnError::no;
    std::chrono::milliseconds timeout{std::chrono::seconds(300)};
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(30)};
    std::uint64_t max_body_size = 512ULL << 20;
    util::UniqueFunction<void(std::uint64_t, std::uint64_t)> on_progress;
    core::CancellationToken token;
};

/// Where a cached fetch's body is, and how fresh it is.
struct CachedResponse {
    /// The body on disk (inside the cache directory); valid until the next fetch of the same key.
    std::filesystem::path body_path;
    std::uint64_t size = 0;
    /// True when the body was not downloaded by this call (304 or stale fallback).
    bool from_cache = false;
    /// True when the server confirmed the cached body with 304 Not Modified.
    bool revalidated = false;
    /// True when the server could not be reached and an older cached body was served instead.
    bool stale = false;
    /// Why the body is stale (the network error); empty otherwise.
    std::string stale_reason;
    /// 200 or 304 (0 for file:// or a stale fallback).
    int status = 0;
    std::string etag;
    std::string last_modified;

    /// Reads the body from body_path; fails like util::read_file.
    util::Result<std::string> read_body(std::size_t max_bytes = 1ULL << 30) const;
};

/// An asynchronous HTTP(S)/file client: libcurl's multi interface driven by the runtime's event loop
/// (socket and timer callbacks, curl_multi_socket_action), so any number of transfers share one thread.
/// libcurl is dlopen()ed by create(); nothing else in the program links it.
///
/// Threads: fetch() and fetch_cached() may be called from any thread. Callbacks of a Request (on_chunk,
/// on_progress) and continuations attached to the returned futures run on the loop thread: they must not
/// block on another future of this client. Destroy the client before shutting down its Runtime; the
/// destructor cancels the transfers still running (their futures fail with CancellationRequested) and
/// waits for the loop thread to release them.
class HttpClient {
public:
    /// A client on `runtime`'s event loop (started if needed), caching in `cache` (default:
    /// util::cache_dir()/http, created lazily). Fails with not_found/unsupported when libcurl cannot be
    /// loaded (hint: how to install it), the loop's error when it cannot start, or internal when libcurl
    /// cannot create a multi handle.
    static util::Result<std::unique_ptr<HttpClient>> create(core::Runtime& runtime,
                                                            std::optional<HttpCache> cache = std::nullopt);

    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    /// Starts `request`. The future completes with the Response, or fails with: timeout, network
    /// (connection, protocol, truncated body, too many redirects), not_found (missing file:// path),
    /// invalid_input (malformed URL), unsupported (scheme), io/ResponseTooLarge (size limit), the error
    /// of on_chunk, cancelled (CancellationRequested), or RuntimeShutdown when the loop is gone.
    core::Future<Response> fetch(Request request);

    /// Fetches `request.url` into the cache: sends If-None-Match/If-Modified-Since when an entry exists;
    /// 304 serves the cached body (revalidated), 200 replaces the entry atomically. HTTP error statuses
    /// fail like require_success(); transfer failures fail like fetch(), unless stale_on_error allows
    /// serving an existing entry (stale). invalid_input for a bad cache key, not_found when there is no
    /// cache directory, io when the entry cannot be written.
    core::Future<CachedResponse> fetch_cached(CachedRequest request);

    /// The cache this client uses.
    const HttpCache& cache() const;

    /// The libcurl that was loaded ("libcurl.so.4 7.88.1").
    std::string curl_description() const;

    /// Transfers started and not yet completed (approximate when read off the loop thread).
    std::size_t active_transfers() const;

    class Impl;

private:
    HttpClient(core::Runtime& runtime, std::shared_ptr<Impl> impl, util::Result<HttpCache> cache);
    core::Runtime& m_runtime;
    std::shared_ptr<Impl> m_impl;
    util::Result<HttpCache> m_cache;
};

} // namespace zsyncctl::net
