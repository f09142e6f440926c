// The loop's completion-based socket I/O (recv_async/send_async/cancel_io/close_io) on both backends,
// with real TCP sockets on 127.0.0.1: partial reads and writes, end of stream, a peer that resets, and
// cancellation or close while an operation is in flight.

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include "core_loop_helpers.hpp"

using namespace test_support;

namespace {

/// A connected pair on 127.0.0.1: `server` non-blocking (the loop's side), `client` blocking.
struct TcpPair {
    int server = -1;
    int client = -1;
    TcpPair() {
        int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(listener >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        REQUIRE(::listen(listener, 4) == 0);
        socklen_t len = sizeof addr;
        REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
        client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        server = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        REQUIRE(server >= 0);
        ::close(listener);
    }
    ~TcpPair() {
        if (server >= 0) {
            ::close(server);
        }
        if (client >= 0) {
            ::close(client);
        }
    }
    /// Closes the client with a reset (SO_LINGER 0) instead of a FIN.
    void reset_client() {
        linger lg{1, 0};
        ::setsockopt(client, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        ::close(client);
        client = -1;
    }
};

/// The results a test's callbacks leave, read after a Latch says they ran.
struct Received {
    std::mutex m;
    std::string data;
    std::vector<std::size_t> chunks;
    bool eof = false;
    int error = 0;
};

/// Receives on the loop until `want` bytes, end of stream or an error, re-arming after each chunk.
void receive_all(LoopThread& lt, int fd, Received& out, Latch& done, std::size_t want) {
    struct Again {
        static void arm(core::EventLoop& loop, int fd, Received& out, Latch& done, std::size_t want) {
            loop.recv_async(fd, [&loop, fd, &out, &done, want](std::string_view data, int error) {
                std::size_t total = 0;
                {
                    std::lock_guard lock(out.m);
                    out.data.append(data);
                    out.chunks.push_back(data.size());
                    out.eof = data.empty() && error == 0;
                    out.error = error;
                    total = out.data.size();
                }
                if (error != 0 || data.empty() || total >= want) {
                    done.hit();
                    return;
                }
                arm(loop, fd, out, done, want);
            });
        }
    };
    lt.sync([&] { Again::arm(*lt.loop, fd, out, done, want); });
}

std::string pattern(std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
    }
    return s;
}

} // namespace

TEST_CASE("EventLoop recv_async delivers partial reads in order and then the end of stream") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        TcpPair pair;
        const std::string payload = pattern(200 * 1024);
        Received got;
        Latch done;
        receive_all(lt, pair.server, got, done, payload.size() + 1); // +1: on until the end of stream
        // Written in pieces with pauses, so the loop sees many partial reads.
        for (std::size_t off = 0; off < payload.size(); off += 50 * 1024) {
            REQUIRE(::send(pair.client, payload.data() + off, 50 * 1024, 0) == 50 * 1024);
            std::this_thread::sleep_for(5ms);
        }
        ::shutdown(pair.client, SHUT_WR);
        REQUIRE(done.wait_for_count(1));
        std::lock_guard lock(got.m);
        CHECK(got.error == 0);
        CHECK(got.eof);
        CHECK(got.data == payload);
        CHECK(got.chunks.size() >= 5);
        for (std::size_t c : got.chunks) {
            CHECK(c <= core::EventLoop::k_recv_chunk);
        }
        lt.sync([&] {
            lt.loop->close_io(pair.server);
            CHECK(lt.loop->io_count() == 0);
        });
    }
}

TEST_CASE("EventLoop send_async sends a buffer larger than the socket's in partial sends") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        TcpPair pair;
        int small = 16 * 1024;
        ::setsockopt(pair.server, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
        ::setsockopt(pair.client, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        const std::string payload = pattern(4 * 1024 * 1024);
        Latch sent;
        int send_error = -1;
        std::size_t returned = 0;
        lt.sync([&] {
            lt.loop->send_async(pair.server, payload, [&](int error, std::string& buffer) {
                send_error = error;
                returned = buffer.size();
                sent.hit();
            });
            // A second send on the same fd while one is in flight is refused, not interleaved.
            lt.loop->send_async(pair.server, "x", [&](int error, std::string&) {
                CHECK(error == EBUSY);
                sent.hit();
            });
        });
        std::this_thread::sleep_for(50ms); // the peer is slow: the socket buffer fills
        {
            std::lock_guard lock(sent.m);
            CHECK(sent.count == 1); // only the refused one
        }
        std::string got;
        char buf[8192];
        while (got.size() < payload.size()) {
            ssize_t n = ::recv(pair.client, buf, sizeof buf, 0);
            REQUIRE(n > 0);
            got.append(buf, static_cast<std::size_t>(n));
        }
        REQUIRE(sent.wait_for_count(2));
        CHECK(send_error == 0);
        CHECK(returned == payload.size()); // the buffer comes back whole
        CHECK(got == payload);
        lt.sync([&] { CHECK(lt.loop->io_count() == 0); });
    }
}

