#include "net/http_client.hpp"

#include <atomic>
#include <cstring>
#include <unordered_map>

#include "core/errors.hpp"
#include "core/event_loop.hpp"
#include "core/runtime.hpp"
#include "net/curl_api.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

#ifndef ZSYNCCTL_VERSION
#define ZSYNCCTL_VERSION "unknown"
#endif

namespace zsyncctl::net {

using core::EventLoop;

// Named, not anonymous: HttpClient::Impl, a member of a class with external linkage, holds them.
namespace transfer_detail {

struct Transfer {
    std::uint64_t id = 0;
    Request request;
    core::Promise<Response> promise;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    Response response;
    std::optional<util::Error> abort_error; // set by a callback that stopped the transfer
    std::optional<core::CancellationToken::CallbackId> cancel_id;
    char error_buffer[CURL_ERROR_SIZE] = {};
};

} // namespace transfer_detail

using transfer_detail::Transfer;

namespace {

util::Error size_limit_error(const Request& request) {
    util::Error error =
        util::make_error(util::ErrorKind::io, "response from " + request.url + " exceeds the size limit of " +
                                                  std::to_string(request.max_body_size) + " bytes");
    error.code = "ResponseTooLarge";
    return error;
}

util::Error cancelled_error(const Request& request) {
    return core::runtime_error(core::RuntimeErrc::CancellationRequested, "fetching " + request.url);
}

// Maps a libcurl failure to the few kinds callers act on, with libcurl's own detail in the message.
util::Error transfer_error(const CurlApi& api, const Transfer& t, CURLcode rc) {
    std::string detail = t.error_buffer[0] != '\0' ? t.error_buffer : api.easy_strerror(rc);
    std::string what = "fetching " + t.request.url + ": " + detail;
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT: {
        util::Error error = util::make_error(util::ErrorKind::timeout, what,
                                             "the server is slow or unreachable; try again later");
        error.code = "TimeoutExpired";
        return error;
    }
    case CURLE_FILESIZE_EXCEEDED:
        return size_limit_error(t.request);
    case CURLE_URL_MALFORMAT:
        return util::make_error(util::ErrorKind::invalid_input, what);
    case CURLE_UNSUPPORTED_PROTOCOL:
        return util::make_error(util::ErrorKind::unsupported, what,
                                "use an http://, https:// or file:// URL");
    case CURLE_FILE_COULDNT_READ_FILE:
        return util::make_error(util::ErrorKind::not_found, what);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return util::make_error(util::ErrorKind::network, what,
                                "check the network connection and any http_proxy/https_proxy settings");
    default:
        return util::make_error(util::ErrorKind::network, what);
    }
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto& t = *static_cast<Transfer*>(user);
    std::size_t n = size * count;
    if (t.request.http_errors == HttpErrors::fail && t.response.status >= 400) {
        Response copy;
        copy.status = t.response.status;
        copy.effective_url = t.request.url;
        t.abort_error = require_success(std::move(copy)).error();
        return n == 0 ? 1 : 0;
    }
    t.response.body_size += n;
    if (t.request.max_body_size != 0 && t.response.body_size > t.request.max_body_size) {
        t.abort_error = size_limit_error(t.request);
        return n == 0 ? 1 : 0; // any count other than n stops the transfer
    }
    if (t.request.on_chunk) {
        if (auto consumed = t.request.on_chunk(std::string_view(data, n)); !consumed) {
            t.abort_error = std::move(consumed).error();
            return n == 0 ? 1 : 0;
        }
    } else {
        t.response.body.append(data, n);
    }
    return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto& t = *static_cast<Transfer*>(user);
    std::string_view line(data, size * count);
    if (line.rfind("HTTP/", 0) == 0) {
        // A new status line: the headers of a redirect or 1xx response before it no longer apply.
        t.response.headers.clear();
        auto fields = util::split(util::trim(line), ' ');
        if (fields.size() >= 2) {
            t.response.status = static_cast<int>(util::parse_int(fields[1]).value_or(0));
        }
    } else if (auto colon = line.find(':'); colon != std::string_view::npos && colon > 0) {
        t.response.headers.emplace_back(std::string(util::trim(line.substr(0, colon))),
                                        std::string(util::trim(line.substr(colon + 1))));
    }
    return size * count;
}

int on_xferinfo(void* user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t, curl_off_t) {
    auto& t = *static_cast<Transfer*>(user);
    if (t.request.on_progress) {
        t.request.on_progress(static_cast<std::uint64_t>(dlnow < 0 ? 0 : dlnow),
                              static_cast<std::uint64_t>(dltotal < 0 ? 0 : dltotal));
    }
    return 0;
}

} // namespace

