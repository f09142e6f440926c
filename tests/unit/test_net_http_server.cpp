// The HTTP server on both loop backends, driven by raw-socket clients on 127.0.0.1.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "core/event_loop.hpp"
#include "core_loop_helpers.hpp"
#include "http_test_client.hpp"
#include "net/http_parser.hpp"
#include "net/http_server.hpp"
#include "thread_count.hpp"

using namespace zsyncctl;
using namespace std::chrono_literals;
using test_support::LoopThread;

extern char** environ;

using namespace zsyncctl::test;

TEST_CASE("HttpServer keeps a connection alive across requests and honours Connection: close") {
    for (auto backend : test_support::backends()) {
        SUBCASE(core::to_string(backend).data()) {
            TestServer ts(backend, echo);
            Client c(ts.port());
            SUBCASE("keep-alive") {
                for (int i = 0; i < 3; ++i) {
                    REQUIRE(c.send(get("/a?x=" + std::to_string(i))));
                    Reply r = c.read();
                    REQUIRE(r.ok);
                    CHECK(r.status == 200);
                    CHECK(r.body == "GET /a?x=" + std::to_string(i));
                    CHECK(r.headers.count("date") == 1);
                    CHECK(r.headers.count("connection") == 0);
                }
                CHECK_FALSE(c.closed_within(100ms));
            }
            SUBCASE("Connection: close") {
                REQUIRE(c.send(get("/", "Connection: close\r\n")));
                Reply r = c.read();
                REQUIRE(r.ok);
                CHECK(r.headers["connection"] == "close");
                CHECK(c.closed_within(2000ms));
            }
            SUBCASE("HTTP/1.0 closes unless asked to keep alive") {
                REQUIRE(c.send("GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
                Reply r = c.read();
                REQUIRE(r.ok);
                CHECK(r.headers["connection"] == "keep-alive");
                REQUIRE(c.send("GET /y HTTP/1.0\r\n\r\n"));
                r = c.read();
                REQUIRE(r.ok);
                CHECK(r.body == "GET /y");
                CHECK(c.closed_within(2000ms));
            }
            SUBCASE("HEAD gets the headers of GET and no body") {
                REQUIRE(c.send("HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n" + get("/next")));
                Reply r = c.read(true);
                REQUIRE(r.ok);
                CHECK(r.headers["content-length"] == "7");
                Reply next = c.read();
                REQUIRE(next.ok);
                CHECK(next.body == "GET /next");
            }
            SUBCASE("request bodies: Content-Length and chunked") {
                REQUIRE(c.send("POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello"));
                Reply r = c.read();
                CHECK(r.body == "POST /p hello");
                REQUIRE(c.send("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                               "3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n"));
                r = c.read();
                CHECK(r.body == "POST /c abc0123456789");
            }
        }
    }
}

TEST_CASE("HttpServer answers pipelined requests in order, also when a handler answers later") {
    for (auto backend : test_support::backends()) {
        SUBCASE(core::to_string(backend).data()) {
            std::atomic<core::EventLoop*> loop{nullptr};
            TestServer ts(backend, [&loop](const net::HttpRequest& req, net::HttpResponder res) {
                if (req.path == "/slow") {
                    loop.load()->add_timer(core::EventLoop::Clock::now() + 100ms,
                                           [res]() mutable { res.send(200, "slow", {}); });
                    return;
                }
                echo(req, std::move(res));
            });
            loop.store(ts.lt.loop.get());
            Client c(ts.port());
            std::string batch = get("/slow") + get("/b") +
                                "POST /c HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi" +
                                get("/d", "Connection: close\r\n");
            REQUIRE(c.send(batch));
            Reply a = c.read();
            Reply b = c.read();
            Reply cc = c.read();
            Reply d = c.read();
            CHECK(a.body == "slow");
            CHECK(b.body == "GET /b");
            CHECK(cc.body == "POST /c hi");
            CHECK(d.body == "GET /d");
            CHECK(c.closed_within(2000ms));
        }
    }
}

TEST_CASE("HttpServer streams chunked responses with backpressure and sees a client leave") {
    for (auto backend : test_support::backends()) {
        SUBCASE(core::to_string(backend).data()) {
            std::atomic<int> refusals{0};
            std::atomic<int> closes{0};
            constexpr int k_records = 40000;
            net::HttpServerOptions options;
            options.high_water_bytes = 16 * 1024;
            auto handler = [&](const net::HttpRequest& req, net::HttpResponder res) {
                res.start(200, {{"Content-Type", "application/x-ndjson"}});
                res.on_close([&closes] { ++closes; });
                auto count = std::make_shared<int>(0);
                bool forever = req.path == "/forever";
                auto pump = std::make_shared<util::UniqueFunction<void()>>();
                *pump = [res, count, pump, forever, &refusals]() mutable {
                    while (forever || *count < k_records) {
                        std::string line = "{\"n\":" + std::to_string((*count)++) + ",\"pad\":\"" +
                                           std::string(100, 'x') + "\"}\n";
                        if (!res.write(line)) {
                            ++refusals;
                            if (!res.is_open()) {
                                *pump = nullptr; // break the cycle
                                return;
                            }
                            res.on_drain([pump] { (*pump)(); });
                            return;
                        }
                    }
                    res.end();
                    *pump = nullptr;
                };
                (*pump)();
            };
            TestServer ts(backend, handler, options);
            SUBCASE("a slow reader gets everything, in order") {
                Client c(ts.port());
                // Default buffers: 4.4 MB is far more than loopback's socket buffers hold while the client
                // sleeps, so the server must wait for drain (refusals > 0 below). A tiny SO_RCVBUF
                // would also force that, but its window makes the stream crawl at the persist timer's
                // pace (25 s for 440 KB) without testing anything more.
                REQUIRE(c.send(get("/stream")));
                std::this_thread::sleep_for(200ms); // the server fills the socket and has to wait
                Reply r = c.read();
                REQUIRE(r.ok);
                CHECK(r.headers["transfer-encoding"] == "chunked");
                int lines = 0;
                std::size_t pos = 0;
                while ((pos = r.body.find('\n', pos)) != std::string::npos) {
                    ++lines;
                    ++pos;
                }
                CHECK(lines == k_records);
                CHECK(r.body.find("{\"n\":39999,") != std::string::npos);
                CHECK(refusals.load() > 0);
                // The connection is reusable after the stream.
                REQUIRE(c.send(get("/stream")));
                CHECK(c.read().ok);
            }
            SUBCASE("a client that leaves mid-stream cancels it") {
                {
                    Client c(ts.port());
                    REQUIRE(c.send(get("/forever")));
                    REQUIRE(c.fill());
                }
                test_support::Latch done;
                auto deadline = std::chrono::steady_clock::now() + 5s;
                while (closes.load() == 0 && std::chrono::steady_clock::now() < deadline) {
                    std::this_thread::sleep_for(10ms);
                }
                CHECK(closes.load() == 1);
                std::size_t conns = 1;
                ts.lt.sync([&] { conns = ts.server->connection_count(); });
                CHECK(conns == 0);
            }
        }
    }
}

TEST_CASE("HttpServer Expect: 100-continue and the size limits") {
    for (auto backend : test_support::backends()) {
        SUBCASE(core::to_string(backend).data()) {
            net::HttpServerOptions options;
            options.limits.max_body_bytes = 1000;
            TestServer ts(backend, echo, options);
            Client c(ts.port());
            SUBCASE("100 Continue, then the body") {
                REQUIRE(c.send(
                    "PUT /u HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
                Reply cont = c.read();
                REQUIRE(cont.ok);
                CHECK(cont.status == 100);
                REQUIRE(c.send("data"));
                Reply r = c.read();
                CHECK(r.status == 200);
                CHECK(r.body == "PUT /u data");
            }
            SUBCASE("a body over the cap is 413 before any Continue") {
                REQUIRE(c.send(
                    "PUT /u HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 1001\r\n\r\n"));
                Reply r = c.read();
                CHECK(r.status == 413);
                CHECK(r.headers["connection"] == "close");
                CHECK(c.closed_within(3000ms));
            }
            SUBCASE("a chunked body over the cap is 413") {
                std::string chunk(600, 'a');
                REQUIRE(c.send("POST /u HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n" +
                               chunk + "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n"));
                CHECK(c.read().status == 413);
            }
            SUBCASE("a head over 8 KiB is 431") {
                REQUIRE(c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(8200, 'b') + "\r\n\r\n"));
                CHECK(c.read().status == 431);
                CHECK(c.closed_within(3000ms));
            }
            SUBCASE("a request line over 8 KiB is 431") {
                REQUIRE(c.send("GET /" + std::string(9000, 'p') + " HTTP/1.1\r\nHost: t\r\n\r\n"));
                CHECK(c.read().status == 431);
            }
            SUBCASE("a head of 8 KiB exactly is fine") {
                std::string start = "GET / HTTP/1.1\r\nHost: t\r\nX-Fill: ";
                std::string fill(8192 - start.size() - 4, 'f');
                REQUIRE(c.send(start + fill + "\r\n\r\n"));
                CHECK(c.read().status == 200);
            }
            SUBCASE("too many header fields is 431") {
                std::string headers;
                for (int i = 0; i < 101; ++i) {
                    headers += "X-" + std::to_string(i) + ": v\r\n";
                }
                REQUIRE(c.send(get("/", headers)));
                CHECK(c.read().status == 431);
            }
            SUBCASE("unsupported expectation is 417") {
                REQUIRE(c.send(get("/", "Expect: something\r\n")));
                CHECK(c.read().status == 417);
            }
        }
    }
}

TEST_CASE("HttpServer rejects malformed requests with one answer and a close") {
    struct Case {
        const char* name;
        std::string request;
        int status;
    };
    std::vector<Case> cases{
        {"TLS hello", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), 400},
        {"no version", "GET /\r\nHost: t\r\n\r\n", 400},
        {"two spaces", "GET  / HTTP/1.1\r\nHost: t\r\n\r\n", 400},
        {"lower-case version", "GET / http/1.1\r\nHost: t\r\n\r\n", 400},
        {"HTTP/2.0", "GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505},
        {"HTTP/1.2", "GET / HTTP/1.2\r\nHost: t\r\n\r\n", 505},
        {"bare LF", "GET / HTTP/1.1\nHost: t\n\n", 400},
        {"no Host", "GET / HTTP/1.1\r\n\r\n", 400},
        {"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
        {"space before colon", "GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400},
        {"obs-fold", "GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n", 400},
        {"NUL in value", std::string("GET / HTTP/1.1\r\nHost: t\r\nX: a\0b\r\n\r\n", 35), 400},
        {"CL and TE", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
         400},
        {"two CLs", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
        {"signed CL", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +3\r\n\r\nabc", 400},
        {"CL list", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3, 3\r\n\r\nabc", 400},
        {"gzip TE", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
        {"bad chunk size", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
        {"chunk without CRLF", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX",
         400},
        {"space in target", "GET /a b HTTP/1.1\r\nHost: t\r\n\r\n", 400},
        {"relative target", "GET a HTTP/1.1\r\nHost: t\r\n\r\n", 400},
        {"control in method", "G\x01T / HTTP/1.1\r\nHost: t\r\n\r\n", 400},
        {"empty header name", "GET / HTTP/1.1\r\nHost: t\r\n: v\r\n\r\n", 400},
    };
    for (auto backend : test_support::backends()) {
        SUBCASE(core::to_string(backend).data()) {
            TestServer ts(backend, echo);
            for (const auto& tc : cases) {
                CAPTURE(tc.name);
                Client c(ts.port());
                REQUIRE(c.send(tc.request));
                Reply r = c.read();
                CHECK(r.ok);
                CHECK(r.status == tc.status);
                CHECK(r.headers["connection"] == "close");
                CHECK(c.closed_within(3000ms));
            }
            // The server still serves after all of them.
            Client c(ts.port());
            REQUIRE(c.send(get("/ok")));
            CHECK(c.read().body == "GET /ok");
        }
    }
}

TEST_CASE("HttpServer times out slow heads, slow bodies and idle connections") {
    for (auto backend : test_support::backends()) {
        SUBCASE(core::to_string(backend).data()) {
            net::HttpServerOptions options;
            options.header_timeout = 300ms;
            options.idle_timeout = 400ms;
            TestServer ts(backend, echo, options);
            SUBCASE("a connection that sends nothing") {
                Client c(ts.port());
                auto t0 = std::chrono::steady_clock::now();
                Reply r = c.read();
                CHECK(r.status == 408);
                CHECK(std::chrono::steady_clock::now() - t0 < 3s);
            }
            SUBCASE("slowloris: a head trickled one byte at a time is cut at the header deadline") {
                Client c(ts.port());
                std::string head = get("/", "X-Slow: " + std::string(100, 's') + "\r\n");
                auto t0 = std::chrono::steady_clock::now();
                bool cut = false;
                for (char ch : head) {
                    if (!c.send(std::string_view(&ch, 1))) {
                        cut = true;
                        break;
                    }
                    pollfd pfd{c.fd(), POLLIN, 0};
                    if (::poll(&pfd, 1, 20) > 0) {
                        cut = true;
                        break;
                    }
                }
                CHECK(cut);
                Reply r = c.read();
                CHECK(r.status == 408);
                CHECK(std::chrono::steady_clock::now() - t0 < 2s);
            }
            SUBCASE("a body that stops arriving") {
                Client c(ts.port());
                REQUIRE(c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
                CHECK(c.read().status == 408);
            }
            SUBCASE("an idle keep-alive connection is closed") {
                Client c(ts.port());
                REQUIRE(c.send(get("/")));
                CHECK(c.read().status == 200);
                std::this_thread::sleep_for(200ms);
                REQUIRE(c.send(get("/again"))); // activity restarts the clock
                CHECK(c.read().status == 200);
                auto t0 = std::chrono::steady_clock::now();
                CHECK(c.closed_within(3000ms));
                CHECK(std::chrono::steady_clock::now() - t0 >= 300ms);
                CHECK(c.buffered().empty()); // closed silently, no 408 on an idle connection
            }
        }
    }
}

TEST_CASE("HttpRouter answers 404 and 405 with Allow, and HEAD through GET") {
    for (auto backend : test_support::backends()) {
        SUBCASE(core::to_string(backend).data()) {
            auto router = std::make_shared<net::HttpRouter>();
            router->route("GET", "/r",
                          [](const net::HttpRequest&, net::HttpResponder res) { res.send(200, "r"); });
            router->route("POST", "/r",
                          [](const net::HttpRequest&, net::HttpResponder res) { res.send(201, ""); });
            TestServer ts(backend, [router](const net::HttpRequest& req, net::HttpResponder res) {
                router->handle(req, std::move(res));
            });
            Client c(ts.port());
            REQUIRE(c.send(get("/nope")));
            CHECK(c.read().status == 404);
            REQUIRE(c.send("DELETE /r HTTP/1.1\r\nHost: t\r\n\r\n"));
            Reply r = c.read();
            CHECK(r.status == 405);
            CHECK(r.headers["allow"] == "GET, HEAD, POST");
            REQUIRE(c.send("HEAD /r HTTP/1.1\r\nHost: t\r\n\r\n"));
            r = c.read(true);
            CHECK(r.status == 200);
            CHECK(r.headers["content-length"] == "1");
            REQUIRE(c.send(get("/r")));
            CHECK(c.read().body == "r");
        }
    }
}

TEST_CASE("HttpServer shutdown finishes requests in progress and force-closes at the deadline") {
    for (auto backend : test_support::backends()) {
        SUBCASE(core::to_string(backend).data()) {
            std::atomic<core::EventLoop*> loop{nullptr};
            std::atomic<int> abandoned{0};
            TestServer ts(backend, [&](const net::HttpRequest& req, net::HttpResponder res) {
                if (req.path == "/never") {
                    res.on_close([&abandoned] { ++abandoned; });
                    auto keep = std::make_shared<net::HttpResponder>(res);
                    loop.load()->add_timer(core::EventLoop::Clock::now() + 60s, [keep] {});
                    return;
                }
                loop.load()->add_timer(core::EventLoop::Clock::now() + 200ms,
                                       [res]() mutable { res.send(200, "late"); });
            });
            loop.store(ts.lt.loop.get());
            std::uint16_t port = ts.port();
            Client idle(port);
            Client busy(port);
            REQUIRE(busy.send(get("/work")));
            std::this_thread::sleep_for(50ms);
            test_support::Latch done;
            SUBCASE("graceful") {
                ts.lt.sync([&] { ts.server->shutdown(3s, [&done] { done.hit(); }); });
                CHECK(idle.closed_within(1000ms));
                Reply r = busy.read();
                CHECK(r.body == "late");
                CHECK(r.headers["connection"] == "close");
                CHECK(done.wait_for_count(1, 3000ms));
                ts.lt.sync([&] { CHECK(!ts.server->shutdown_forced()); });
                int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                sockaddr_in addr{};
                addr.sin_family = AF_INET;
                addr.sin_port = htons(port);
                addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                CHECK(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0);
                ::close(fd);
            }
            SUBCASE("deadline") {
                Client stuck(port);
                REQUIRE(stuck.send(get("/never")));
                std::this_thread::sleep_for(50ms);
                auto t0 = std::chrono::steady_clock::now();
                ts.lt.sync([&] { ts.server->shutdown(500ms, [&done] { done.hit(); }); });
                CHECK(busy.read().body == "late");
                CHECK(stuck.closed_within(3000ms));
                CHECK(done.wait_for_count(1, 3000ms));
                CHECK(std::chrono::steady_clock::now() - t0 >= 400ms);
                CHECK(abandoned.load() == 1);
                ts.lt.sync([&] { CHECK(ts.server->shutdown_forced()); });
            }
        }
    }
}

TEST_CASE("HttpServer starts and stops 100 times without leaking fds or threads") {
    for (auto backend : test_support::backends()) {
        SUBCASE(core::to_string(backend).data()) {
            LoopThread lt(backend);
            std::size_t fds = open_fds();
            std::size_t threads = test_support::user_thread_count();
            for (int i = 0; i < 100; ++i) {
                std::unique_ptr<net::HttpServer> server;
                lt.sync([&] {
                    auto made = net::listen(*lt.loop, "127.0.0.1:0", echo);
                    REQUIRE(made.ok());
                    server = std::move(*made);
                });
                {
                    Client c(server->port());
                    REQUIRE(c.send(get("/" + std::to_string(i))));
                    REQUIRE(c.read().body == "GET /" + std::to_string(i));
                    Client idle(server->port()); // still open when the server goes away
                    lt.sync([&] { server.reset(); });
                    CHECK(idle.closed_within(2000ms));
                }
            }
            std::size_t left = 1;
            lt.sync([&] { left = lt.loop->watch_count(); });
            CHECK(left == 0);
            CHECK(open_fds() == fds);
            CHECK(test_support::user_thread_count() == threads);
        }
    }
}

// The clients run in a python3 child (its own fd table), so the test process needs fds only for the
// server's side of the 10,000 connections.
constexpr const char* k_many_clients = R"(
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    s.sendall(b"GET /c HTTP/1.1\r\nHost: t\r\n\r\n")
    socks.append(s)
ok = 0
for s in socks:
    data = b""
    while b"all here" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    ok += b"all here" in data
print(ok, flush=True)
)";

/// Runs `python3 -c k_many_clients port n` (argv, no shell) and returns its stdout.
std::string run_many_clients(std::uint16_t port, std::size_t n) {
    int out[2];
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    std::string python = "python3", dash_c = "-c", script = k_many_clients, p = std::to_string(port),
                count = std::to_string(n);
    char* argv[] = {python.data(), dash_c.data(), script.data(), p.data(), count.data(), nullptr};
    pid_t pid = 0;
    int rc = ::posix_spawnp(&pid, "python3", &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    REQUIRE(rc == 0);
    std::string text;
    char buf[256];
    pollfd pfd{out[0], POLLIN, 0};
    while (::poll(&pfd, 1, 120'000) > 0) {
        ssize_t r = ::read(out[0], buf, sizeof buf);
        if (r <= 0) {
            break;
        }
        text.append(buf, static_cast<std::size_t>(r));
    }
    ::close(out[0]);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return text;
}

TEST_CASE("HttpServer holds 10,000 connections at once on one loop thread") {
    constexpr std::size_t n = 10'000;
    rlimit lim{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &lim) == 0);
    if (lim.rlim_cur < n + 200) {
        rlimit raised{std::min<rlim_t>(lim.rlim_max, n + 1000), lim.rlim_max};
        ::setrlimit(RLIMIT_NOFILE, &raised);
        REQUIRE(::getrlimit(RLIMIT_NOFILE, &lim) == 0);
    }
    if (lim.rlim_cur < n + 200) {
        MESSAGE("skipped: RLIMIT_NOFILE hard limit " << lim.rlim_max << " is below " << n + 200);
        return;
    }
    for (auto backend : test_support::backends()) {
        SUBCASE(core::to_string(backend).data()) {
            std::vector<net::HttpResponder> held;
            std::atomic<std::size_t> most{0};
            std::atomic<std::size_t> threads_at_peak{0};
            std::size_t threads = test_support::user_thread_count();
            // Nobody is answered until every request has arrived: all n are in the server at once.
            TestServer ts(backend, [&](const net::HttpRequest&, net::HttpResponder res) {
                held.push_back(std::move(res));
                if (held.size() == n) {
                    most.store(ts.server->connection_count());
                    threads_at_peak.store(test_support::user_thread_count());
                    for (auto& r : held) {
                        r.send(200, "all here");
                    }
                    held.clear();
                }
            });
            std::string answered = run_many_clients(ts.port(), n);
            CHECK(answered == std::to_string(n) + "\n");
            CHECK(most == n);
            CHECK(threads_at_peak ==
                  threads + 1); // the test's loop thread only, whatever the connection count
        }
    }
}