TEST_CASE("EventLoop socket operations report a peer that resets") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        TcpPair pair;
        Received got;
        Latch done;
        receive_all(lt, pair.server, got, done, 1 << 20);
        REQUIRE(::send(pair.client, "abc", 3, 0) == 3);
        std::this_thread::sleep_for(20ms);
        pair.reset_client();
        REQUIRE(done.wait_for_count(1));
        {
            std::lock_guard lock(got.m);
            CHECK(got.data == "abc");
            CHECK(got.error == ECONNRESET);
        }
        Latch sent;
        int send_error = 0;
        lt.sync([&] {
            lt.loop->send_async(pair.server, pattern(1 << 20), [&](int error, std::string&) {
                send_error = error;
                sent.hit();
            });
        });
        REQUIRE(sent.wait_for_count(1));
        CHECK((send_error == EPIPE || send_error == ECONNRESET));
    }
}

TEST_CASE("EventLoop cancel_io and close_io stop operations in flight; their callbacks never run") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        TcpPair pair;
        int small = 16 * 1024;
        ::setsockopt(pair.client, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        std::atomic<int> stray{0};
        core::EventLoop::IoId recv_id = 0;
        lt.sync([&] {
            recv_id = lt.loop->recv_async(pair.server, [&](std::string_view, int) { ++stray; });
            CHECK(lt.loop->io_count() == 1);
        });
        std::this_thread::sleep_for(20ms);
        lt.sync([&] {
            CHECK(lt.loop->cancel_io(recv_id));
            CHECK_FALSE(lt.loop->cancel_io(recv_id));
        });
        std::this_thread::sleep_for(20ms);
        // Data sent after the cancel reaches the next receive: the cancelled one took nothing.
        REQUIRE(::send(pair.client, "after", 5, 0) == 5);
        Received got;
        Latch done;
        receive_all(lt, pair.server, got, done, 5);
        REQUIRE(done.wait_for_count(1));
        {
            std::lock_guard lock(got.m);
            CHECK(got.data == "after");
        }
        // A send blocked on a peer that does not read, and a receive, both in flight: close_io drops them.
        lt.sync([&] {
            lt.loop->send_async(pair.server, pattern(8 * 1024 * 1024), [&](int, std::string&) { ++stray; });
            lt.loop->recv_async(pair.server, [&](std::string_view, int) { ++stray; });
        });
        std::this_thread::sleep_for(50ms);
        lt.sync([&] {
            CHECK(lt.loop->io_count() == 2);
            lt.loop->close_io(pair.server);
            ::close(pair.server);
            pair.server = -1;
        });
        // The kernel lets go of the cancelled operations; nothing is delivered.
        bool drained = false;
        for (int i = 0; i < 100 && !drained; ++i) {
            std::this_thread::sleep_for(10ms);
            lt.sync([&] { drained = lt.loop->io_count() == 0; });
        }
        CHECK(drained);
        CHECK(stray.load() == 0);
        // The peer sees the connection end (EOF or reset), not a hang.
        timeval tv{5, 0};
        ::setsockopt(pair.client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        char buf[65536];
        ssize_t n = 1;
        while (n > 0) {
            n = ::recv(pair.client, buf, sizeof buf, 0);
        }
        CHECK((n == 0 || errno == ECONNRESET));
    }
}

TEST_CASE("EventLoop a receive's callback may close the fd and start operations on a reused fd number") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        LoopThread lt(backend);
        auto first = std::make_unique<TcpPair>();
        std::atomic<int> stray{0};
        Latch done;
        std::string second_got;
        std::unique_ptr<TcpPair> second;
        lt.sync([&] {
            lt.loop->recv_async(first->server, [&](std::string_view data, int error) {
                CHECK(data == "one");
                CHECK(error == 0);
                // Answer, then close at once: the send (which may have gone out already) is dropped with
                // the fd's state, and its callback never runs.
                lt.loop->send_async(first->server, "reply", [&](int, std::string&) { ++stray; });
                lt.loop->close_io(first->server);
                ::close(first->server);
                first->server = -1;
                done.hit();
            });
        });
        REQUIRE(::send(first->client, "one", 3, 0) == 3);
        REQUIRE(done.wait_for_count(1));
        second = std::make_unique<TcpPair>(); // likely reuses the closed fd's number
        lt.sync([&] {
            lt.loop->recv_async(second->server, [&](std::string_view data, int) {
                second_got.assign(data);
                done.hit();
            });
        });
        REQUIRE(::send(second->client, "two", 3, 0) == 3);
        REQUIRE(done.wait_for_count(2));
        lt.sync([&] {
            CHECK(second_got == "two");
            CHECK(stray.load() == 0);
            lt.loop->close_io(second->server);
            CHECK(lt.loop->io_count() == 0);
        });
    }
}
