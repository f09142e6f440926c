#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include "core/event_loop.hpp"
#include "core/runtime.hpp"
#include "net/http_client.hpp"
#include "net_test_server.hpp"
#include "temp_dir.hpp"
#include "util/fs.hpp"

using namespace zsyncctl;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

using ScratchDir = zsyncctl::test::TempDir;

// One runtime + client per test; the client is destroyed first, as HttpClient requires.
struct Fixture {
    ScratchDir dir;
    std::unique_ptr<core::Runtime> runtime;
    std::unique_ptr<net::HttpClient> client;

    // The backend: ZSYNCCTL_IO_BACKEND when set (Meson runs this suite once per backend), else auto.
    static core::IoBackend default_backend() {
        const char* env = std::getenv("ZSYNCCTL_IO_BACKEND");
        return env != nullptr ? core::parse_io_backend(env).value_or(core::IoBackend::automatic)
                              : core::IoBackend::automatic;
    }

    explicit Fixture(core::IoBackend backend = default_backend()) {
        core::Config config;
        config.execution_model = core::ExecutionModel::thread_pool;
        config.workers = 2;
        config.io_backend = backend;
        auto rt = core::Runtime::create(config);
        REQUIRE(rt.ok());
        runtime = std::move(*rt);
        auto made = net::HttpClient::create(*runtime, net::HttpCache(dir.path / "http"));
        REQUIRE_MESSAGE(made.ok(), (made.ok() ? "" : made.error().message));
        client = std::move(*made);
    }
    ~Fixture() {
        client.reset();
        runtime->shutdown();
    }

    util::Result<net::Response> get(net::Request request) {
        return client->fetch(std::move(request)).wait_for(30s);
    }
    util::Result<net::Response> get(const std::string& url) {
        net::Request request;
        request.url = url;
        return get(std::move(request));
    }
};

std::string pattern(std::size_t size) {
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        out[i] = static_cast<char>(i % 256);
    }
    return out;
}

} // namespace

