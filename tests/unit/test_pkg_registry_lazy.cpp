// The registry builds its entries on first use (registry.cpp). This executable has nothing else in it, so the
// table is still unbuilt when the test starts: threads race to build entries by id while another walks the
// whole table, as serve's request handlers and a search's workers can. CI runs it under ThreadSanitizer
// (suite runtime).
#include <doctest/doctest.h>

#include <algorithm>
#include <latch>
#include <map>
#include <random>
#include <string_view>
#include <thread>
#include <vector>

#include "pkg/registry/registry.hpp"

using namespace zsyncctl;

TEST_CASE("Entries built by id from several threads are the table's entries") {
    const std::vector<std::string_view> ids = pkg::manager_ids(); // ids only: builds no entry
    REQUIRE(ids.size() >= 32);
    constexpr int k_threads = 6;
    std::vector<std::vector<const pkg::Manager*>> found(k_threads);
    std::vector<const pkg::Manager*> walked;
    std::latch start(k_threads + 1);
    std::vector<std::thread> threads;
    for (int t = 0; t < k_threads; ++t) {
        threads.emplace_back([&, t] {
            // Each thread asks for every id, in an order of its own.
            std::vector<std::size_t> order(ids.size());
            for (std::size_t i = 0; i < order.size(); ++i) {
                order[i] = i;
            }
            std::shuffle(order.begin(), order.end(), std::mt19937(static_cast<unsigned>(t) * 7919u + 1u));
            found[t].assign(ids.size(), nullptr);
            start.arrive_and_wait();
            for (std::size_t i : order) {
                found[t][i] = pkg::find_manager(ids[i]);
            }
        });
    }
    start.arrive_and_wait();
    for (const pkg::Manager& m : pkg::registry()) {
        walked.push_back(&m);
    }
    for (auto& thread : threads) {
        thread.join();
    }
    REQUIRE(walked.size() == ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        CAPTURE(ids[i]);
        CHECK(walked[i]->id == ids[i]);
        CHECK(&pkg::registry()[i] == walked[i]);
        for (int t = 0; t < k_threads; ++t) {
            CHECK(found[t][i] == walked[i]);
        }
    }
    // Every entry is a whole one (its facts, not just its id).
    std::map<std::string_view, std::string_view> names;
    for (const pkg::Manager& m : pkg::registry()) {
        names[m.id] = m.display_name;
    }
    CHECK(names.at("apt") == "APT");
    CHECK(names.at("homebrew") == "Homebrew");
    CHECK(pkg::find_manager("apt")->install.install_prefix.front() == "apt-get");
    CHECK(pkg::find_manager("no-such-manager") == nullptr);
}
