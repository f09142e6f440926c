// The Host check of a loopback server (http_host_is_loopback, http_request_is_for_loopback): which names
// a DNS-rebinding page cannot use, on requests as the parser reads them.

#include <doctest/doctest.h>

#include <string>

#include "net/http_parser.hpp"

using namespace zsyncctl;

namespace {

net::HttpRequest parsed(const std::string& head) {
    auto p = net::parse_http_head(head, net::HttpLimits{});
    REQUIRE(p.state == net::HeadParse::State::complete);
    return p.request;
}

} // namespace

TEST_CASE("http_host_is_loopback accepts only loopback names with the listening port or none") {
    SUBCASE("the loopback names, alone or with the port") {
        for (const char* host :
             {"127.0.0.1", "127.0.0.1:7878", "localhost", "localhost:7878", "LOCALHOST:7878", "LocalHost",
              "localhost.", "localhost.:7878", "[::1]", "[::1]:7878", "[0:0:0:0:0:0:0:1]:7878",
              "127.0.0.2:7878", "127.255.255.254"}) {
            CAPTURE(host);
            CHECK(net::http_host_is_loopback(host, 7878));
        }
    }
    SUBCASE("other names, addresses and ports") {
        for (const char* host : {"evil.example.com",
                                 "evil.example.com:7878",
                                 "localhost.evil.example.com:7878",
                                 "127.0.0.1.nip.io:7878",
                                 "localhostx:7878",
                                 "localhost..",
                                 "0.0.0.0:7878",
                                 "192.168.1.1:7878",
                                 "128.0.0.1",
                                 "[::]:7878",
                                 "[::2]:7878",
                                 "[::ffff:127.0.0.1]:7878",
                                 "::1",
                                 "::1:7878",
                                 "127.0.0.1:7879",
                                 "localhost:80",
                                 "[::1]:1",
                                 "127.0.0.1:",
                                 "127.0.0.1:07878x",
                                 "127.0.0.1:123456",
                                 "localhost:+7878",
                                 "127.0.0.1:7878:7878",
                                 "[::1]7878",
                                 "[::1",
                                 "[]:7878",
                                 "",
                                 ":7878",
                                 "127.1:7878",
                                 "0x7f.0.0.1",
                                 "127.0.0.01:7878",
                                 "user@127.0.0.1:7878",
                                 "localhost :7878",
                                 "localhost\t"}) {
            CAPTURE(host);
            CHECK_FALSE(net::http_host_is_loopback(host, 7878));
        }
    }
    SUBCASE("port 80 when the Host names none") {
        CHECK(net::http_host_is_loopback("localhost", 80));
        CHECK(net::http_host_is_loopback("localhost:80", 80));
        CHECK_FALSE(net::http_host_is_loopback("localhost:8080", 80));
    }
}

TEST_CASE("http_request_is_for_loopback reads the Host field and an absolute-form target's authority") {
    SUBCASE("origin-form: the Host field decides") {
        CHECK(net::http_request_is_for_loopback(
            parsed("GET /v1/managers HTTP/1.1\r\nHost: localhost:9\r\n\r\n"), 9));
        CHECK(net::http_request_is_for_loopback(
            parsed("GET /v1/managers HTTP/1.1\r\nhOsT:  [::1]:9 \r\n\r\n"), 9));
        CHECK_FALSE(net::http_request_is_for_loopback(
            parsed("GET /v1/managers HTTP/1.1\r\nHost: evil.example.com:9\r\n\r\n"), 9));
        CHECK_FALSE(net::http_request_is_for_loopback(
            parsed("GET /v1/managers HTTP/1.1\r\nHost: 127.0.0.1:8\r\n\r\n"), 9));
    }
    SUBCASE("HTTP/1.0 without a Host field") {
        CHECK_FALSE(net::http_request_is_for_loopback(parsed("GET /v1/managers HTTP/1.0\r\n\r\n"), 9));
    }
    SUBCASE("absolute-form: the target's authority must be a loopback name too") {
        CHECK(net::http_request_is_for_loopback(
            parsed("GET http://127.0.0.1:9/v1/list HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n"), 9));
        CHECK(net::http_request_is_for_loopback(
            parsed("GET http://LOCALHOST:9 HTTP/1.1\r\nHost: localhost\r\n\r\n"), 9));
        CHECK_FALSE(net::http_request_is_for_loopback(
            parsed("GET http://evil.example.com:9/v1/list HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n"), 9));
        CHECK_FALSE(net::http_request_is_for_loopback(
            parsed("GET http://127.0.0.1:9/v1/list HTTP/1.1\r\nHost: evil.example.com\r\n\r\n"), 9));
        CHECK_FALSE(net::http_request_is_for_loopback(
            parsed("GET http://a@127.0.0.1:9/v1/list HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n"), 9));
        CHECK_FALSE(net::http_request_is_for_loopback(
            parsed("GET http://evil.example.com?x HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n"), 9));
    }
}