TEST_SUITE("net_loop") {

    TEST_CASE("HttpClient GET returns status, headers, body and the effective URL") {
        test::TestHttpServer server;
        Fixture f;
        SUBCASE("200 with a body") {
            auto r = f.get(server.url("/etag/plain"));
            REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
            CHECK(r->status == 200);
            CHECK(r->header("etag") == "\"plain-v1\"");
            CHECK(r->header("Last-Modified").has_value());
            CHECK(r->body.rfind("plain version 1\n", 0) == 0);
            CHECK(r->body.size() == 1600);
            CHECK(r->body_size == 1600);
            CHECK(r->effective_url == server.url("/etag/plain"));
            CHECK(net::require_success(std::move(*r)).ok());
        }
        SUBCASE("404 is a response, and require_success makes it not_found") {
            auto r = f.get(server.url("/status/404"));
            REQUIRE(r.ok());
            CHECK(r->status == 404);
            auto required = net::require_success(std::move(*r));
            REQUIRE_FALSE(required.ok());
            CHECK(required.error().kind == util::ErrorKind::not_found);
            CHECK(required.error().message.find("HTTP 404") != std::string::npos);
        }
        SUBCASE("HttpErrors::fail fails the future and keeps the error page from on_chunk") {
            net::Request request;
            request.url = server.url("/status/404");
            request.http_errors = net::HttpErrors::fail;
            std::string seen;
            request.on_chunk = [&seen](std::string_view chunk) -> util::Result<void> {
                seen.append(chunk);
                return util::ok();
            };
            auto r = f.get(std::move(request));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().kind == util::ErrorKind::not_found);
            CHECK(seen.empty());
        }
        SUBCASE("500 becomes a network error") {
            auto r = f.get(server.url("/status/500"));
            REQUIRE(r.ok());
            auto required = net::require_success(std::move(*r));
            REQUIRE_FALSE(required.ok());
            CHECK(required.error().kind == util::ErrorKind::network);
        }
        SUBCASE("request headers are sent") {
            net::Request request;
            request.url = server.url("/echo-headers");
            request.headers = {"X-Zsyncctl-Test: yes"};
            auto r = f.get(std::move(request));
            REQUIRE(r.ok());
            CHECK(r->body.find("X-Zsyncctl-Test: yes") != std::string::npos);
            CHECK(r->body.find("User-Agent: zsyncctl/") != std::string::npos);
        }
    }

    TEST_CASE("HttpClient fails a slow server with a timeout") {
        test::TestHttpServer server;
        Fixture f;
        SUBCASE("no headers before the deadline") {
            net::Request request;
            request.url = server.url("/slow?delay=5");
            request.timeout = 300ms;
            auto started = std::chrono::steady_clock::now();
            auto r = f.get(std::move(request));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().kind == util::ErrorKind::timeout);
            CHECK(std::chrono::steady_clock::now() - started < 4s);
        }
        SUBCASE("body stalls between chunks") {
            net::Request request;
            request.url = server.url("/slow?delay=0&chunks=3&gap=5");
            request.timeout = 500ms;
            auto r = f.get(std::move(request));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().kind == util::ErrorKind::timeout);
        }
    }

    TEST_CASE("HttpClient reports a server closing mid-body as a network error") {
        test::TestHttpServer server;
        Fixture f;
        auto r = f.get(server.url("/truncate?size=100000&send=1000"));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == util::ErrorKind::network);
        CHECK(r.error().message.find("/truncate") != std::string::npos);
    }

    TEST_CASE("HttpClient follows redirects up to the limit") {
        test::TestHttpServer server;
        Fixture f;
        SUBCASE("followed") {
            auto r = f.get(server.url("/redirect?n=3"));
            REQUIRE(r.ok());
            CHECK(r->status == 200);
            CHECK(r->body == pattern(5));
            CHECK(r->effective_url == server.url("/bytes?size=5"));
            CHECK(r->header("Content-Length") == "5"); // only the final response's headers
        }
        SUBCASE("too many") {
            net::Request request;
            request.url = server.url("/redirect?n=5");
            request.max_redirects = 2;
            auto r = f.get(std::move(request));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().kind == util::ErrorKind::network);
        }
        SUBCASE("not followed when disabled") {
            net::Request request;
            request.url = server.url("/redirect?n=1");
            request.follow_redirects = net::FollowRedirects::no;
            auto r = f.get(std::move(request));
            REQUIRE(r.ok());
            CHECK(r->status == 302);
            CHECK(r->header("location").has_value());
        }
    }

    TEST_CASE("HttpClient enforces the body size limit") {
        test::TestHttpServer server;
        Fixture f;
        for (const char* path : {"/bytes?size=100000", "/bytes?size=100000&chunked=1"}) {
            CAPTURE(path);
            net::Request request;
            request.url = server.url(path);
            request.max_body_size = 4096;
            auto r = f.get(std::move(request));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().kind == util::ErrorKind::io);
            CHECK(r.error().code == "ResponseTooLarge");
            CHECK(r.error().message.find("4096 bytes") != std::string::npos);
        }
        net::Request fits;
        fits.url = server.url("/bytes?size=4096");
        fits.max_body_size = 4096;
        auto r = f.get(std::move(fits));
        REQUIRE(r.ok());
        CHECK(r->body.size() == 4096);
    }

    TEST_CASE("HttpClient streams the body in chunks and reports progress") {
        test::TestHttpServer server;
        Fixture f;
        constexpr std::size_t k_size = 3 * 1024 * 1024 + 17;
        std::string streamed;
        std::size_t chunks = 0;
        std::uint64_t last_now = 0;
        std::uint64_t last_total = 0;
        net::Request request;
        request.url = server.url("/bytes?size=" + std::to_string(k_size));
        request.on_chunk = [&](std::string_view chunk) -> util::Result<void> {
            streamed.append(chunk);
            ++chunks;
            return util::ok();
        };
        request.on_progress = [&](std::uint64_t now, std::uint64_t total) {
            last_now = now;
            last_total = total;
        };
        auto r = f.get(std::move(request));
        REQUIRE(r.ok());
        CHECK(r->body.empty());
        CHECK(r->body_size == k_size);
        CHECK(chunks > 1);
        CHECK(streamed == pattern(k_size));
        CHECK(last_total == k_size);
        CHECK(last_now == k_size);

        SUBCASE("a chunk consumer's error aborts with that error") {
            net::Request failing;
            failing.url = server.url("/bytes?size=100000");
            failing.on_chunk = [](std::string_view) -> util::Result<void> {
                return util::fail(util::ErrorKind::io, "disk full (test)");
            };
            auto failed = f.get(std::move(failing));
            REQUIRE_FALSE(failed.ok());
            CHECK(failed.error().message == "disk full (test)");
        }
    }

    TEST_CASE("HttpClient reads file:// URLs") {
        Fixture f;
        REQUIRE(util::write_file_atomic(f.dir.path / "local.txt", "local content\n").ok());
        auto r = f.get("file://" + (f.dir.path / "local.txt").string());
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
        CHECK(r->body == "local content\n");
        CHECK(r->status == 0);

        auto missing = f.get("file://" + (f.dir.path / "missing.txt").string());
        REQUIRE_FALSE(missing.ok());
        CHECK(missing.error().kind == util::ErrorKind::not_found);

        auto scheme = f.get("gopher://127.0.0.1/");
        REQUIRE_FALSE(scheme.ok());
        CHECK(scheme.error().kind == util::ErrorKind::unsupported);
    }

    TEST_CASE("HttpClient refuses a connection to a closed port quickly") {
        test::TestHttpServer server;
        std::string url = server.url("/bytes?size=5");
        server.stop();
        Fixture f;
        auto r = f.get(url);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == util::ErrorKind::network);
    }

} // TEST_SUITE

