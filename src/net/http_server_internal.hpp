#pragma once

// The parts of the HTTP server shared by http_server.cpp (listening, accepting, shutdown, the responder)
// and http_server_connection.cpp (one connection's state machine). Everything here belongs to the loop
// thread.

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "core/event_loop.hpp"
#include "net/http_parser.hpp"
#include "net/http_server.hpp"
#include "util/recycling_allocator.hpp"

namespace zsyncctl::net::detail {

class Connection;

/// One request's answer in progress; shared by the HttpResponder copies. The connection points at it
/// (m_exchange) and it at the connection while both live; whichever goes first clears the other's link.
struct Exchange {
    Connection* conn = nullptr;
    core::EventLoop* loop = nullptr; // the connection's loop
    bool head = false;               // a HEAD request: headers only
    bool answered = false;           // send() or start() happened
    bool streaming = false;          // start() happened and end() did not
    bool chunked = false;            // the stream uses chunked coding (else it ends with the close)
    bool want_drain = false;
    int status = 0;                               // the answer's status once answered
    core::EventLoop::Clock::time_point started{}; // when the handler got the request
    util::UniqueFunction<void()> on_drain;
    util::UniqueFunction<void()> on_close;
    /// An exchange dropped without an answer sends 500.
    ~Exchange();
};

/// Opens a non-blocking listening socket bound to `address` (SO_REUSEPORT when `reuseport`, so that
/// every loop of a multi-threaded server has its own). Returns the fd or the errno.
util::Result<int> open_listener(const sockaddr_storage& address, socklen_t length, bool reuseport,
                                std::string_view what);

/// One loop's share of a server: its listening socket, its connections and the shared settings.
/// Everything but the counters behind `stats_mutex` and `open_connections` belongs to its loop's thread.
class ServerState : public std::enable_shared_from_this<ServerState> {
public:
    ServerState(core::EventLoop& loop, int fd, std::shared_ptr<HttpHandler> handler,
                HttpServerOptions options)
        : loop(loop), listen_fd(fd), handler(std::move(handler)), options(options) {}
    ~ServerState();

    void start_accepting();
    void on_accept();
    void pause_accepting(std::chrono::milliseconds retry);
    void resume_accepting();
    void stop_listening();
    /// Drops `conn` from the table (it has closed itself); finishes a graceful shutdown when it was the last.
    void remove(Connection* conn);
    void close_all();
    void check_drained();
    /// Graceful shutdown of this loop's share (see HttpServer::shutdown); `done` runs on this loop.
    void begin_drain(core::EventLoop::Clock::time_point deadline, util::UniqueFunction<void()> done);
    void count_aborted();
    /// A copy of the counters (any thread).
    HttpServerStats stats_copy() const;
    /// The Date header's value for now, cached per second.
    const std::string& date();

    core::EventLoop& loop;
    int listen_fd;
    core::EventLoop::WatchId listen_watch = 0;
    bool accept_paused = false;
    core::EventLoop::TimerId retry_timer = 0;
    std::shared_ptr<HttpHandler> handler; // shared by every loop of the server
    HttpServerOptions options;
    std::unordered_map<Connection*, std::shared_ptr<Connection>> connections;
    std::atomic<std::size_t> open_connections{0};
    std::atomic<std::uint64_t> requests{0};
    /// The loop's parser output, shared by its connections (a parse is swapped into the connection's
    /// request at once): the strings' and header vectors' capacity circulates instead of being
    /// allocated per request, and the connections stay small.
    HeadParse parse;
    sockaddr_storage bound{};
    bool draining = false;
    core::EventLoop::TimerId drain_timer = 0;
    util::UniqueFunction<void()> drain_done;
    std::atomic<bool> drain_forced{false};
    mutable std::mutex stats_mutex;
    HttpServerStats stats; // behind stats_mutex; the per-answer counters are the atomics below
    /// Counts one complete answer with `status`; `started` (when set) also feeds the latency histogram.
    void record(int status, core::EventLoop::Clock::time_point started,
                core::EventLoop::Clock::time_point now = {});

