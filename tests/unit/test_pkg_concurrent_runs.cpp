#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "pkg/install/concurrent_runs.hpp"
#include "pkg/registry/registry.hpp"

using namespace zsyncctl;

namespace {

using Schedule = std::vector<std::vector<std::size_t>>;

// The registry's own lock family of `id`, as the schedule reads it.
std::string family(const std::string& id) {
    const pkg::Manager* m = pkg::find_manager(id);
    REQUIRE(m != nullptr);
    return std::string(pkg::install_lock_group(*m));
}

} // namespace

TEST_CASE("schedule_by_lock_group serializes one lock family and runs the others at once") {
    SUBCASE("apt and nala share dpkg's lock in the real registry: one sequence; pacman another") {
        REQUIRE(family("apt") == family("nala"));
        REQUIRE(family("apt") == family("dpkg"));
        REQUIRE(family("apt") != family("pacman"));
        CHECK(pkg::schedule_by_lock_group({"apt", "pacman", "nala"}) == Schedule{{0, 2}, {1}});
    }
    SUBCASE("the rpm database's managers and pacman's helpers are families too, in the order given") {
        REQUIRE(family("dnf") == family("zypper"));
        REQUIRE(family("yay") == family("pacman"));
        CHECK(pkg::schedule_by_lock_group({"dnf", "yay", "apt", "zypper", "pacman", "npm"}) ==
              Schedule{{0, 3}, {1, 4}, {2}, {5}});
    }
    SUBCASE("every family once, each manager in exactly one sequence") {
        std::vector<std::string> all;
        for (auto id : pkg::manager_ids()) {
            all.emplace_back(id);
        }
        auto schedule = pkg::schedule_by_lock_group(all);
        std::vector<int> seen(all.size(), 0);
        std::vector<std::string> families;
        for (const auto& sequence : schedule) {
            REQUIRE(!sequence.empty());
            std::string f = family(all[sequence.front()]);
            CHECK(std::find(families.begin(), families.end(), f) == families.end());
            families.push_back(f);
            for (std::size_t i : sequence) {
                CHECK(family(all[i]) == f);
                ++seen[i];
            }
        }
        for (int n : seen) {
            CHECK(n == 1);
        }
    }
    SUBCASE("an id the registry does not know is a family of its own") {
        CHECK(pkg::schedule_by_lock_group({"zs-nosuch", "apt", "zs-nosuch2"}) == Schedule{{0}, {1}, {2}});
    }
}

TEST_CASE("ConcurrentRuns tells a run the other runs' managers and every transaction lock") {
    pkg::ConcurrentRuns runs;
    auto apt = runs.add({"/var/lib/dpkg/lock"});
    auto pacman = runs.add({});
    runs.set_main(apt, 100);
    runs.set_main(pacman, 200);
    CHECK(runs.other_mains(apt) == std::vector<pid_t>{200});
    CHECK(runs.other_mains(pacman) == std::vector<pid_t>{100});
    runs.set_main(pacman, 0);
    CHECK(runs.other_mains(apt).empty());
    CHECK(runs.all_transaction_locks() == std::vector<std::string_view>{"/var/lib/dpkg/lock"});
}
