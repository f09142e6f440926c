// The HTTP server with several loop threads (HttpServerOptions::threads): SO_REUSEPORT listeners, one per
// loop, connections spread over the loops, graceful shutdown across every loop, start/stop without leaks.
// Each case on both loop backends, raw-socket clients on 127.0.0.1.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/event_loop.hpp"
#include "core_loop_helpers.hpp"
#include "http_test_client.hpp"
#include "net/http_server.hpp"
#include "thread_count.hpp"

using namespace zsyncctl;
using namespace zsyncctl::test;
using namespace std::chrono_literals;

namespace {

net::HttpServerOptions with_threads(std::size_t n) {
    net::HttpServerOptions options;
    options.threads = n;
    return options;
}

std::size_t loops_used(const net::HttpServerStats& stats) {
    std::size_t used = 0;
    for (auto n : stats.connections_per_loop) {
        used += n > 0 ? 1 : 0;
    }
    return used;
}

} // namespace

TEST_CASE("HttpServer with 2 and 4 loop threads answers many keep-alive clients on several loops") {
    for (auto backend : test_support::backends()) {
        for (std::size_t threads : {std::size_t{2}, std::size_t{4}}) {
            CAPTURE(core::to_string(backend));
            CAPTURE(threads);
            std::mutex mutex;
            std::set<std::thread::id> handler_threads;
            TestServer ts(
                backend,
                [&](const net::HttpRequest& req, net::HttpResponder res) {
                    {
                        std::lock_guard<std::mutex> lock(mutex);
                        handler_threads.insert(std::this_thread::get_id());
                    }
                    echo(req, std::move(res));
                },
                with_threads(threads));
            REQUIRE(ts.server->loop_count() == threads);
            constexpr int k_clients = 64;
            std::vector<std::unique_ptr<Client>> clients;
            for (int i = 0; i < k_clients; ++i) {
                clients.push_back(std::make_unique<Client>(ts.port()));
            }
            int answered = 0;
            for (int round = 0; round < 3; ++round) {
                for (int i = 0; i < k_clients; ++i) { // all open at once, each keep-alive
                    std::string path = "/" + std::to_string(i) + "/" + std::to_string(round);
                    REQUIRE(clients[static_cast<std::size_t>(i)]->send(get(path)));
                    Reply r = clients[static_cast<std::size_t>(i)]->read();
                    answered += r.status == 200 && r.body == "GET " + path ? 1 : 0;
                }
            }
            CHECK(answered == 3 * k_clients);
            net::HttpServerStats stats = ts.server->stats();
            REQUIRE(stats.connections_per_loop.size() == threads);
            CHECK(stats.connections_accepted == k_clients);
            CHECK(stats.responses[200] == 3 * k_clients);
            CHECK(loops_used(stats) >= 2);
            CHECK(ts.server->requests_served() == 3 * k_clients);
            CHECK(ts.server->connection_count() == k_clients);
            std::lock_guard<std::mutex> lock(mutex);
            CHECK(handler_threads.size() >= 2);
        }
    }
}

TEST_CASE("HttpServer with 4 loop threads: shutdown finishes requests in progress on every loop") {
    for (auto backend : test_support::backends()) {
        CAPTURE(core::to_string(backend));
        TestServer ts(
            backend,
            [](const net::HttpRequest&, net::HttpResponder res) {
                // Answered 300 ms later on the connection's own loop.
                res.loop().add_timer(core::EventLoop::Clock::now() + 300ms,
                                     [res]() mutable { res.send(200, "late"); });
            },
            with_threads(4));
        std::uint16_t port = ts.port();
        std::vector<std::unique_ptr<Client>> busy;
        std::vector<std::unique_ptr<Client>> idle;
        for (int i = 0; i < 24; ++i) {
            busy.push_back(std::make_unique<Client>(port));
            idle.push_back(std::make_unique<Client>(port));
            REQUIRE(busy.back()->send(get("/work")));
        }
        std::this_thread::sleep_for(100ms);
        net::HttpServerStats before = ts.server->stats();
        CHECK(before.connections_accepted == 48);
        CHECK(loops_used(before) >= 2);
        test_support::Latch done;
        ts.lt.sync([&] { ts.server->shutdown(5s, [&done] { done.hit(); }); });
        int late = 0;
        for (auto& c : busy) {
            Reply r = c->read();
            late += r.body == "late" && r.headers["connection"] == "close" ? 1 : 0;
        }
        CHECK(late == 24);
        for (auto& c : idle) {
            CHECK(c->closed_within(2000ms));
        }
        CHECK(done.wait_for_count(1, 5000ms));
        ts.lt.sync([&] { CHECK(!ts.server->shutdown_forced()); });
        CHECK(ts.server->connection_count() == 0);
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        CHECK(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0); // every listener closed
        ::close(fd);
    }
}

TEST_CASE("HttpServer with 2 and 4 loop threads starts and stops 50 times without leaking fds or threads") {
    for (auto backend : test_support::backends()) {
        for (std::size_t threads : {std::size_t{2}, std::size_t{4}}) {
            CAPTURE(core::to_string(backend));
            CAPTURE(threads);
            LoopThread lt(backend);
            std::size_t fds = open_fds();
            std::size_t thread_count = test_support::user_thread_count();
            for (int i = 0; i < 50; ++i) {
                std::unique_ptr<net::HttpServer> server;
                lt.sync([&] {
                    auto made = net::HttpServer::listen(*lt.loop, "127.0.0.1:0", echo, with_threads(threads));
                    REQUIRE(made.ok());
                    server = std::move(*made);
                });
                CHECK(test_support::user_thread_count() == thread_count + threads - 1);
                {
                    std::vector<std::unique_ptr<Client>> idle; // still open when the server goes away
                    for (int k = 0; k < 8; ++k) {
                        idle.push_back(std::make_unique<Client>(server->port()));
                    }
                    Client c(server->port());
                    REQUIRE(c.send(get("/" + std::to_string(i))));
                    REQUIRE(c.read().body == "GET /" + std::to_string(i));
                    lt.sync([&] { server.reset(); });
                    for (auto& k : idle) {
                        CHECK(k->closed_within(2000ms));
                    }
                }
            }
            std::size_t left = 1;
            lt.sync([&] { left = lt.loop->watch_count(); });
            CHECK(left == 0);
            CHECK(open_fds() == fds);
            CHECK(test_support::settled_thread_count(thread_count) == thread_count);
        }
    }
}
