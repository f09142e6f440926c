#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "pkg/install/simulation.hpp"
#include "pkg/inventory/zypper_outdated.hpp"

using namespace zsyncctl;

namespace {

// Recorded from zypper 1.14.42 (this machine) on a scratch root: `--xmlout list-updates` with zs-held locked
// (list-updates leaves it out; --all lists it), `--xmlout locks --solvables`, `--xmlout info zs-held zs-up`.
constexpr std::string_view k_updates = R"(<?xml version='1.0'?>
<stream>
<message type="info">Loading repository data...</message>
<message type="info">Reading installed packages...</message>
<update-status version="0.6">
<update-list>
<update kind="package" name="zs-up" edition="1.1-1" arch="noarch" edition-old="1.0-1"><summary>upgrade test zs-up</summary><description>upgrade test zs-up</description><license/><source url="file:/tmp/zyp/repo" alias="zstest"/></update><update kind="patch" name="openSUSE-2024-1" edition="1" arch="noarch" edition-old=""/><update kind="package" name="a&amp;b" edition="2:1.0-1" arch="x86_64" edition-old="1:9-1"></update></update-list>
</update-status>
</stream>
)";

constexpr std::string_view k_locks = R"(<?xml version='1.0'?>
<stream>
<message type="info">Loading repository data...</message>
<message type="info">Reading installed packages...</message>
<locks size="1"><lock number="1"><name>zs-held</name><type>package</type><matches size="3"><match kind="package" name="zs-held" edition="1.1-1" arch="noarch" installed="false" repo="zstest"></match>
<match kind="package" name="zs-held" edition="1.0-1" arch="noarch" installed="true" repo="@System"></match>
<match kind="package" name="zs-held" edition="1.0-1" arch="noarch" installed="false" repo="zstest"></match>
</matches></lock>
</locks></stream>
)";

constexpr std::string_view k_info = R"(<?xml version='1.0'?>
<stream>
<message type="info">Loading repository data...</message>
<message type="info">Reading installed packages...</message>
<message type="info">Repository     : zstest
Name           : zs-held
Version        : 1.1-1
Arch           : noarch
Vendor         : 
Installed Size : 4 B
Installed      : Yes
Status         : out-of-date (version 1.0-1 installed)
Source package : zs-held-1.1-1.src
Summary        : upgrade test zs-held
Description    : 
    upgrade test zs-held
</message>
<message type="info">Repository     : zstest
Name           : zs-new
Version        : 2.0-1
Arch           : noarch
Vendor         : 
Installed Size : 4 B
Installed      : No
Status         : not installed
Summary        : not yet installed
Description    : 
    x
</message>
<message type="info">Repository     : zstest
Name           : zs-up
Version        : 1.1-1
Arch           : noarch
Installed      : Yes
Status         : up-to-date
Summary        : upgrade test zs-up
</message>
</stream>
)";

// zypper --xmlout update --dry-run (abridged: the prompt's options and the file conflict progress).
constexpr std::string_view k_dry_run = R"(<?xml version='1.0'?>
<stream>
<message type="info">Loading repository data...</message>
<message type="info">Reading installed packages...</message>
<install-summary download-size="6063" space-usage-diff="0" packages-to-change="1">
<to-upgrade>
<solvable type="package" name="zs-up" edition="1.1-1" arch="noarch" edition-old="1.0-1" arch-old="noarch" summary="upgrade test zs-up">
<description>upgrade test zs-up</description></solvable>
</to-upgrade>
<to-install>
<solvable type="package" name="zs-dep" edition="1.0-1" arch="noarch" summary="dep"/>
</to-install>
<to-remove>
<solvable type="package" name="zs-old" edition="0.9-1" arch="noarch" summary="old"/>
</to-remove>
</install-summary>
<prompt id="0">
<text>Continue?</text>
<option default="1" value="y" desc="Yes, accept the summary and proceed with installation/removal of packages."/>
</prompt>
<fileconflict-summary><message type="warning">1 package had to be excluded from file conflicts check because it is not yet download.</message>
<message type="info">    Note: Checking for file conflicts requires not installed packages to be downloaded in advance in
    order to access their file lists. See option &apos;--download-in-advance / --dry-run --download-only&apos;
    in the zypper manual page for details.</message>
</fileconflict-summary></stream>
)";

// zypper --xmlout update --dry-run zs-held with zs-held locked: a solver problem, exit 4.
constexpr std::string_view k_problem = R"(<?xml version='1.0'?>
<stream>
<message type="info">Resolving package dependencies...</message>
<prompt id="1">
<description>Problem: conflicting requests
 Solution 1: Following actions will be done:
  remove lock to allow installation of zs-held-1.1-1.noarch[zstest]
 Solution 2: do not ask to install a solvable providing zs-held.noarch = 1.1-1
</description>
<text>Choose from above solutions by number or cancel</text>
<option value="1" desc="Choose solution 1"/>
</prompt>
</stream>
)";

} // namespace

