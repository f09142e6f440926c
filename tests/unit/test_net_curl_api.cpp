#include <doctest/doctest.h>

#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "net/curl_api.hpp"
#include "net_test_server.hpp"
#include "temp_dir.hpp"

using namespace zsyncctl;

TEST_SUITE("net") {

    TEST_CASE("load_curl loads the system libcurl on demand") {
        auto api = net::load_curl();
        REQUIRE_MESSAGE(api.ok(), (api.ok() ? "" : api.error().message));
        CHECK(net::curl_loaded());
        CHECK_FALSE((*api)->version.empty());
        CHECK((*api)->library == "libcurl.so.4");
        // Cached: the same table every time.
        auto again = net::load_curl();
        REQUIRE(again.ok());
        CHECK(*again == *api);
    }

    TEST_CASE("load_curl_library reports a missing or wrong library clearly") {
        SUBCASE("missing file is not_found with an install hint") {
            auto api = net::load_curl_library("/nonexistent/libcurl.so.4");
            REQUIRE_FALSE(api.ok());
            CHECK(api.error().kind == util::ErrorKind::not_found);
            CHECK(api.error().message.find("/nonexistent/libcurl.so.4") != std::string::npos);
            CHECK(api.error().hint.find("apt-get install libcurl4") != std::string::npos);
        }
        SUBCASE("a library that is not libcurl is unsupported and names the missing function") {
            auto api = net::load_curl_library("libz.so.1");
            REQUIRE_FALSE(api.ok());
            CHECK(api.error().kind == util::ErrorKind::unsupported);
            CHECK(api.error().message.find("curl_global_init") != std::string::npos);
        }
    }

    TEST_CASE("load_curl_library with owner_checked refuses a library others could have written") {
        auto api = net::load_curl();
        REQUIRE(api.ok());
        Dl_info info{};
        REQUIRE(::dladdr(reinterpret_cast<void*>((*api)->easy_init), &info) != 0);
        REQUIRE(info.dli_fname != nullptr);
        test::TempDir dir("curl");
        auto copy = dir.path / "libcurl.so.4";
        std::filesystem::copy_file(info.dli_fname, copy);
        SUBCASE("world-writable: refused before it is loaded") {
            ::chmod(copy.c_str(), 0666);
            auto loaded = net::load_curl_library(copy.string(), net::LibraryTrust::owner_checked);
            REQUIRE_FALSE(loaded.ok());
            CHECK(loaded.error().kind == util::ErrorKind::permission_denied);
            CHECK(loaded.error().message.find(copy.string()) != std::string::npos);
        }
        SUBCASE("group-writable: refused") {
            ::chmod(copy.c_str(), 0664);
            auto loaded = net::load_curl_library(copy.string(), net::LibraryTrust::owner_checked);
            REQUIRE_FALSE(loaded.ok());
        }
        if (::geteuid() == 0) {
            SUBCASE("owned by another user: refused") {
                ::chmod(copy.c_str(), 0644);
                REQUIRE(::chown(copy.c_str(), 65534, 65534) == 0);
                auto loaded = net::load_curl_library(copy.string(), net::LibraryTrust::owner_checked);
                REQUIRE_FALSE(loaded.ok());
                CHECK(loaded.error().kind == util::ErrorKind::permission_denied);
            }
        }
        SUBCASE("ours and 0644: loaded, named by its path") {
            ::chmod(copy.c_str(), 0644);
            auto loaded = net::load_curl_library(copy.string(), net::LibraryTrust::owner_checked);
            REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error().message));
            CHECK(loaded->library == copy.string());
        }
    }

    namespace {
    std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
        static_cast<std::string*>(user)->append(data, size * count);
        return size * count;
    }
    } // namespace

    TEST_CASE("CurlApi functions resolved by dlsym perform a real transfer") {
        test::TestHttpServer server;
        auto loaded = net::load_curl();
        REQUIRE(loaded.ok());
        const net::CurlApi& api = **loaded;
        CURL* easy = api.easy_init();
        REQUIRE(easy != nullptr);
        std::string body;
        std::string url = server.url("/bytes?size=1000");
        api.easy_setopt(easy, CURLOPT_URL, url.c_str());
        api.easy_setopt(easy, CURLOPT_WRITEFUNCTION, &append_body);
        api.easy_setopt(easy, CURLOPT_WRITEDATA, &body);
        api.easy_setopt(easy, CURLOPT_TIMEOUT_MS, 10000L);
        CURLcode rc = api.easy_perform(easy);
        long status = 0;
        api.easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
        api.easy_cleanup(easy);
        CHECK(rc == CURLE_OK);
        CHECK(status == 200);
        REQUIRE(body.size() == 1000);
        CHECK(static_cast<unsigned char>(body[255]) == 255);
        CHECK(body[256] == 0);
    }

} // TEST_SUITE
