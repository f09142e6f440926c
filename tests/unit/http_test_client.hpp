#pragma once
// The raw-socket HTTP client and the loop-thread server fixture of tests/unit/test_net_http_server.cpp.

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/event_loop.hpp"
#include "core_loop_helpers.hpp"
#include "net/http_parser.hpp"
#include "net/http_server.hpp"

namespace zsyncctl::test {

using namespace std::chrono_literals;
using test_support::LoopThread;

struct Reply {
    int status = 0;
    std::map<std::string, std::string> headers; // names lower-cased
    std::string body;
    bool ok = false; // a complete response was read
};

inline std::string lower(std::string s) {
    for (char& c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

/// A blocking client socket with a 5 s receive deadline per read.
class Client {
public:
    explicit Client(std::uint16_t port) {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(m_fd >= 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
        timeval tv{5, 0};
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~Client() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    bool send(std::string_view data) {
        while (!data.empty()) {
            ssize_t n = ::send(m_fd, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) {
                return false;
            }
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    /// Reads more into the buffer; false on EOF, error or the 5 s deadline.
    bool fill() {
        char buf[65536];
        ssize_t n = ::recv(m_fd, buf, sizeof buf, 0);
        while (n < 0 && errno == EINTR) {
            n = ::recv(m_fd, buf, sizeof buf, 0);
        }
        if (n <= 0) {

            m_eof = true;
            return false;
        }
        m_buf.append(buf, static_cast<std::size_t>(n));
        return true;
    }

    Reply read(bool head_request = false) {
        Reply r;
        std::size_t end;
        while ((end = m_buf.find("\r\n\r\n")) == std::string::npos) {
            if (!fill()) {
                return r;
            }
        }
        std::string head = m_buf.substr(0, end + 2);
        m_buf.erase(0, end + 4);
        r.status = std::stoi(head.substr(9, 3));
        std::size_t pos = head.find("\r\n") + 2;
        while (pos < head.size()) {
            std::size_t eol = head.find("\r\n", pos);
            std::string line = head.substr(pos, eol - pos);
            std::size_t colon = line.find(':');
            r.headers[lower(line.substr(0, colon))] = line.substr(colon + 2);
            pos = eol + 2;
        }
        if (head_request || r.status < 200 || r.status == 204 || r.status == 304) {
            r.ok = true;
            return r;
        }
        if (r.headers.count("transfer-encoding") != 0) {
            for (;;) {
                std::size_t eol;
                while ((eol = m_buf.find("\r\n")) == std::string::npos) {
                    if (!fill()) {
                        return r;
                    }
                }
                std::size_t size = std::stoul(m_buf.substr(0, eol), nullptr, 16);
                while (m_buf.size() < eol + 2 + size + 2) {
                    if (!fill()) {
                        return r;
                    }
                }
                r.body += m_buf.substr(eol + 2, size);
                m_buf.erase(0, eol + 2 + size + 2);
                if (size == 0) {
                    r.ok = true;
                    return r;
                }
            }
        }
        if (r.headers.count("content-length") != 0) {
            std::size_t length = std::stoul(r.headers["content-length"]);
            while (m_buf.size() < length) {
                if (!fill()) {
                    return r;
                }
            }
            r.body = m_buf.substr(0, length);
            m_buf.erase(0, length);
            r.ok = true;
            return r;
        }
        while (fill()) {
        }
        r.body = std::move(m_buf);
        m_buf.clear();
        r.ok = true;
        return r;
    }

    /// True when the server closes the connection (EOF or reset) within `limit`.
    bool closed_within(std::chrono::milliseconds limit) {
        auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd pfd{m_fd, POLLIN, 0};
            int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            deadline - std::chrono::steady_clock::now())
                                            .count());
            if (::poll(&pfd, 1, std::max(left, 0)) <= 0) {
                return false;
            }
            char buf[4096];
            ssize_t n = ::recv(m_fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN)) {
                return true;
            }
            if (n > 0) {
                m_buf.append(buf, static_cast<std::size_t>(n));
            }
        }
        return false;
    }

    std::string& buffered() { return m_buf; }
    int fd() const { return m_fd; }

private:
    int m_fd = -1;
    std::string m_buf;
    bool m_eof = false;
};

/// A server on its own loop thread; created and destroyed on that thread.
struct TestServer {
    LoopThread lt;
    std::unique_ptr<net::HttpServer> server;
    TestServer(core::IoBackend backend, net::HttpHandler handler, net::HttpServerOptions options = {})
        : lt(backend) {
        lt.sync([&] {
            auto made = net::HttpServer::listen(*lt.loop, "127.0.0.1:0", std::move(handler), options);
            REQUIRE(made.ok());
            server = std::move(*made);
        });
    }
    ~TestServer() {
        lt.sync([&] { server.reset(); });
    }
    std::uint16_t port() const { return server->port(); }
};

// Answers "<method> <path>?<query> <body>" with a Content-Type.
inline void echo(const net::HttpRequest& req, net::HttpResponder res) {
    std::string text = req.method + " " + req.path;
    if (!req.query.empty()) {
        text += "?" + req.query;
    }
    if (!req.body.empty()) {
        text += " " + req.body;
    }
    res.send(200, text, {{"Content-Type", "text/plain"}});
}

inline std::string get(std::string_view path, std::string_view extra = "") {
    return "GET " + std::string(path) + " HTTP/1.1\r\nHost: t\r\n" + std::string(extra) + "\r\n";
}

inline std::size_t open_fds() {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
        ++n;
    }
    return n;
}

} // namespace zsyncctl::test
