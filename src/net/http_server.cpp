#include "net/http_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "net/http_server_internal.hpp"

namespace zsyncctl::net {

namespace detail {

Exchange::~Exchange() {
    if (conn != nullptr) {
        conn->exchange_gone(*this);
    }
}

ServerState::~ServerState() {
    close_all();
}

void ServerState::start_accepting() {
    if (listen_fd < 0 || listen_watch != 0) {
        return;
    }
    std::weak_ptr<ServerState> weak = weak_from_this();
    auto watched = loop.watch_fd(listen_fd, core::EventLoop::k_readable, [weak](std::uint32_t) {
        if (auto self = weak.lock()) {
            self->on_accept();
        }
    });
    if (watched) {
        listen_watch = *watched;
    }
}

void ServerState::on_accept() {
    // A bounded batch per wake-up so one busy listener cannot starve the connections.
    for (int i = 0; i < 64 && listen_fd >= 0; ++i) {
        if (connections.size() >= options.max_connections) {
            pause_accepting(std::chrono::milliseconds(0));
            return;
        }
        int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            int err = errno;
            if (err == EINTR || err == ECONNABORTED || err == EPROTO) {
                continue;
            }
            if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
                // Out of fds: stop polling the listener for a moment instead of spinning on it.
                pause_accepting(std::chrono::milliseconds(100));
            }
            return;
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        {
            std::lock_guard<std::mutex> lock(stats_mutex);
            ++stats.connections_accepted;
        }
        auto conn = std::make_shared<Connection>(*this, fd);
        Connection* key = conn.get();
        connections.emplace(key, std::move(conn));
        open_connections.store(connections.size(), std::memory_order_relaxed);
        key->start();
    }
}

void ServerState::pause_accepting(std::chrono::milliseconds retry) {
    if (accept_paused || listen_watch == 0) {
        return;
    }
    accept_paused = true;
    loop.modify_fd(listen_watch, 0);
    if (retry.count() > 0) {
        std::weak_ptr<ServerState> weak = weak_from_this();
        retry_timer = loop.add_timer(core::EventLoop::Clock::now() + retry, [weak] {
            if (auto self = weak.lock()) {
                self->retry_timer = 0;
                self->resume_accepting();
            }
        });
    }
}

void ServerState::resume_accepting() {
    if (!accept_paused || listen_watch == 0 || draining) {
        return;
    }
    accept_paused = false;
    loop.modify_fd(listen_watch, core::EventLoop::k_readable);
}

void ServerState::stop_listening() {
    if (listen_watch != 0) {
        loop.unwatch_fd(listen_watch);
        listen_watch = 0;
    }
    if (retry_timer != 0) {
        loop.cancel_timer(retry_timer);
        retry_timer = 0;
    }
    if (listen_fd >= 0) {
        ::close(listen_fd);
        listen_fd = -1;
    }
}

void ServerState::remove(Connection* conn) {
    auto it = connections.find(conn);
    if (it == connections.end()) {
        return;
    }
    // The caller holds its own reference; destroy ours after the table is consistent.
    std::shared_ptr<Connection> keep = std::move(it->second);
    connections.erase(it);
    open_connections.store(connections.size(), std::memory_order_relaxed);
    if (accept_paused && retry_timer == 0 && connections.size() < options.max_connections) {
        resume_accepting();
    }
    check_drained();
}

void ServerState::close_all() {
    stop_listening();
    if (drain_timer != 0) {
        loop.cancel_timer(drain_timer);
        drain_timer = 0;
    }
    while (!connections.empty()) {
        std::shared_ptr<Connection> conn = connections.begin()->second;
        conn->close(); // removes itself
    }
}

void ServerState::count_aborted() {
    std::lock_guard<std::mutex> lock(stats_mutex);
    ++stats.aborted;
}

HttpServerStats ServerState::stats_copy() const {
    HttpServerStats out;
    {
        std::lock_guard<std::mutex> lock(stats_mutex);
        out = stats;
    }
    for (std::size_t i = 0; i < m_status_counts.size(); ++i) {
        if (std::uint64_t n = m_status_counts[i].load(std::memory_order_relaxed); n != 0) {
            out.responses[k_first_status + static_cast<int>(i)] += n;
        }
    }
    for (std::size_t i = 0; i < m_latency_buckets.size(); ++i) {
        out.latency_buckets[i] = m_latency_buckets[i].load(std::memory_order_relaxed);
    }
    out.latency_count = m_latency_count.load(std::memory_order_relaxed);
    out.latency_sum_seconds = static_cast<double>(m_latency_ns.load(std::memory_order_relaxed)) / 1e9;
    return out;
}

void ServerState::record(int status, core::EventLoop::Clock::time_point started,
                         core::EventLoop::Clock::time_point now) {
    // Loop thread only (the single writer of the atomics); stats_copy() reads them from any thread.
    if (status >= k_first_status && status <= k_last_status) {
        bump(m_status_counts[static_cast<std::size_t>(status - k_first_status)]);
    } else {
        std::lock_guard<std::mutex> lock(stats_mutex);
        ++stats.responses[status];
    }
    if (started == core::EventLoop::Clock::time_point{}) {
        return;
    }
    if (now == core::EventLoop::Clock::time_point{}) {
        now = core::EventLoop::Clock::now();
    }
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - started).count();
    const double seconds = static_cast<double>(ns) / 1e9;
    std::size_t i = 0;
    while (i < HttpServerStats::k_latency_bounds.size() && seconds > HttpServerStats::k_latency_bounds[i]) {
        ++i;
    }
    bump(m_latency_buckets[i]);
    bump(m_latency_ns, ns > 0 ? static_cast<std::uint64_t>(ns) : 0);
    bump(m_latency_count);
}

