#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "core/cancellation.hpp"

using namespace zsyncctl;

TEST_CASE("CancellationToken cancels children, not parents") {
    core::CancellationToken root;
    auto child = root.child();
    auto grandchild = child.child();
    auto sibling = root.child();
    child.cancel();
    CHECK(child.is_cancelled());
    CHECK(grandchild.is_cancelled());
    CHECK_FALSE(root.is_cancelled());
    CHECK_FALSE(sibling.is_cancelled());
    root.cancel();
    CHECK(sibling.is_cancelled());
}

TEST_CASE("CancellationToken child of a cancelled token starts cancelled") {
    core::CancellationToken root;
    root.cancel();
    CHECK(root.child().is_cancelled());
}

TEST_CASE("CancellationToken callbacks run once, or never when removed") {
    core::CancellationToken token;
    int runs = 0;
    int removed_runs = 0;
    token.on_cancel([&] { ++runs; });
    auto id = token.on_cancel([&] { ++removed_runs; });
    CHECK(token.remove_callback(id));
    token.cancel();
    token.cancel();
    CHECK(runs == 1);
    CHECK(removed_runs == 0);
    SUBCASE("registering after cancel runs immediately") {
        bool ran = false;
        CHECK(token.on_cancel([&] { ran = true; }) == 0);
        CHECK(ran);
    }
}

TEST_CASE("CancellationToken concurrent cancel and register is safe") {
    for (int round = 0; round < 200; ++round) {
        core::CancellationToken token;
        std::atomic<int> runs{0};
        std::thread a([&] { token.cancel(); });
        std::thread b([&] {
            for (int i = 0; i < 10; ++i) {
                core::CancellationRegistration reg(token, [&] { runs++; });
            }
        });
        a.join();
        b.join();
        CHECK(token.is_cancelled());
        CHECK(runs.load() <= 10);
    }
}