/// The loop-thread side of HttpClient: owns the multi handle and every transfer. All members are used on
/// the loop thread only (or, after the loop is gone, by the destructor's thread).
class HttpClient::Impl : public std::enable_shared_from_this<HttpClient::Impl> {
public:
    Impl(const CurlApi& api, EventLoop& loop) : m_api(api), m_loop(loop) {}
    ~Impl() {
        // teardown() ran already, unless create() failed half-way.
        if (m_multi != nullptr) {
            m_api.multi_cleanup(m_multi);
        }
    }

    util::Result<void> init() {
        m_multi = m_api.multi_init();
        if (m_multi == nullptr) {
            return util::fail(util::ErrorKind::internal, "curl_multi_init failed");
        }
        m_api.multi_setopt(m_multi, CURLMOPT_SOCKETFUNCTION, &Impl::socket_callback);
        m_api.multi_setopt(m_multi, CURLMOPT_SOCKETDATA, this);
        m_api.multi_setopt(m_multi, CURLMOPT_TIMERFUNCTION, &Impl::timer_callback);
        m_api.multi_setopt(m_multi, CURLMOPT_TIMERDATA, this);
        return util::ok();
    }

    const CurlApi& api() const { return m_api; }
    EventLoop& loop() { return m_loop; }
    std::uint64_t next_id() { return m_next_id.fetch_add(1); }
    std::size_t active() const { return m_active.load(); }

    void start(std::unique_ptr<Transfer> t) {
        auto keep = shared_from_this();
        if (m_multi == nullptr) {
            t->promise.set_error(
                core::runtime_error(core::RuntimeErrc::RuntimeShutdown, "HTTP client closed"));
            return;
        }
        if (t->request.token.is_cancelled()) {
            t->promise.set_error(cancelled_error(t->request));
            return;
        }
        if (auto configured = configure(*t); !configured) {
            release(*t);
            t->promise.set(util::fail(std::move(configured).error()));
            return;
        }
        if (CURLMcode rc = m_api.multi_add_handle(m_multi, t->easy); rc != CURLM_OK) {
            release(*t);
            t->promise.set_error(
                util::make_error(util::ErrorKind::internal,
                                 std::string("curl_multi_add_handle: ") + m_api.multi_strerror(rc)));
            return;
        }
        Transfer* raw = t.get();
        m_transfers.emplace(t->id, std::move(t));
        m_active.fetch_add(1);
        // Registered last: the callback may run right now (token already cancelled) and only posts.
        std::weak_ptr<Impl> weak = keep;
        EventLoop* loop = &m_loop;
        std::uint64_t id = raw->id;
        raw->cancel_id = raw->request.token.on_cancel([weak, loop, id] {
            loop->post([weak, id] {
                if (auto self = weak.lock()) {
                    self->cancel(id);
                }
            });
        });
    }

    void cancel(std::uint64_t id) {
        auto it = m_transfers.find(id);
        if (it == m_transfers.end()) {
            return; // completed meanwhile
        }
        std::unique_ptr<Transfer> t = std::move(it->second);
        m_transfers.erase(it);
        detach(*t);
        t->promise.set_error(cancelled_error(t->request));
    }