void ServerState::check_drained() {
    if (!draining || !connections.empty() || !drain_done) {
        return;
    }
    if (drain_timer != 0) {
        loop.cancel_timer(drain_timer);
        drain_timer = 0;
    }
    auto done = std::move(drain_done);
    drain_done = nullptr;
    done();
}

void ServerState::begin_drain(core::EventLoop::Clock::time_point deadline,
                              util::UniqueFunction<void()> done) {
    if (done) {
        drain_done = std::move(done);
    }
    if (!draining) {
        draining = true;
        stop_listening();
        std::vector<std::shared_ptr<Connection>> all;
        all.reserve(connections.size());
        for (auto& [key, conn] : connections) {
            all.push_back(conn);
        }
        for (auto& conn : all) {
            conn->drain();
        }
    } else if (drain_timer != 0) {
        loop.cancel_timer(drain_timer);
        drain_timer = 0;
    }
    if (!connections.empty()) {
        std::weak_ptr<ServerState> weak = weak_from_this();
        drain_timer = loop.add_timer(deadline, [weak] {
            if (auto self = weak.lock()) {
                self->drain_timer = 0;
                self->drain_forced = !self->connections.empty();
                self->close_all(); // the last remove() runs drain_done
            }
        });
    }
    check_drained();
}

util::Result<int> open_listener(const sockaddr_storage& address, socklen_t length, bool reuseport,
                                std::string_view what) {
    int family = address.ss_family;
    int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return util::fail(util::errno_error("socket", errno));
    }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (reuseport) {
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    }
    if (family == AF_INET6) {
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    }
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0 ||
        ::listen(fd, SOMAXCONN) != 0) {
        int err = errno;
        ::close(fd);
        return util::fail(util::errno_error(what, err));
    }
    return fd;
}

const std::string& ServerState::date() {
    std::time_t now = std::time(nullptr);
    if (now != m_date_second || m_date.empty()) {
        std::tm tm{};
        ::gmtime_r(&now, &tm);
        char buf[64];
        static constexpr const char* k_days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static constexpr const char* k_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", k_days[tm.tm_wday % 7],
                      tm.tm_mday, k_months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                      tm.tm_sec);
        m_date = buf;
        m_date_second = now;
    }
    return m_date;
}

const std::string& ServerState::head_200() {
    const std::string& d = date();
    if (m_head_200.empty() || m_head_second != m_date_second) {
        m_head_200 = "HTTP/1.1 200 OK\r\nDate: ";
        m_head_200 += d;
        m_head_200 += "\r\n";
        m_head_second = m_date_second;
    }
    return m_head_200;
}

} // namespace detail

namespace {

struct ParsedAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
};

util::Result<ParsedAddress> parse_address(std::string_view address) {
    auto bad = [&](std::string_view why) {
        return util::fail(util::ErrorKind::invalid_input,
                          "invalid listen address '" + std::string(address) + "': " + std::string(why));
    };
    std::string host;
    std::string_view port_text;
    if (!address.empty() && address.front() == '[') {
        std::size_t close = address.find("]:");
        if (close == std::string_view::npos) {
            return bad("expected [IPv6]:PORT");
        }
        host.assign(address.substr(1, close - 1));
        port_text = address.substr(close + 2);
    } else {
        std::size_t colon = address.rfind(':');
        if (colon == std::string_view::npos) {
            return bad("expected HOST:PORT");
        }
        host.assign(address.substr(0, colon));
        port_text = address.substr(colon + 1);
        if (host.find(':') != std::string::npos) {
            return bad("write an IPv6 address in brackets: [::1]:PORT");
        }
    }
    if (port_text.empty() || port_text.size() > 5 ||
        port_text.find_first_not_of("0123456789") != std::string_view::npos) {
        return bad("the port must be a number from 0 to 65535");
    }
    unsigned long port = std::stoul(std::string(port_text));
    if (port > 65535) {
        return bad("the port must be a number from 0 to 65535");
    }
    if (host == "localhost") {
        host = "127.0.0.1";
    }
    ParsedAddress out;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<std::uint16_t>(port));
        out.length = sizeof(sockaddr_in);
    } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<std::uint16_t>(port));
        out.length = sizeof(sockaddr_in6);
    } else {
        return bad("the host must be a numeric IPv4 or IPv6 address or localhost");
    }
    return out;
}

} // namespace