TEST_CASE("parse_zypper_updates reads list-updates' packages") {
    SUBCASE("packages, sorted, entities decoded, patches left out") {
        auto out = pkg::parse_zypper_updates(k_updates);
        REQUIRE(out.ok());
        REQUIRE(out->size() == 2);
        CHECK((*out)[0].name == "a&b");
        CHECK((*out)[0].installed == "1:9-1");
        CHECK((*out)[0].candidate == "2:1.0-1");
        CHECK((*out)[0].architecture == "x86_64");
        CHECK((*out)[1].name == "zs-up");
        CHECK((*out)[1].installed == "1.0-1");
        CHECK((*out)[1].candidate == "1.1-1");
        CHECK((*out)[1].skip_reason.empty());
    }
    SUBCASE("zypper's error message") {
        auto out = pkg::parse_zypper_updates(
            "<?xml version='1.0'?>\n<stream>\n<message type=\"error\">System management is locked by the "
            "application with pid 42 (zypper).</message>\n</stream>\n");
        REQUIRE(!out.ok());
        CHECK(out.error().kind == util::ErrorKind::command_failed);
        CHECK(out.error().message.find("locked by the application with pid 42") != std::string::npos);
    }
    SUBCASE("not XML, or cut off") {
        CHECK(pkg::parse_zypper_updates("Loading repository data...\n").error().kind ==
              util::ErrorKind::parse);
        CHECK(!pkg::parse_zypper_updates(k_updates.substr(0, k_updates.size() / 2)).ok());
        CHECK(!pkg::parse_zypper_updates("").ok());
    }
}

TEST_CASE("parse_zypper_locked names the installed packages a lock matches") {
    auto locked = pkg::parse_zypper_locked(k_locks);
    REQUIRE(locked.ok());
    REQUIRE(locked->size() == 1);
    CHECK((*locked)[0].name == "zs-held");
    CHECK((*locked)[0].architecture == "noarch");
    auto none =
        pkg::parse_zypper_locked("<?xml version='1.0'?>\n<stream>\n<locks size=\"0\"></locks></stream>\n");
    REQUIRE(none.ok());
    CHECK(none->empty());
}

TEST_CASE("parse_zypper_info reads candidate, repository and installed version") {
    auto info = pkg::parse_zypper_info(k_info);
    REQUIRE(info.ok());
    REQUIRE(info->size() == 3);
    CHECK((*info)[0].name == "zs-held");
    CHECK((*info)[0].candidate == "1.1-1");
    CHECK((*info)[0].installed == "1.0-1");
    CHECK((*info)[0].repository == "zstest");
    CHECK((*info)[0].architecture == "noarch");
    CHECK((*info)[0].description == "upgrade test zs-held");
    CHECK((*info)[1].installed.empty());
    CHECK((*info)[1].candidate == "2.0-1");
    CHECK((*info)[2].installed == "1.1-1");
    SUBCASE("an unknown name gives nothing") {
        auto none =
            pkg::parse_zypper_info("<?xml version='1.0'?>\n<stream>\n<message type=\"info\">Loading "
                                   "repository data...</message>\n\npackage 'x' not found.\n</stream>\n");
        REQUIRE(none.ok());
        CHECK(none->empty());
    }
}

TEST_CASE("parse_simulation reads zypper --xmlout --dry-run") {
    SUBCASE("the install summary") {
        auto r = pkg::parse_simulation(pkg::SimulationFormat::zypper_xml, pkg::Operation::upgrade, k_dry_run,
                                       "", 0);
        CHECK(r.resolved);
        REQUIRE(r.transaction.upgrade.size() == 1);
        CHECK(r.transaction.upgrade[0] == pkg::TransactionPackage{"zs-up", "1.1-1", "1.0-1"});
        REQUIRE(r.transaction.install.size() == 1);
        CHECK(r.transaction.install[0] == pkg::TransactionPackage{"zs-dep", "1.0-1", ""});
        REQUIRE(r.transaction.remove.size() == 1);
        CHECK(r.transaction.remove[0] == pkg::TransactionPackage{"zs-old", "", "0.9-1"});
        CHECK(r.messages.empty()); // the file conflict check's notes are no reason
    }
    SUBCASE("a solver problem: not resolved, the problem as messages") {
        auto r = pkg::parse_simulation(pkg::SimulationFormat::zypper_xml, pkg::Operation::upgrade, k_problem,
                                       "", 4);
        CHECK(!r.resolved);
        CHECK(r.transaction.empty());
        REQUIRE(!r.messages.empty());
        CHECK(r.messages[0] == "Problem: conflicting requests");
    }
    SUBCASE("nothing to do, and an error") {
        auto r = pkg::parse_simulation(pkg::SimulationFormat::zypper_xml, pkg::Operation::remove,
                                       "<stream>\n<message type=\"error\">No provider of &apos;zs-x&apos; "
                                       "found.</message>\n<install-summary packages-to-change=\"0\">\n"
                                       "</install-summary>\n<message type=\"info\">Nothing to do.</message>\n"
                                       "</stream>\n",
                                       "", 0);
        CHECK(r.resolved);
        CHECK(r.transaction.empty());
        CHECK(r.messages == std::vector<std::string>{"No provider of 'zs-x' found.", "Nothing to do."});
    }
}
