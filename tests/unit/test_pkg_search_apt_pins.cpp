#include <doctest/doctest.h>

#include "pkg/search/native/apt_pins.hpp"
#include "pkg/search/native/index_apt.hpp"

using namespace zsyncctl::pkg;

namespace {

AptReleaseInfo release(std::string archive, std::string codename, std::string origin, std::string site) {
    AptReleaseInfo r;
    r.archive = std::move(archive);
    r.codename = std::move(codename);
    r.origin = std::move(origin);
    r.label = r.origin;
    r.version = "12.1";
    r.component = "main";
    r.arch = "amd64";
    r.site = std::move(site);
    r.has_release = true;
    return r;
}

} // namespace

TEST_CASE("AptPreferences reads pin stanzas as apt does") {
    AptPreferences prefs;
    add_apt_preferences(prefs, "/etc/apt/preferences",
                        "# a comment\n"
                        "Explanation: testing is low\n"
                        "Package: *\nPin: release a=testing\nPin-Priority: 100\n\n"
                        "Package: *\nPin: origin \"deb.example.org\"\nPin-Priority: 700\n\n"
                        "Package: foo /^lib.*-dev$/ bar*\nPin: version 2.*\nPin-Priority: 1001\n\n"
                        "Package: baz\nPin: release n=bookworm, o=Debian\nPin-Priority: -1\n\n"
                        "Package: zero\nPin: version 1\nPin-Priority: 0\n\n"
                        "Package: odd\nPin: weird thing\nPin-Priority: 500\n\n"
                        "Package: src:thing\nPin: version 1*\nPin-Priority: 900\n");
    REQUIRE(prefs.general.size() == 2);
    REQUIRE(prefs.specific.size() == 2); // zero priority and an unknown pin type are skipped, as by apt
    CHECK(prefs.unapplied.size() == 1);
    CHECK(prefs.unapplied.front().find("src:thing") != std::string::npos);

    SUBCASE("general pins: the first that matches a file sets its priority") {
        CHECK(prefs.file_priority(release("testing", "trixie", "Debian", "deb.example.org"), 500) == 100);
        CHECK(prefs.file_priority(release("stable", "bookworm", "Debian", "deb.example.org"), 500) == 700);
        CHECK(prefs.file_priority(release("stable", "bookworm", "Debian", "other.org"), 1) == 1);
    }
    SUBCASE("specific pins: names, globs and regexes; version globs; release keys") {
        AptReleaseInfo any = release("stable", "bookworm", "Debian", "x");
        CHECK(prefs.specific_pin("foo", "amd64", "2.4-1", any) == 0);
        CHECK(prefs.specific_pin("foo", "amd64", "1.9-1", any) == -1);
        CHECK(prefs.specific_pin("libssl-dev", "amd64", "2.0", any) == 0);
        CHECK(prefs.specific_pin("libssl3", "amd64", "2.0", any) == -1);
        CHECK(prefs.specific_pin("barely", "amd64", "2.0", any) == 0);
        CHECK(prefs.specific_pin("baz", "amd64", "9", any) == 1);
        CHECK(prefs.specific_pin("baz", "amd64", "9", release("stable", "bookworm", "Other", "x")) == -1);
    }
}

TEST_CASE("apt_pin_expression_matches takes globs, regexes and plain words, case ignored") {
    CHECK(apt_pin_expression_matches("stable", "Stable"));
    CHECK(apt_pin_expression_matches("sta*", "stable"));
    CHECK(apt_pin_expression_matches("/^st.b/", "stable"));
    CHECK_FALSE(apt_pin_expression_matches("/[/", "stable")); // an invalid regex matches nothing
    CHECK_FALSE(apt_pin_expression_matches("testing", "stable"));
}

TEST_CASE("apt_default_release reads both apt.conf forms") {
    CHECK(apt_default_release("APT::Default-Release \"trixie\";\n") == "trixie");
    CHECK(apt_default_release("// APT::Default-Release \"x\";\nAPT {\n  Default-Release \"stable\";\n};\n") ==
          "stable");
    CHECK(apt_default_release("APT::Get::Assume-Yes \"true\";\n").empty());
}

TEST_CASE("apt_candidate follows pin priorities: never, hold back, downgrade") {
    // newest first
    SUBCASE("a negative priority is never a candidate") {
        std::vector<AptPolicyVersion> v = {{"3", -10, false}, {"2", 500, false}};
        CHECK(apt_candidate(v) == 1u);
        std::vector<AptPolicyVersion> installed = {{"3", -10, false}, {"2", -10, true}};
        CHECK_FALSE(apt_candidate(installed)); // apt-cache policy: "Candidate: (none)"
        std::vector<AptPolicyVersion> older = {{"3", -10, true}, {"2", 500, false}};
        CHECK_FALSE(apt_candidate(older)); // not a downgrade to a 500 either
    }
    SUBCASE("a pin at or below the installed version's priority keeps the installed one") {
        std::vector<AptPolicyVersion> v = {{"3", 100, false}, {"2", 100, true}};
        CHECK(apt_candidate(v) == 0u); // equal: the newer wins, walked first
        std::vector<AptPolicyVersion> w = {{"3", 50, false}, {"2", 100, true}};
        CHECK(apt_candidate(w) == 1u);
    }
    SUBCASE("over 1000 an older version is a downgrade candidate; 999 is not") {
        std::vector<AptPolicyVersion> v = {{"3", 100, true}, {"2", 1001, false}};
        CHECK(apt_candidate(v) == 1u);
        std::vector<AptPolicyVersion> w = {{"3", 100, true}, {"2", 999, false}};
        CHECK(apt_candidate(w) == 0u);
    }
}