util::Result<std::unique_ptr<HttpServer>> HttpServer::listen(core::EventLoop& loop, std::string_view address,
                                                             HttpHandler handler, HttpServerOptions options) {
    auto parsed = parse_address(address);
    if (!parsed) {
        return util::fail(std::move(parsed).error());
    }
    auto fd = detail::open_listener(parsed->storage, parsed->length, options.threads > 1,
                                    "cannot listen on " + std::string(address));
    if (!fd) {
        return util::fail(std::move(fd).error());
    }
    auto state = std::make_shared<detail::ServerState>(
        loop, *fd, std::make_shared<HttpHandler>(std::move(handler)), options);
    socklen_t len = sizeof state->bound;
    ::getsockname(*fd, reinterpret_cast<sockaddr*>(&state->bound), &len);
    std::unique_ptr<HttpServer> server(new HttpServer(state));
    if (options.threads > 1) {
        auto started = server->start_loops(options.threads - 1);
        if (!started) {
            return util::fail(std::move(started).error());
        }
    }
    if (loop.in_loop_thread()) {
        state->start_accepting();
    } else {
        std::weak_ptr<detail::ServerState> weak = state;
        loop.post([weak] {
            if (auto s = weak.lock()) {
                s->start_accepting();
            }
        });
    }
    return server;
}

std::uint16_t HttpServer::port() const {
    if (m_state->bound.ss_family == AF_INET6) {
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&m_state->bound)->sin6_port);
    }
    return ntohs(reinterpret_cast<const sockaddr_in*>(&m_state->bound)->sin_port);
}

std::string HttpServer::address() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (m_state->bound.ss_family == AF_INET6) {
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&m_state->bound)->sin6_addr, buf,
                    sizeof buf);
        return "[" + std::string(buf) + "]:" + std::to_string(port());
    }
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&m_state->bound)->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port());
}

void HttpResponder::send(int status, std::string_view body, std::vector<HttpHeader> headers) {
    detail::Exchange& ex = *m_exchange;
    if (ex.conn == nullptr || ex.answered) {
        return;
    }
    ex.conn->send_response(ex, status, body, headers);
}

void HttpResponder::start(int status, std::vector<HttpHeader> headers) {
    detail::Exchange& ex = *m_exchange;
    if (ex.conn == nullptr || ex.answered) {
        return;
    }
    ex.conn->start_stream(ex, status, headers);
}

bool HttpResponder::write(std::string_view data) {
    detail::Exchange& ex = *m_exchange;
    if (ex.conn == nullptr || !ex.streaming) {
        return false;
    }
    return ex.conn->write_chunk(ex, data);
}

void HttpResponder::on_drain(util::UniqueFunction<void()> callback) {
    detail::Exchange& ex = *m_exchange;
    if (ex.conn == nullptr) {
        return;
    }
    if (!ex.conn->output_pending()) {
        callback();
        return;
    }
    ex.want_drain = true;
    ex.on_drain = std::move(callback);
}

void HttpResponder::end() {
    detail::Exchange& ex = *m_exchange;
    if (ex.conn == nullptr || !ex.streaming) {
        return;
    }
    ex.conn->end_stream(ex);
}

void HttpResponder::on_close(util::UniqueFunction<void()> callback) {
    detail::Exchange& ex = *m_exchange;
    if (ex.conn == nullptr) {
        return;
    }
    ex.on_close = std::move(callback);
}

bool HttpResponder::is_open() const {
    return m_exchange->conn != nullptr;
}

core::EventLoop& HttpResponder::loop() const {
    return *m_exchange->loop;
}

HttpRouter& HttpRouter::route(std::string_view method, std::string_view path, HttpHandler handler) {
    auto shared = std::make_shared<HttpHandler>(std::move(handler));
    for (auto& r : m_routes) {
        if (r.method == method && r.path == path) {
            r.handler = std::move(shared);
            return *this;
        }
    }
    m_routes.push_back(Route{std::string(method), std::string(path), std::move(shared)});
    return *this;
}

void HttpRouter::handle(const HttpRequest& request, HttpResponder responder) {
    std::string allow;
    bool head = request.method == "HEAD";
    const Route* get_route = nullptr;
    for (const auto& r : m_routes) {
        if (r.path != request.path) {
            continue;
        }
        if (r.method == request.method) {
            (*r.handler)(request, std::move(responder));
            return;
        }
        if (head && r.method == "GET") {
            get_route = &r;
        }
        allow += allow.empty() ? "" : ", ";
        allow += r.method;
        if (r.method == "GET") {
            allow += ", HEAD";
        }
    }
    if (get_route != nullptr) {
        (*get_route->handler)(request, std::move(responder));
        return;
    }
    if (allow.empty()) {
        responder.send(404, "not found\n", {{"Content-Type", "text/plain; charset=utf-8"}});
        return;
    }
    responder.send(405, "method not allowed\n",
                   {{"Content-Type", "text/plain; charset=utf-8"}, {"Allow", std::move(allow)}});
}

} // namespace zsyncctl::net