    // Cancels every transfer and releases the multi handle. `loop_alive` is false when the loop was
    // destroyed: then nothing may be unwatched or cancelled on it.
    void teardown(bool loop_alive) {
        auto keep = shared_from_this();
        m_loop_alive = loop_alive;
        std::vector<std::unique_ptr<Transfer>> pending;
        for (auto& [id, t] : m_transfers) {
            pending.push_back(std::move(t));
        }
        m_transfers.clear();
        for (auto& t : pending) {
            detach(*t);
        }
        if (m_multi != nullptr) {
            m_api.multi_cleanup(m_multi); // may still call the socket/timer callbacks
            m_multi = nullptr;
        }
        if (m_loop_alive) {
            for (auto& [fd, watch] : m_sockets) {
                m_loop.unwatch_fd(watch);
            }
            if (m_timer) {
                m_loop.cancel_timer(*m_timer);
            }
        }
        m_sockets.clear();
        m_timer.reset();
        for (auto& t : pending) {
            t->promise.set_error(core::runtime_error(core::RuntimeErrc::CancellationRequested,
                                                     "HTTP client closed while fetching " + t->request.url));
        }
    }

private:
    util::Result<void> configure(Transfer& t) {
        const Request& r = t.request;
        t.easy = m_api.easy_init();
        if (t.easy == nullptr) {
            return util::fail(util::ErrorKind::internal, "curl_easy_init failed");
        }
        for (const std::string& header : r.headers) {
            if (header.find_first_of("\r\n") != std::string::npos) {
                return util::fail(util::ErrorKind::invalid_input, "request header contains a line break");
            }
            curl_slist* grown = m_api.slist_append(t.headers, header.c_str());
            if (grown == nullptr) {
                return util::fail(util::ErrorKind::internal, "curl_slist_append failed");
            }
            t.headers = grown;
        }
        auto set = [&](CURLoption option, auto value) {
            return m_api.easy_setopt(t.easy, option, value);
        };
        CURLcode rc = CURLE_OK;
        auto check = [&](CURLcode c) {
            if (rc == CURLE_OK) {
                rc = c;
            }
        };
        check(set(CURLOPT_URL, r.url.c_str()));
        check(set(CURLOPT_PRIVATE, static_cast<void*>(&t)));
        check(set(CURLOPT_ERRORBUFFER, t.error_buffer));
        check(set(CURLOPT_NOSIGNAL, 1L));
        // Larger reads than libcurl's 16 KiB default: fewer loop wake-ups per MiB (the curl CLI uses 100
        // KiB).
        check(set(CURLOPT_BUFFERSIZE, 256L * 1024));
        // Only these schemes, and a redirect may never lead to file:// (or anything but HTTP).
        check(set(CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE)));
        check(set(CURLOPT_REDIR_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS)));
        check(set(CURLOPT_FOLLOWLOCATION, r.follow_redirects == FollowRedirects::yes ? 1L : 0L));
        check(set(CURLOPT_MAXREDIRS, static_cast<long>(r.max_redirects)));
        check(set(CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout.count())));
        check(set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout.count())));
        if (r.max_body_size != 0) {
            check(set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(r.max_body_size)));
        }
        if (r.accept_encoding == AcceptEncoding::any) {
            check(set(CURLOPT_ACCEPT_ENCODING, "")); // every encoding this libcurl can decode
        }
        check(set(CURLOPT_USERAGENT, "zsyncctl/" ZSYNCCTL_VERSION));
        check(set(CURLOPT_HTTPHEADER, t.headers));
        check(set(CURLOPT_WRITEFUNCTION, &on_body));
        check(set(CURLOPT_WRITEDATA, static_cast<void*>(&t)));
        check(set(CURLOPT_HEADERFUNCTION, &on_header));
        check(set(CURLOPT_HEADERDATA, static_cast<void*>(&t)));
        if (r.on_progress) {
            check(set(CURLOPT_XFERINFOFUNCTION, &on_xferinfo));
            check(set(CURLOPT_XFERINFODATA, static_cast<void*>(&t)));
            check(set(CURLOPT_NOPROGRESS, 0L));
        }
        if (rc != CURLE_OK) {
            return util::fail(util::ErrorKind::internal,
                              std::string("curl_easy_setopt: ") + m_api.easy_strerror(rc));
        }
        return util::ok();
    }

    // Removes a started transfer from the multi handle and frees its curl state.
    void detach(Transfer& t) {
        if (t.cancel_id) {
            t.request.token.remove_callback(*t.cancel_id);
            t.cancel_id.reset();
        }
        if (t.easy != nullptr && m_multi != nullptr) {
            m_api.multi_remove_handle(m_multi, t.easy);
        }
        m_active.fetch_sub(1);
        release(t);
    }

    void release(Transfer& t) {
        if (t.easy != nullptr) {
            m_api.easy_cleanup(t.easy);
            t.easy = nullptr;
        }
        if (t.headers != nullptr) {
            m_api.slist_free_all(t.headers);
            t.headers = nullptr;
        }
    }

    static int socket_callback(CURL*, curl_socket_t fd, int what, void* user, void*) {
        return static_cast<Impl*>(user)->on_socket_change(fd, what);
    }

    static int timer_callback(CURLM*, long timeout_ms, void* user) {
        return static_cast<Impl*>(user)->on_timer_change(timeout_ms);
    }

    int on_socket_change(curl_socket_t fd, int what) {
        if (!m_loop_alive) {
            return 0;
        }
        auto it = m_sockets.find(fd);
        if (what == CURL_POLL_REMOVE) {
            if (it != m_sockets.end()) {
                m_loop.unwatch_fd(it->second);
                m_sockets.erase(it);
            }
            return 0;
        }
        std::uint32_t events = ((what & CURL_POLL_IN) != 0 ? EventLoop::k_readable : 0U) |
                               ((what & CURL_POLL_OUT) != 0 ? EventLoop::k_writable : 0U);
        if (it != m_sockets.end()) {
            m_loop.modify_fd(it->second, events);
            return 0;
        }
        auto watch =
            m_loop.watch_fd(fd, events, [this, fd](std::uint32_t revents) { on_ready(fd, revents); });
        if (!watch) {
            return -1; // libcurl fails the transfers on this socket
        }
        m_sockets.emplace(fd, *watch);
        return 0;
    }

    int on_timer_change(long timeout_ms) {
        if (!m_loop_alive) {
            return 0;
        }
        if (m_timer) {
            m_loop.cancel_timer(*m_timer);
            m_timer.reset();
        }
        if (timeout_ms >= 0) {
            // Even a zero timeout goes through the loop: libcurl forbids calling socket_action from here.
            m_timer =
                m_loop.add_timer(EventLoop::Clock::now() + std::chrono::milliseconds(timeout_ms), [this] {
                    m_timer.reset();
                    on_timeout();
                });
        }
        return 0;
    }

    void on_ready(curl_socket_t fd, std::uint32_t revents) {
        auto keep = shared_from_this();
        int flags = ((revents & EventLoop::k_readable) != 0 ? CURL_CSELECT_IN : 0) |
                    ((revents & EventLoop::k_writable) != 0 ? CURL_CSELECT_OUT : 0);
        if ((revents & EventLoop::k_hangup) != 0) {
            flags |= CURL_CSELECT_IN; // read to EOF
        }
        if ((revents & EventLoop::k_error) != 0) {
            flags |= CURL_CSELECT_ERR | CURL_CSELECT_IN;
        }
        int running = 0;
        m_api.multi_socket_action(m_multi, fd, flags, &running);
        drain_completed();
    }

    void on_timeout() {
        auto keep = shared_from_this();
        int running = 0;
        m_api.multi_socket_action(m_multi, CURL_SOCKET_TIMEOUT, 0, &running);
        drain_completed();
    }

    void drain_completed() {
        int queued = 0;
        while (m_multi != nullptr) {
            CURLMsg* message = m_api.multi_info_read(m_multi, &queued);
            if (message == nullptr) {
                break;
            }
            if (message->msg != CURLMSG_DONE) {
                continue;
            }
            void* priv = nullptr;
            m_api.easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &priv);
            CURLcode rc = message->data.result;
            auto* raw = static_cast<Transfer*>(priv);
            auto it = m_transfers.find(raw->id);
            if (it == m_transfers.end()) {
                continue;
            }
            std::unique_ptr<Transfer> t = std::move(it->second);
            m_transfers.erase(it);
            util::Result<Response> outcome = collect(*t, rc);
            detach(*t);
            // Last: the continuation may start new transfers (they are posted, not run inline).
            t->promise.set(std::move(outcome));
        }
    }

    util::Result<Response> collect(Transfer& t, CURLcode rc) {
        if (t.abort_error) {
            return util::fail(std::move(*t.abort_error));
        }
        if (rc != CURLE_OK) {
            return util::fail(transfer_error(m_api, t, rc));
        }
        long status = 0;
        m_api.easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
        char* effective = nullptr;
        m_api.easy_getinfo(t.easy, CURLINFO_EFFECTIVE_URL, &effective);
        Response response = std::move(t.response);
        response.status = static_cast<int>(status);
        response.effective_url = effective != nullptr ? effective : t.request.url;
        if (t.request.http_errors == HttpErrors::fail) {
            return require_success(std::move(response));
        }
        return response;
    }

    const CurlApi& m_api;
    EventLoop& m_loop;
    CURLM* m_multi = nullptr;
    bool m_loop_alive = true;
    std::unordered_map<curl_socket_t, EventLoop::WatchId> m_sockets;
    std::optional<EventLoop::TimerId> m_timer;
    std::unordered_map<std::uint64_t, std::unique_ptr<Transfer>> m_transfers;
    std::atomic<std::uint64_t> m_next_id{1};
    std::atomic<std::size_t> m_active{0};
};

