#include <doctest/doctest.h>

#include <random>
#include <string>

#include "pkg/search/native/apt_phasing.hpp"

using namespace zsyncctl;

TEST_CASE("apt_conf_value reads apt.conf's flat and nested forms, the last one winning") {
    SUBCASE("flat, any case, with comments") {
        CHECK(pkg::apt_conf_value("// c\n# c\napt::get::NEVER-Include-Phased-Updates \"true\";\n",
                                  "APT::Get::Never-Include-Phased-Updates") == "true");
    }
    SUBCASE("nested scopes and a later value") {
        std::string text = "APT {\n  Get {\n    Always-Include-Phased-Updates \"1\";\n  };\n};\n"
                           "APT::Get::Always-Include-Phased-Updates \"no\";\n";
        CHECK(pkg::apt_conf_value(text, "APT::Get::Always-Include-Phased-Updates") == "no");
        CHECK(!pkg::apt_conf_value(text, "APT::Machine-ID").has_value());
    }
    SUBCASE("a scope closed before the key") {
        std::string text = "APT {\n  Get { Foo \"x\"; };\n};\nMachine-ID \"m\";\n";
        CHECK(!pkg::apt_conf_value(text, "APT::Machine-ID").has_value());
    }
}

TEST_CASE("apt_conf_bool and phased_update_percentage read values as apt does") {
    CHECK(pkg::apt_conf_bool("Yes", false));
    CHECK(!pkg::apt_conf_bool("off", true));
    CHECK(pkg::apt_conf_bool("maybe", true));
    CHECK(pkg::phased_update_percentage("0") == 0);
    CHECK(pkg::phased_update_percentage(" 40 ") == 40);
    CHECK(pkg::phased_update_percentage("") == 100);
    CHECK(pkg::phased_update_percentage("101") == 100);
    CHECK(pkg::phased_update_percentage("x") == 100);
}

TEST_CASE("apt_phase_excluded applies the overrides before the machine's draw") {
    pkg::AptPhasing p;
    p.machine_id = "0f9a2c4e8b7d41a6b3c5d7e9f1a2b3c4";
    CHECK(!pkg::apt_phase_excluded(p, "zs", "2.0", 100));
    p.never_include = true;
    CHECK(pkg::apt_phase_excluded(p, "zs", "2.0", 99));
    p.always_include = true;
    CHECK(!pkg::apt_phase_excluded(p, "zs", "2.0", 0));
    p = {};
    CHECK(!pkg::apt_phase_excluded(p, "zs", "2.0", 0)); // no machine id: apt includes it
    p.machine_id = "x";
    p.include_everything = true;
    CHECK(!pkg::apt_phase_excluded(p, "zs", "2.0", 0));
    p.include_everything = false;
    // The draw is 0..100 and excludes when above the percentage: at 0 nearly every source is out, and
    // the same inputs always draw the same.
    int excluded = 0;
    for (int i = 0; i < 50; ++i) {
        excluded += pkg::apt_phase_excluded(p, "src" + std::to_string(i), "1", 0) ? 1 : 0;
        CHECK(pkg::apt_phase_excluded(p, "src" + std::to_string(i), "1", 0) ==
              pkg::apt_phase_excluded(p, "src" + std::to_string(i), "1", 0));
    }
    CHECK(excluded >= 45);
}

TEST_CASE("apt_phase_draw is the draw apt makes") {
    for (const char* text :
         {"zs-src-2.0-0f9a2c4e8b7d41a6b3c5d7e9f1a2b3c4", "bash-5.2-1-x", "", "\xff\x80-é"}) {
        std::string seed_text = text;
        unsigned int draw = pkg::apt_phase_draw(seed_text);
        CHECK(draw <= 100);
#if defined(__GLIBCXX__) // the library apt is built with: the same draw through the standard types
        std::seed_seq seed(seed_text.begin(), seed_text.end());
        std::minstd_rand rand(seed);
        std::uniform_int_distribution<unsigned int> dist(0, 100);
        CHECK(draw == dist(rand));
#endif
    }
}
