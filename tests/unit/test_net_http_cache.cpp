#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <unistd.h>

#include "net/http_cache.hpp"
#include "temp_dir.hpp"
#include "util/fs.hpp"

using namespace zsyncctl;
namespace fs = std::filesystem;

namespace {
using CacheDir = zsyncctl::test::TempDir;
} // namespace

TEST_SUITE("net") {

    TEST_CASE("HttpCache stores a body with its validators and finds it again") {
        CacheDir dir;
        net::HttpCache cache(dir.path / "http");
        auto missing = cache.lookup("formula.json", "https://example.test/formula.json");
        REQUIRE(missing.ok());
        CHECK_FALSE(missing->has_value());

        auto stored = cache.store("formula.json", "https://example.test/formula.json", "\"abc\"",
                                  "Tue, 14 Nov 2023 22:30:00 GMT", "[1,2,3]");
        REQUIRE(stored.ok());
        CHECK(stored->size == 7);
        CHECK(util::read_file(stored->body_path).value_or("") == "[1,2,3]");

        auto found = cache.lookup("formula.json", "https://example.test/formula.json");
        REQUIRE(found.ok());
        REQUIRE(found->has_value());
        const net::CacheEntry& entry = **found;
        CHECK(entry.etag == "\"abc\"");
        CHECK(entry.last_modified == "Tue, 14 Nov 2023 22:30:00 GMT");
        CHECK(entry.size == 7);
        CHECK(entry.stored_at > 0);

        auto headers = net::HttpCache::conditional_headers(entry);
        REQUIRE(headers.size() == 2);
        CHECK(headers[0] == "If-None-Match: \"abc\"");
        CHECK(headers[1] == "If-Modified-Since: Tue, 14 Nov 2023 22:30:00 GMT");

        // Only the entry's two files exist: no temporary files left behind.
        int files = 0;
        for ([[maybe_unused]] auto& e : fs::directory_iterator(dir.path / "http")) {
            ++files;
        }
        CHECK(files == 2);
    }

    TEST_CASE("HttpCache treats other URLs and damaged entries as misses") {
        CacheDir dir;
        net::HttpCache cache(dir.path);
        REQUIRE(cache.store("k", "http://a.test/x", "\"1\"", "", "hello").ok());

        SUBCASE("another URL under the same key") {
            auto found = cache.lookup("k", "http://b.test/x");
            REQUIRE(found.ok());
            CHECK_FALSE(found->has_value());
        }
        SUBCASE("body size differs from the metadata (interrupted update)") {
            REQUIRE(util::write_file_atomic(dir.path / "k.body", "hello world").ok());
            auto found = cache.lookup("k", "http://a.test/x");
            REQUIRE(found.ok());
            CHECK_FALSE(found->has_value());
        }
        SUBCASE("metadata that is not ours") {
            REQUIRE(util::write_file_atomic(dir.path / "k.meta", "garbage\n").ok());
            auto found = cache.lookup("k", "http://a.test/x");
            REQUIRE(found.ok());
            CHECK_FALSE(found->has_value());
        }
        SUBCASE("removed") {
            REQUIRE(cache.remove("k").ok());
            REQUIRE(cache.remove("k").ok());
            auto found = cache.lookup("k", "http://a.test/x");
            REQUIRE(found.ok());
            CHECK_FALSE(found->has_value());
        }
    }

    TEST_CASE("HttpCache revalidation keeps the body and refreshes validators") {
        CacheDir dir;
        net::HttpCache cache(dir.path);
        auto stored = cache.store("k", "http://a.test/x", "\"1\"", "", "body");
        REQUIRE(stored.ok());
        auto marked = cache.mark_revalidated(*stored, "\"2\"", "");
        REQUIRE(marked.ok());
        auto found = cache.lookup("k", "http://a.test/x");
        REQUIRE(found.ok());
        REQUIRE(found->has_value());
        CHECK((*found)->etag == "\"2\"");
        CHECK((*found)->size == 4);
        CHECK((*found)->validated_at >= stored->stored_at);
    }

    TEST_CASE("HttpCache refuses bad keys and header values with line breaks") {
        CacheDir dir;
        net::HttpCache cache(dir.path);
        for (const char* key : {"", "../etc/passwd", ".hidden", "a/b", "a b"}) {
            CAPTURE(key);
            CHECK_FALSE(net::valid_cache_key(key));
            auto r = cache.lookup(key, "http://a.test/");
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().kind == util::ErrorKind::invalid_input);
        }
        CHECK(net::valid_cache_key("cask.json"));
        auto stored = cache.store("k", "http://a.test/x", "\"1\"\r\nX-Evil: 1", "", "b");
        REQUIRE(stored.ok());
        CHECK(stored->etag.empty());
        CHECK(net::HttpCache::conditional_headers(*stored).empty());
    }

} // TEST_SUITE