TEST_SUITE("net_loop_runtime") {

    TEST_CASE("HttpClient runs 20 downloads concurrently on the loop") {
        test::TestHttpServer server;
        for (auto backend : {core::IoBackend::automatic, core::IoBackend::epoll}) {
            CAPTURE(static_cast<int>(backend));
            Fixture f(backend);
            std::vector<core::Future<net::Response>> futures;
            for (int i = 0; i < 20; ++i) {
                net::Request request;
                // Each body takes ~0.5 s to trickle in, so 20 in series would take 10 s.
                request.url = server.url("/bytes?size=" + std::to_string(200000 + i) + "&rate=400000");
                futures.push_back(f.client->fetch(std::move(request)));
            }
            auto started = std::chrono::steady_clock::now();
            for (int i = 0; i < 20; ++i) {
                auto r = futures[static_cast<std::size_t>(i)].wait_for(60s);
                REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
                CHECK(r->status == 200);
                CHECK(r->body == pattern(200000 + static_cast<std::size_t>(i)));
            }
            // Concurrency, not speed: generous against 2 shared cores, far below 20 sequential transfers.
            CHECK(std::chrono::steady_clock::now() - started < 8s);
            CHECK(f.client->active_transfers() == 0);
        }
    }

    TEST_CASE("HttpClient cancels a download in progress") {
        test::TestHttpServer server;
        Fixture f;
        core::CancellationToken token;
        std::atomic<std::uint64_t> received{0};
        net::Request request;
        request.url = server.url("/bytes?size=2000000&rate=100000"); // 20 s at full length
        request.token = token;
        request.on_chunk = [&](std::string_view chunk) -> util::Result<void> {
            received += chunk.size();
            return util::ok();
        };
        auto future = f.client->fetch(std::move(request));
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (received.load() == 0 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(10ms);
        }
        REQUIRE(received.load() > 0);
        auto cancelled_at = std::chrono::steady_clock::now();
        token.cancel();
        auto r = future.wait_for(5s);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == util::ErrorKind::cancelled);
        CHECK(std::chrono::steady_clock::now() - cancelled_at < 2s);
        CHECK(f.client->active_transfers() == 0);

        SUBCASE("a token cancelled before the start never starts") {
            core::CancellationToken early;
            early.cancel();
            net::Request again;
            again.url = server.url("/bytes?size=10");
            again.token = early;
            auto never = f.client->fetch(std::move(again)).wait_for(5s);
            REQUIRE_FALSE(never.ok());
            CHECK(never.error().kind == util::ErrorKind::cancelled);
        }
    }

    TEST_CASE("HttpClient destroyed with transfers running fails them as cancelled") {
        test::TestHttpServer server;
        Fixture f;
        net::Request request;
        request.url = server.url("/slow?delay=5");
        auto future = f.client->fetch(std::move(request));
        std::this_thread::sleep_for(100ms);
        f.client.reset();
        auto r = future.wait_for(5s);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == util::ErrorKind::cancelled);
    }

    TEST_CASE("HttpClient refuses to fetch after its runtime shut down") {
        Fixture f;
        f.runtime->shutdown();
        net::Request request;
        request.url = "file:///dev/null";
        auto r = f.client->fetch(std::move(request)).wait_for(5s);
        REQUIRE_FALSE(r.ok());
        CHECK(core::runtime_errc(r.error()) == core::RuntimeErrc::RuntimeShutdown);
        f.client.reset(); // tears down without the loop
    }

    TEST_CASE("HttpClient fetch_cached revalidates with ETag and serves 304 from the cache") {
        test::TestHttpServer server;
        Fixture f;
        auto fetch = [&](const std::string& path, net::CacheMode mode = net::CacheMode::revalidate,
                         net::StaleOnError stale = net::StaleOnError::no) {
            net::CachedRequest request;
            request.url = server.url(path);
            request.cache_key = "formula.json";
            request.mode = mode;
            request.stale_on_error = stale;
            return f.client->fetch_cached(std::move(request)).wait_for(30s);
        };
        auto first = fetch("/etag/formula");
        REQUIRE_MESSAGE(first.ok(), (first.ok() ? "" : first.error().message));
        CHECK(first->status == 200);
        CHECK_FALSE(first->from_cache);
        CHECK(first->etag == "\"formula-v1\"");
        CHECK(first->body_path == f.dir.path / "http" / "formula.json.body");
        CHECK(first->read_body().value_or("").rfind("formula version 1\n", 0) == 0);

        auto second = fetch("/etag/formula");
        REQUIRE(second.ok());
        CHECK(second->status == 304);
        CHECK(second->from_cache);
        CHECK(second->revalidated);
        CHECK(second->read_body().value_or("") == first->read_body().value_or("x"));

        // The server saw the validator on the second request only.
        auto log = f.get(server.url("/log"));
        REQUIRE(log.ok());
        CHECK(log->body.find("/etag/formula inm= ims=\n") != std::string::npos);
        CHECK(log->body.find("/etag/formula inm=\"formula-v1\"") != std::string::npos);

        SUBCASE("a changed resource replaces the cached body") {
            REQUIRE(f.get(server.url("/set/formula?v=2")).ok());
            auto third = fetch("/etag/formula");
            REQUIRE(third.ok());
            CHECK(third->status == 200);
            CHECK_FALSE(third->from_cache);
            CHECK(third->read_body().value_or("").rfind("formula version 2\n", 0) == 0);
        }
        SUBCASE("refresh ignores the validators") {
            auto refreshed = fetch("/etag/formula", net::CacheMode::refresh);
            REQUIRE(refreshed.ok());
            CHECK(refreshed->status == 200);
            CHECK_FALSE(refreshed->from_cache);
        }
        SUBCASE("an unreachable server fails, or serves the stale body when allowed") {
            std::string url_path = "/etag/formula";
            server.stop();
            auto failed = fetch(url_path);
            REQUIRE_FALSE(failed.ok());
            CHECK(failed.error().kind == util::ErrorKind::network);
            auto stale = fetch(url_path, net::CacheMode::revalidate, net::StaleOnError::yes);
            REQUIRE(stale.ok());
            CHECK(stale->stale);
            CHECK(stale->from_cache);
            CHECK_FALSE(stale->stale_reason.empty());
        }
        SUBCASE("404 fails as not_found and keeps the old entry") {
            net::CachedRequest request;
            request.url = server.url("/status/404");
            request.cache_key = "other.json";
            auto missing = f.client->fetch_cached(std::move(request)).wait_for(30s);
            REQUIRE_FALSE(missing.ok());
            CHECK(missing.error().kind == util::ErrorKind::not_found);
        }
        SUBCASE("a bad cache key is invalid_input") {
            net::CachedRequest request;
            request.url = server.url("/etag/formula");
            request.cache_key = "../escape";
            auto bad = f.client->fetch_cached(std::move(request)).wait_for(5s);
            REQUIRE_FALSE(bad.ok());
            CHECK(bad.error().kind == util::ErrorKind::invalid_input);
        }
    }

} // TEST_SUITE
