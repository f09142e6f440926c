#include <doctest/doctest.h>

#include <array>
#include <memory>
#include <string>

#include "util/result.hpp"
#include "util/unique_function.hpp"

using namespace zsyncctl::util;

namespace {
Result<int> half(int x) {
    if (x % 2 != 0) {
        return fail(ErrorKind::invalid_input, "odd", "pass an even number");
    }
    return x / 2;
}
} // namespace

TEST_CASE("Result holds a value or an error") {
    SUBCASE("value") {
        auto r = half(8);
        REQUIRE(r.ok());
        CHECK(*r == 4);
    }
    SUBCASE("error keeps kind, message and hint") {
        auto r = half(3);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == ErrorKind::invalid_input);
        CHECK(r.error().message == "odd");
        CHECK(r.error().hint == "pass an even number");
        CHECK(r.value_or(-1) == -1);
    }
    SUBCASE("void result") {
        Result<void> good = ok();
        Result<void> bad = fail(ErrorKind::io, "disk");
        CHECK(good.ok());
        CHECK_FALSE(bad.ok());
        CHECK(to_string(bad.error().kind) == "io");
    }
    SUBCASE("move-only values") {
        Result<std::unique_ptr<int>> r = std::make_unique<int>(5);
        REQUIRE(r.ok());
        std::unique_ptr<int> p = std::move(r).value();
        CHECK(*p == 5);
    }
}

TEST_CASE("errno_error classifies common errnos") {
    CHECK(errno_error("x", ENOENT).kind == ErrorKind::not_found);
    CHECK(errno_error("x", EACCES).kind == ErrorKind::permission_denied);
    CHECK(errno_error("x", EIO).kind == ErrorKind::io);
    CHECK(errno_error("/etc/x", ENOENT).message.find("/etc/x: ") == 0);
}

TEST_CASE("UniqueFunction holds move-only callables") {
    auto p = std::make_unique<int>(41);
    UniqueFunction<int(int)> f = [q = std::move(p)](int x) {
        return *q + x;
    };
    CHECK(f(1) == 42);
    UniqueFunction<int(int)> g = std::move(f);
    CHECK(g(2) == 43);
    CHECK_FALSE(static_cast<bool>(f));
}

TEST_CASE("UniqueFunction stores small callables inline and large ones on the heap") {
    struct Counted {
        int* live;
        explicit Counted(int* l) : live(l) { ++*live; }
        Counted(Counted&& o) noexcept : live(o.live) { ++*live; }
        Counted(const Counted&) = delete;
        ~Counted() { --*live; }
    };
    int live = 0;
    SUBCASE("inline: moves and destroys the callable exactly once each") {
        {
            UniqueFunction<int()> f = [c = Counted(&live)] {
                return *c.live;
            };
            CHECK(live == 1);
            UniqueFunction<int()> g = std::move(f);
            CHECK(live == 1);
            CHECK(g() == 1);
            g = nullptr;
            CHECK(live == 0);
            CHECK_FALSE(static_cast<bool>(g));
        }
        CHECK(live == 0);
    }
    SUBCASE("heap: a capture larger than the inline buffer") {
        {
            std::array<char, 200> big{};
            big[199] = 7;
            UniqueFunction<int()> f = [c = Counted(&live), big] {
                return big[199] + *c.live;
            };
            UniqueFunction<int()> g;
            g = std::move(f);
            CHECK(g() == 8);
            CHECK(live == 1);
        }
        CHECK(live == 0);
    }
    SUBCASE("move-assigning over a full function destroys the old callable") {
        UniqueFunction<int()> f = [c = Counted(&live)] {
            return 1;
        };
        UniqueFunction<int()> g = [c = Counted(&live)] {
            return 2;
        };
        CHECK(live == 2);
        f = std::move(g);
        CHECK(live == 1);
        CHECK(f() == 2);
    }
}
