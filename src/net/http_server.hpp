#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event_loop.hpp"
#include "net/http_parser.hpp"
#include "util/result.hpp"
#include "util/unique_function.hpp"

namespace zsyncctl::net {

namespace detail {
struct Exchange;
class ServerState;
struct LoopThread;
} // namespace detail

/// The bounds and timeouts of an HttpServer.
struct HttpServerOptions {
    HttpLimits limits;
    /// From accept (or the first byte of a request) to its blank line: a slow head gets 408 and a close.
    std::chrono::milliseconds header_timeout{10'000};
    /// A keep-alive connection with no request in progress is closed after this long; also the longest a
    /// body or a response may make no progress.
    std::chrono::milliseconds idle_timeout{60'000};
    /// Connections held at once; accepting pauses at the limit.
    std::size_t max_connections = 100'000;
    /// Output buffered for one connection above which HttpResponder::write() returns false.
    std::size_t high_water_bytes = 64 * 1024;
    /// Event loops serving connections. 1: only the loop given to listen(). N > 1: that loop plus N-1
    /// loops (same backend), each on a thread the server owns, each with its own SO_REUSEPORT listening
    /// socket on the same address, so the kernel spreads connections over the loops. The handler then
    /// runs on any of them (a connection stays on its loop) and must be safe to call from those threads.
    std::size_t threads = 1;
};

/// What an HttpServer has answered since listen(), for /metrics: responses by status (the handlers' and
/// the server's own 4xx/5xx), the time from a request's head to its complete answer (handler answers
/// only), connections accepted, and answers cut short by the connection going away.
struct HttpServerStats {
    /// Upper bounds of the latency buckets in seconds (Prometheus' `le`); the last bucket is +Inf.
    static constexpr std::array<double, 12> k_latency_bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                             0.05,   0.1,   0.25,   1.0,   5.0,  30.0};
    std::map<int, std::uint64_t> responses;
    /// Answers per bucket (not cumulative); the last element counts those above every bound.
    std::array<std::uint64_t, k_latency_bounds.size() + 1> latency_buckets{};
    double latency_sum_seconds = 0;
    std::uint64_t latency_count = 0;
    std::uint64_t connections_accepted = 0;
    std::uint64_t aborted = 0;
    /// Connections accepted by each loop (the listen() loop first); one element with threads = 1.
    std::vector<std::uint64_t> connections_per_loop;
};

/// The answer to one request, handed to the handler. Cheap to copy (copies share the exchange). Answer
/// once: send() a whole response, or start() a stream, write() to it and end() it. A responder whose
/// last copy is dropped without an answer sends 500. HEAD requests get the headers only (write() data
/// is dropped). Calls after the connection is gone do nothing (is_open() tells).
///
/// Threads: every method on the loop thread of the connection (with HttpServerOptions::threads > 1,
/// the thread the handler was called on).
class HttpResponder {
public:
    /// Sends a complete response: `status`, `headers` (never Content-Length, Transfer-Encoding or
    /// Connection: the server sets them) and `body`. Ignored after the first answer.
    void send(int status, std::string_view body, std::vector<HttpHeader> headers = {});

    /// Starts a streamed response (chunked on HTTP/1.1, delimited by the close on HTTP/1.0).
    void start(int status, std::vector<HttpHeader> headers = {});

    /// Appends `data` to a started stream. Returns false once the connection's output buffer is above
    /// HttpServerOptions::high_water_bytes (the data is still queued): wait for on_drain() before more.
    bool write(std::string_view data);

    /// Runs `callback` once, when the output buffer falls to empty after a write() returned false (at
    /// once if it already is), or when the connection goes away while it waits (is_open() is then false,
    /// after on_close). Replaces an earlier callback.
    void on_drain(util::UniqueFunction<void()> callback);

    /// Ends a started stream (the terminating chunk); the connection moves on to the next request.
    void end();

    /// Runs `callback` once if the connection goes away (peer closed, error, timeout, forced shutdown)
    /// before the answer was complete: cancel the work behind it. Replaces an earlier callback.
    void on_close(util::UniqueFunction<void()> callback);

    /// True while the connection is there and the answer is not complete.
    bool is_open() const;

