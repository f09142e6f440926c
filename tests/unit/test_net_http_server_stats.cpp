// The HTTP server's counters (HttpServer::stats, shutdown_forced) on both loop backends, and the query
// string reader (parse_query) the handlers use.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core_loop_helpers.hpp"
#include "http_test_client.hpp"
#include "net/http_parser.hpp"
#include "net/http_server.hpp"

using namespace zsyncctl;
using namespace zsyncctl::test;
using namespace std::chrono_literals;

TEST_CASE("parse_query splits and percent-decodes pairs in order") {
    SUBCASE("pairs, '+', escapes, a bare name, empty pairs") {
        auto p = net::parse_query("q=hello+world&manager=apt%2Cdnf&&exact&x=%41%62%e2%82%ac");
        REQUIRE(p.ok());
        REQUIRE(p->size() == 4);
        CHECK((*p)[0].name == "q");
        CHECK((*p)[0].value == "hello world");
        CHECK((*p)[1].value == "apt,dnf");
        CHECK((*p)[2].name == "exact");
        CHECK((*p)[2].value.empty());
        CHECK((*p)[3].value == "Ab\xe2\x82\xac");
    }
    SUBCASE("an empty query") {
        auto p = net::parse_query("");
        REQUIRE(p.ok());
        CHECK(p->empty());
    }
    SUBCASE("malformed escapes") {
        for (const char* bad : {"q=%", "q=%4", "q=%zz", "%g1=x", "q=a%2"}) {
            CAPTURE(bad);
            auto p = net::parse_query(bad);
            REQUIRE(!p.ok());
            CHECK(p.error().kind == util::ErrorKind::invalid_input);
        }
    }
}

TEST_CASE("HttpServer counts responses by status, their latency, connections and aborted answers") {
    for (auto backend : test_support::backends()) {
        SUBCASE(core::to_string(backend).data()) {
            auto held = std::make_shared<std::vector<net::HttpResponder>>();
            TestServer ts(backend, [held](const net::HttpRequest& req, net::HttpResponder res) {
                if (req.path == "/hang") {
                    res.start(200);
                    res.write("partial");
                    held->push_back(res); // the stream stays open until the client leaves
                    return;
                }
                if (req.path == "/missing") {
                    res.send(404, "no");
                    return;
                }
                res.send(200, "ok");
            });
            std::uint16_t port = ts.port();
            {
                Client c(port);
                REQUIRE(c.send(get("/a") + get("/b") + get("/missing")));
                CHECK(c.read().status == 200);
                CHECK(c.read().status == 200);
                CHECK(c.read().status == 404);
            }
            {
                Client bad(port);
                REQUIRE(bad.send("GET / HTTP/1.1\r\n\r\n")); // no Host: the server's own 400
                CHECK(bad.read().status == 400);
            }
            {
                Client hang(port);
                REQUIRE(hang.send(get("/hang")));
                std::this_thread::sleep_for(100ms);
            }
            std::this_thread::sleep_for(200ms);
            net::HttpServerStats s;
            ts.lt.sync([&] { s = ts.server->stats(); });
            CHECK(s.responses[200] == 2);
            CHECK(s.responses[404] == 1);
            CHECK(s.responses[400] == 1);
            CHECK(s.latency_count == 3); // handler answers only
            std::uint64_t in_buckets = 0;
            for (auto n : s.latency_buckets) {
                in_buckets += n;
            }
            CHECK(in_buckets == 3);
            CHECK(s.latency_sum_seconds >= 0);
            CHECK(s.connections_accepted == 3);
            CHECK(s.aborted == 1);
            bool forced = true;
            test_support::Latch done;
            ts.lt.sync([&] { ts.server->shutdown(1s, [&done] { done.hit(); }); });
            CHECK(done.wait_for_count(1, 3000ms));
            ts.lt.sync([&] { forced = ts.server->shutdown_forced(); });
            CHECK(!forced);
        }
    }
}