    /// The head's first lines for a 200 answer: status line and Date, cached per second like date().
    const std::string& head_200();

private:
    /// A counter written only by this loop's thread and read by any: a relaxed load and store, no
    /// locked instruction per answer.
    static void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
        counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
    }
    static constexpr int k_first_status = 100;
    static constexpr int k_last_status = 599;
    /// Answers by status (100-599; others go to stats.responses under the mutex).
    std::array<std::atomic<std::uint64_t>, k_last_status - k_first_status + 1> m_status_counts{};
    std::array<std::atomic<std::uint64_t>, HttpServerStats::k_latency_bounds.size() + 1> m_latency_buckets{};
    std::atomic<std::uint64_t> m_latency_ns{0};
    std::atomic<std::uint64_t> m_latency_count{0};
    std::time_t m_date_second = 0;
    std::string m_date;
    std::string m_head_200;
    std::time_t m_head_second = 0; // the second m_head_200's Date is for
};

/// A loop owned by a multi-threaded server, its thread and its share of the server. The state goes
/// before the loop it is registered on.
struct LoopThread {
    std::unique_ptr<core::EventLoop> loop;
    std::shared_ptr<ServerState> state;
    std::thread thread;
};

/// One accepted connection: reads and parses requests, runs the handler, writes answers, times out.
class Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(ServerState& server, int fd) : m_server(server), m_fd(fd) {}
    ~Connection();

    void start();
    /// Closes the socket at once; an exchange in progress sees on_close().
    void close();
    /// The server is draining: close now if idle, else after the answer in progress.
    void drain();

    // The responder's side.
    void send_response(Exchange& ex, int status, std::string_view body,
                       const std::vector<HttpHeader>& headers);
    void start_stream(Exchange& ex, int status, const std::vector<HttpHeader>& headers);
    bool write_chunk(Exchange& ex, std::string_view data);
    void end_stream(Exchange& ex);
    bool output_pending() const { return m_sending || !m_out.empty(); }
    void exchange_gone(Exchange& ex);

private:
    enum class Phase { head, body, handling, lingering, closed };
    enum class Deadline { none, header, idle, body, write, linger };

    void on_recv(std::string_view data, int error);
    void on_sent(int error, std::string& buffer);
    void flushed();
    void process();
    void dispatch(core::EventLoop::Clock::time_point now);
    void fail(int status, std::string_view reason);
    void finish_exchange();
    void flush();
    void begin_linger();
    void update_interest();
    /// `now` when the caller has read the clock already.
    void set_deadline(Deadline kind, std::chrono::milliseconds after,
                      core::EventLoop::Clock::time_point now = {});
    void arm_timer(core::EventLoop::Clock::time_point at);
    void on_timer();
    void append_head(int status, const std::vector<HttpHeader>& headers, bool keep_alive);
    std::size_t buffered_input() const { return m_in.size() - m_in_pos; }

    ServerState& m_server;
    int m_fd;
    bool m_reading = false; // a recv_async is in flight
    bool m_sending = false; // a send_async is in flight
    std::size_t m_sending_bytes = 0;
    std::string m_spare; // the last sent buffer, for its capacity
    Phase m_phase = Phase::head;
    std::string m_in;
    std::size_t m_in_pos = 0;
    std::string m_out;
    HttpRequest m_request;
    BodyFraming m_framing = BodyFraming::none;
    std::uint64_t m_body_left = 0;
    std::unique_ptr<ChunkedDecoder> m_chunked;
    Exchange* m_exchange = nullptr;
    bool m_keep_alive = true;
    bool m_peer_eof = false;
    bool m_processing = false;
    bool m_close_after_flush = false;
    Deadline m_deadline_kind = Deadline::none;
    core::EventLoop::Clock::time_point m_deadline{};
    core::EventLoop::TimerId m_timer = 0;
    bool m_timer_armed = false;
    core::EventLoop::Clock::time_point m_timer_at{};
};

} // namespace zsyncctl::net::detail
