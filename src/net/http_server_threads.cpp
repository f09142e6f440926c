// The multi-loop side of HttpServer: the loops it owns (HttpServerOptions::threads > 1), shutdown and
// destruction across every loop, and the counters summed over them.
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <thread>

#include "net/http_server.hpp"
#include "net/http_server_internal.hpp"

namespace zsyncctl::net {

HttpServer::HttpServer(std::shared_ptr<detail::ServerState> state) : m_state(std::move(state)) {}

util::Result<void> HttpServer::start_loops(std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        auto loop = core::EventLoop::create(m_state->loop.backend());
        if (!loop) {
            return util::fail(std::move(loop).error());
        }
        socklen_t len = m_state->bound.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
        auto fd = detail::open_listener(m_state->bound, len, true, "cannot listen on " + address());
        if (!fd) {
            return util::fail(std::move(fd).error());
        }
        auto worker = std::make_unique<detail::LoopThread>();
        worker->loop = std::move(*loop);
        worker->state =
            std::make_shared<detail::ServerState>(*worker->loop, *fd, m_state->handler, m_state->options);
        worker->state->bound = m_state->bound;
        worker->state->start_accepting(); // before run(): registration from this thread is allowed
        core::EventLoop* raw = worker->loop.get();
        worker->thread = std::thread([raw] { (void)raw->run(); });
        m_workers.push_back(std::move(worker));
    }
    return util::ok();
}

HttpServer::~HttpServer() {
    // Every owned loop closes its share on its own thread and stops; then the caller's share.
    for (auto& w : m_workers) {
        detail::ServerState* state = w->state.get();
        core::EventLoop* loop = w->loop.get();
        if (!loop->post([state, loop] {
                state->close_all();
                loop->stop();
            })) {
            loop->stop();
        }
    }
    for (auto& w : m_workers) {
        if (w->thread.joinable()) {
            w->thread.join();
        }
    }
    // Only now: a handler on a loop still running may have been reading every loop's counters.
    for (auto& w : m_workers) {
        w->state->close_all(); // the loop is not running: a no-op unless the task never ran
        w->state.reset();
        w->loop.reset();
    }
    m_workers.clear();
    m_state->close_all();
}

namespace {

/// Counts the loops still draining; runs the caller's `done` on the caller's loop after the last.
struct DrainGate {
    std::size_t left = 0;
    util::UniqueFunction<void()> done;
    void arrive() {
        if (left > 0 && --left == 0 && done) {
            auto callback = std::move(done);
            done = nullptr;
            callback();
        }
    }
};

} // namespace

void HttpServer::shutdown(std::chrono::milliseconds grace, util::UniqueFunction<void()> done) {
    auto deadline = core::EventLoop::Clock::now() + grace;
    if (m_workers.empty()) {
        m_state->begin_drain(deadline, std::move(done));
        return;
    }
    std::shared_ptr<DrainGate> gate;
    if (done) {
        gate = std::make_shared<DrainGate>();
        gate->left = 1 + m_workers.size();
        gate->done = std::move(done);
    }
    core::EventLoop* home = &m_state->loop;
    for (auto& w : m_workers) {
        detail::ServerState* state = w->state.get();
        w->loop->post([state, deadline, home, gate] {
            util::UniqueFunction<void()> arrived;
            if (gate) {
                arrived = [home, gate] {
                    home->post([gate] { gate->arrive(); });
                };
            }
            state->begin_drain(deadline, std::move(arrived));
        });
    }
    util::UniqueFunction<void()> arrived;
    if (gate) {
        arrived = [gate] {
            gate->arrive();
        };
    }
    m_state->begin_drain(deadline, std::move(arrived));
}

bool HttpServer::shutdown_forced() const {
    bool forced = m_state->drain_forced.load();
    for (const auto& w : m_workers) {
        forced = forced || w->state->drain_forced.load();
    }
    return forced;
}

HttpServerStats HttpServer::stats() const {
    HttpServerStats total = m_state->stats_copy();
    total.connections_per_loop.assign(1, total.connections_accepted);
    for (const auto& w : m_workers) {
        HttpServerStats s = w->state->stats_copy();
        for (const auto& [status, n] : s.responses) {
            total.responses[status] += n;
        }
        for (std::size_t i = 0; i < total.latency_buckets.size(); ++i) {
            total.latency_buckets[i] += s.latency_buckets[i];
        }
        total.latency_sum_seconds += s.latency_sum_seconds;
        total.latency_count += s.latency_count;
        total.connections_accepted += s.connections_accepted;
        total.aborted += s.aborted;
        total.connections_per_loop.push_back(s.connections_accepted);
    }
    return total;
}

std::size_t HttpServer::connection_count() const {
    std::size_t n = m_state->open_connections.load();
    for (const auto& w : m_workers) {
        n += w->state->open_connections.load();
    }
    return n;
}

std::uint64_t HttpServer::requests_served() const {
    std::uint64_t n = m_state->requests.load();
    for (const auto& w : m_workers) {
        n += w->state->requests.load();
    }
    return n;
}

} // namespace zsyncctl::net