    /// The loop the connection is served on (with threads > 1, one of the server's loops): post work
    /// or timers there to answer later.
    core::EventLoop& loop() const;

    explicit HttpResponder(std::shared_ptr<detail::Exchange> exchange) : m_exchange(std::move(exchange)) {}

private:
    std::shared_ptr<detail::Exchange> m_exchange;
};

/// Handles one request: answer through `responder`, now or later on the loop thread.
using HttpHandler = util::UniqueFunction<void(const HttpRequest& request, HttpResponder responder)>;

/// An HTTP/1.1 server on one core::EventLoop: a non-blocking listening socket and every connection are
/// fd watches on that loop (no thread per connection). Keep-alive, pipelining (answers in request order,
/// one request handled at a time per connection), Expect: 100-continue, strict limits (431, 413) and
/// timeouts (408), 400/501/505 for malformed requests, lingering close after an error.
///
/// Threads: create with listen() on any thread before the loop runs or on the loop thread; port() and
/// address() anywhere; shutdown() and the destructor on the loop thread, or (the destructor) after the
/// loop stopped running for good.
class HttpServer {
public:
    /// Binds `address` ("127.0.0.1:7878", "[::1]:0", "localhost:8080"; numeric hosts only besides
    /// localhost; port 0 picks a free one) and serves it on `loop` with `handler`. Fails with invalid_input
    /// for a malformed address and io (the errno) when the socket cannot be bound or listened on.
    static util::Result<std::unique_ptr<HttpServer>> listen(core::EventLoop& loop, std::string_view address,
                                                            HttpHandler handler,
                                                            HttpServerOptions options = {});

    /// Closes the listening socket and every connection at once (their handlers see on_close()).
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// The bound port (the chosen one when 0 was asked for).
    std::uint16_t port() const;

    /// The bound address as "host:port" ("[v6]:port").
    std::string address() const;

    /// Graceful shutdown: stops accepting, closes idle connections, lets requests in progress finish
    /// (answered with Connection: close), and force-closes whatever is left after `grace`. `done` runs on
    /// the loop thread once no connection is left. A second call only moves the deadline earlier.
    void shutdown(std::chrono::milliseconds grace, util::UniqueFunction<void()> done);

    /// True when the last shutdown() had to force-close connections at its deadline (loop thread).
    bool shutdown_forced() const;

    /// A copy of the counters since listen(), summed over every loop (any thread).
    HttpServerStats stats() const;

    /// Open connections on every loop (tests and diagnostics; any thread).
    std::size_t connection_count() const;

    /// Requests whose head was parsed on every loop, since listen() (any thread).
    std::uint64_t requests_served() const;

    /// The number of loops serving (HttpServerOptions::threads).
    std::size_t loop_count() const { return 1 + m_workers.size(); }

private:
    explicit HttpServer(std::shared_ptr<detail::ServerState> state);
    /// Adds `count` loops on their own threads, each listening on the bound address
    /// (http_server_threads.cpp).
    util::Result<void> start_loops(std::size_t count);
    std::shared_ptr<detail::ServerState> m_state;
    std::vector<std::unique_ptr<detail::LoopThread>> m_workers;
};

/// A path router for an HttpServer: exact paths, a handler per method; GET handlers also answer HEAD.
/// An unknown path is 404, a known path with another method 405 with Allow. Not thread-safe; build it
/// before the server starts, then it is only read.
class HttpRouter {
public:
    /// Routes `method` on `path` (exact match, no query) to `handler`; a later route replaces an earlier.
    HttpRouter& route(std::string_view method, std::string_view path, HttpHandler handler);

    /// Dispatches `request`: the route's handler, or a 404/405 answer.
    void handle(const HttpRequest& request, HttpResponder responder);

private:
    struct Route {
        std::string method;
        std::string path;
        std::shared_ptr<HttpHandler> handler;
    };
    std::vector<Route> m_routes;
};

/// The convenience entry point: listen(loop, address, handler) with default options.
inline util::Result<std::unique_ptr<HttpServer>> listen(core::EventLoop& loop, std::string_view address,
                                                        HttpHandler handler) {
    return HttpServer::listen(loop, address, std::move(handler));
}

} // namespace zsyncctl::net