HttpClient::HttpClient(core::Runtime& runtime, std::shared_ptr<Impl> impl, util::Result<HttpCache> cache)
    : m_runtime(runtime), m_impl(std::move(impl)), m_cache(std::move(cache)) {}

util::Result<std::unique_ptr<HttpClient>> HttpClient::create(core::Runtime& runtime,
                                                             std::optional<HttpCache> cache) {
    auto api = load_curl();
    if (!api) {
        return util::fail(api.error());
    }
    auto loop = runtime.loop();
    if (!loop) {
        return util::fail(std::move(loop).error());
    }
    auto impl = std::make_shared<Impl>(**api, **loop);
    if (auto ready = impl->init(); !ready) {
        return util::fail(std::move(ready).error());
    }
    util::Result<HttpCache> chosen =
        cache ? util::Result<HttpCache>(std::move(*cache)) : HttpCache::open_default();
    return std::unique_ptr<HttpClient>(new HttpClient(runtime, std::move(impl), std::move(chosen)));
}

HttpClient::~HttpClient() {
    EventLoop& loop = m_impl->loop();
    // After Runtime::shutdown() the loop object is gone: tear down here without touching it.
    if (auto current = m_runtime.loop(); !current || *current != &loop) {
        m_impl->teardown(false);
        return;
    }
    if (loop.in_loop_thread()) {
        m_impl->teardown(true);
        return;
    }
    // The multi handle belongs to the loop thread: tear down there and wait. If the loop closes meanwhile
    // the task is dropped unrun, which fails `done`, and nothing runs on the loop any more.
    core::Promise<bool> promise;
    auto done = promise.future();
    bool posted = loop.post([impl = m_impl, p = std::move(promise)]() mutable {
        impl->teardown(true);
        p.set(true);
    });
    if (posted && done.wait().ok()) {
        return;
    }
    m_impl->teardown(false);
}

const HttpCache& HttpClient::cache() const {
    static const HttpCache k_none{std::filesystem::path()};
    return m_cache ? *m_cache : k_none;
}

std::string HttpClient::curl_description() const {
    return m_impl->api().library + " " + m_impl->api().version;
}

std::size_t HttpClient::active_transfers() const {
    return m_impl->active();
}

core::Future<Response> HttpClient::fetch(Request request) {
    // After Runtime::shutdown() the loop object is gone: refuse instead of touching it.
    if (auto current = m_runtime.loop(); !current || *current != &m_impl->loop()) {
        return core::Future<Response>::ready(util::fail(core::runtime_error(
            core::RuntimeErrc::RuntimeShutdown, "the HTTP client's runtime was shut down")));
    }
    auto transfer = std::make_unique<Transfer>();
    transfer->id = m_impl->next_id();
    transfer->request = std::move(request);
    core::Future<Response> future = transfer->promise.future();
    // When the loop is closed the task is destroyed unrun and the abandoned promise fails the future with
    // RuntimeShutdown.
    m_impl->loop().post([impl = m_impl, t = std::move(transfer)]() mutable { impl->start(std::move(t)); });
    return future;
}

} // namespace zsyncctl::net
