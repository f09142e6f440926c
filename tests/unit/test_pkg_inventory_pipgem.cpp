#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

#include "pkg/install/simulation.hpp"
#include "pkg/inventory/gem_specs.hpp"
#include "pkg/inventory/pip_dist.hpp"
#include "pkg/inventory/pip_version.hpp"
#include "temp_dir.hpp"

using namespace zsyncctl::pkg;

TEST_CASE("canonical_pip_name follows PEP 503") {
    CHECK(canonical_pip_name("Zs_Up") == "zs-up");
    CHECK(canonical_pip_name("zope.interface") == "zope-interface");
    CHECK(canonical_pip_name("a-_.b") == "a-b");
    CHECK(canonical_pip_name("PyYAML") == "pyyaml");
}

TEST_CASE("normalize_pep440 prints versions as pip does") {
    // Each pair checked against str(packaging.version.Version(...)) of pip 23.2's vendored packaging.
    CHECK(normalize_pep440("1.0") == "1.0");
    CHECK(normalize_pep440("v1.0") == "1.0");
    CHECK(normalize_pep440("1.0.0-beta") == "1.0.0b0");
    CHECK(normalize_pep440("1.0alpha2") == "1.0a2");
    CHECK(normalize_pep440("1.0-preview.1") == "1.0rc1");
    CHECK(normalize_pep440("1.0-1") == "1.0.post1");
    CHECK(normalize_pep440("1.0.post") == "1.0.post0");
    CHECK(normalize_pep440("1.0-dev3") == "1.0.dev3");
    CHECK(normalize_pep440("2!01.002") == "2!1.2");
    CHECK(normalize_pep440("1.0+Ubuntu-1") == "1.0+ubuntu.1");
    CHECK(normalize_pep440("not a version") == "not a version");
}

TEST_CASE("compare_pep440 orders dev, pre, final and post releases") {
    CHECK(compare_pep440("1.0", "1.0.0") == 0);
    CHECK(compare_pep440("1.0.dev1", "1.0a1") < 0);
    CHECK(compare_pep440("1.0a1", "1.0b1") < 0);
    CHECK(compare_pep440("1.0rc1", "1.0") < 0);
    CHECK(compare_pep440("1.0", "1.0.post1") < 0);
    CHECK(compare_pep440("1.10", "1.9") > 0);
    CHECK(compare_pep440("1!0.1", "2.0") > 0);
}

TEST_CASE("satisfies_pep440 reads constraint specifiers") {
    CHECK(satisfies_pep440("1.0", "==1.0"));
    CHECK_FALSE(satisfies_pep440("1.1", "==1.0"));
    CHECK(satisfies_pep440("1.4.2", "==1.4.*"));
    CHECK_FALSE(satisfies_pep440("1.5", "==1.4.*"));
    CHECK(satisfies_pep440("1.5", "~=1.4"));
    CHECK_FALSE(satisfies_pep440("2.0", "~=1.4"));
    CHECK(satisfies_pep440("1.5", ">=1,<2"));
    CHECK_FALSE(satisfies_pep440("2.0", ">=1,<2"));
    CHECK_FALSE(satisfies_pep440("1.3", "!=1.3"));
    CHECK(satisfies_pep440("1.3", ""));
}

TEST_CASE("read_pip_constraints follows -c lines and skips comments, options and URLs") {
    zsyncctl::test::TempDir dir;
    std::ofstream(dir.path / "c.txt")
        << "# pins\nzs_Pinned == 1.0  # held\n-c more.txt\n--pre\n"
           "other @ https://example.invalid/o.whl\nextra[x]>=2 ; python_version>'3'\n";
    std::ofstream(dir.path / "more.txt") << "deep<3\n";
    auto constraints =
        read_pip_constraints(zsyncctl::util::Root(), "  " + (dir.path / "c.txt").string() + " ");
    REQUIRE(constraints.size() == 3);
    CHECK(constraints[0].name == "zs-pinned");
    CHECK(constraints[0].specifiers == "==1.0");
    CHECK(constraints[1].name == "deep");
    CHECK(constraints[2].name == "extra");
    CHECK(constraints[2].specifiers == ">=2");
    CHECK(violated_constraint(constraints, "ZS-PINNED", "1.1").has_value());
    CHECK_FALSE(violated_constraint(constraints, "zs-pinned", "1.0").has_value());
    CHECK_FALSE(violated_constraint(constraints, "unrelated", "9").has_value());
}

TEST_CASE("parse_pip_outdated reads pip list --outdated --format=json") {
    // pip 23.2.1's output against the test index.
    auto parsed = parse_pip_outdated(R"([{"name": "zs-pinned", "version": "1.0", "latest_version": "1.1", )"
                                     R"("latest_filetype": "wheel"}, {"name": "zs-up", "version": "1.0", )"
                                     R"("latest_version": "1.1", "latest_filetype": "wheel"}])");
    REQUIRE(parsed);
    REQUIRE(parsed->size() == 2);
    CHECK((*parsed)[1].name == "zs-up");
    CHECK((*parsed)[1].installed == "1.0");
    CHECK((*parsed)[1].candidate == "1.1");
    CHECK(parse_pip_outdated("[]")->empty());
    CHECK_FALSE(parse_pip_outdated("Looking in indexes"));
}

TEST_CASE("pip_index_failure tells an unreachable index from a project it does not have") {
    // Lines of pip 23.2.1's --log.
    std::string missing =
        "2026-12-03T01:56:20,378 Could not fetch URL http://127.0.0.1:8765/simple/pip/: 404 "
        "Client Error: File not found for url: http://127.0.0.1:8765/simple/pip/ - skipping\n";
    CHECK(pip_index_failure(missing).empty());
    std::string refused =
        "2026-12-03T01:56:19,400 Could not fetch URL http://127.0.0.1:8799/simple/zs-up/: "
        "connection error: HTTPConnectionPool(host='127.0.0.1', port=8799): Max retries exceeded "
        "with url: /simple/zs-up/ (Caused by NewConnectionError('<...>: Failed to establish a new "
        "connection: [Errno 111] Connection refused')) - skipping\n";
    CHECK(pip_index_failure(missing + refused) ==
          "http://127.0.0.1:8799/simple/zs-up/: connection error (connection refused)");
}

TEST_CASE("python_environment finds a venv's site-packages from pip's first line") {
    zsyncctl::test::TempDir dir;
    auto root = dir.path.string();
    std::filesystem::create_directories(dir.path / "venv/bin");
    std::filesystem::create_directories(dir.path / "venv/lib/python3.11/site-packages/zs_up-1.0.dist-info");
    std::filesystem::create_directories(dir.path / "venv/lib/python3.11/site-packages/zs_dep-1.0.dist-info");
    std::ofstream(dir.path / "venv/pyvenv.cfg") << "home = /usr/bin\ninclude-system-site-packages = false\n"
                                                   "version = 3.11.7\n";
    std::ofstream(dir.path / "venv/bin/pip3") << "#!" << root << "/venv/bin/python3\nimport sys\n";
    std::string site = root + "/venv/lib/python3.11/site-packages";
    std::ofstream(site + "/zs_up-1.0.dist-info/METADATA")
        << "Metadata-Version: 2.1\nName: Zs_Up\nVersion: 1.0.0-beta\n";
    std::ofstream(site + "/zs_up-1.0.dist-info/INSTALLER") << "pip\n";
    std::ofstream(site + "/zs_up-1.0.dist-info/REQUESTED") << "";
    std::ofstream(site + "/zs_dep-1.0.dist-info/METADATA") << "Name: zs-dep\nVersion: 1.0\n";
    std::ofstream(site + "/zs_dep-1.0.dist-info/INSTALLER") << "pip\n";
    auto env = python_environment(zsyncctl::util::Root(), root + "/venv/bin/pip3");
    REQUIRE(env);
    CHECK(env->venv);
    CHECK(env->version == "3.11");
    REQUIRE(env->site_dirs == std::vector<std::string>{site});
    auto listed = read_pip_site(zsyncctl::util::Root(), *env, {});
    REQUIRE(listed);
    REQUIRE(listed->size() == 2);
    CHECK((*listed)[0].name == "zs-dep");
    CHECK((*listed)[0].reason == InstallReason::dependency);
    CHECK((*listed)[1].name == "Zs_Up");
    CHECK((*listed)[1].version == "1.0.0b0");
    CHECK((*listed)[1].reason == InstallReason::explicit_install);

    std::ofstream(dir.path / "shim") << "#!/usr/bin/env bash\nexec pyenv exec pip \"$@\"\n";
    auto shim = python_environment(zsyncctl::util::Root(), root + "/shim");
    REQUIRE_FALSE(shim);
    CHECK(shim.error().kind == zsyncctl::util::ErrorKind::not_found);
}

TEST_CASE("split_gemspec_name takes name, version and platform apart") {
    std::string n, v, p;
    REQUIRE(split_gemspec_name("zs-up-1.0.gemspec", n, v, p));
    CHECK((n == "zs-up" && v == "1.0" && p.empty()));
    REQUIRE(split_gemspec_name("nokogiri-1.13.10-x86_64-linux.gemspec", n, v, p));
    CHECK((n == "nokogiri" && v == "1.13.10" && p == "x86_64-linux"));
    REQUIRE(split_gemspec_name("net-http-0.2.0.gemspec", n, v, p));
    CHECK((n == "net-http" && v == "0.2.0"));
    REQUIRE(split_gemspec_name("foo-2fa-1.0.0.pre.gemspec", n, v, p));
    CHECK((n == "foo-2fa" && v == "1.0.0.pre"));
    CHECK_FALSE(split_gemspec_name("noversion.gemspec", n, v, p));
}

TEST_CASE("compare_gem_versions orders like Gem::Version") {
    CHECK(compare_gem_versions("1.0", "1") == 0);
    CHECK(compare_gem_versions("1.10", "1.9") > 0);
    CHECK(compare_gem_versions("1.0.a", "1.0") < 0);
    CHECK(compare_gem_versions("1.0.rc1", "1.0.beta2") > 0);
}

TEST_CASE("parse_gem_outdated and gem_source_failure read gem's output") {
    auto outdated = parse_gem_outdated("zs-up (1.0 < 1.1)\nnoise\nzs-other (1.0 < 1.2.a)\n");
    REQUIRE(outdated.size() == 2);
    CHECK((outdated[0].name == "zs-other" && outdated[0].installed == "1.0" &&
           outdated[0].candidate == "1.2.a"));
    CHECK((outdated[1].name == "zs-up" && outdated[1].candidate == "1.1"));
    // gem 3.3.15's --debug line for a source that refuses connections.
    std::string log =
        "Exception `Errno::ECONNREFUSED' at /usr/lib/ruby/3.1.0/socket.rb:1214 - Connection refused\n"
        "Exception `Gem::RemoteFetcher::FetchError' at /usr/lib/ruby/vendor_ruby/rubygems/"
        "spec_fetcher.rb:258 - Errno::ECONNREFUSED: Failed to open TCP connection to 127.0.0.1:8798 "
        "(http://127.0.0.1:8798/specs.4.8.gz)\n";
    CHECK(gem_source_failure(log) == "Errno::ECONNREFUSED: Failed to open TCP connection to 127.0.0.1:8798 "
                                     "(http://127.0.0.1:8798/specs.4.8.gz)");
    CHECK(gem_source_failure("NOTE:  Debugging mode prints all exceptions even when rescued\n").empty());
}

TEST_CASE("parse_simulation reads pip's installation report") {
    // pip 23.2.1 install --dry-run --upgrade --report - --quiet zs-up (trimmed).
    std::string report =
        R"({"version": "1", "pip_version": "23.2.1", "install": [)"
        R"({"is_direct": false, "requested": true, "metadata": {"name": "zs-up", "version": "1.1"}},)"
        R"({"is_direct": false, "requested": false, "metadata": {"name": "zs-dep", "version": "2.0"}}]})";
    auto sim = parse_simulation(SimulationFormat::pip_report, Operation::upgrade, report, "", 0);
    CHECK(sim.resolved);
    REQUIRE(sim.transaction.upgrade.size() == 1);
    CHECK(sim.transaction.upgrade[0].name == "zs-up");
    CHECK(sim.transaction.upgrade[0].version == "1.1");
    REQUIRE(sim.transaction.install.size() == 1);
    CHECK(sim.transaction.install[0].name == "zs-dep");
    auto nothing = parse_simulation(SimulationFormat::pip_report, Operation::upgrade,
                                    R"({"version": "1", "install": []})", "", 0);
    CHECK((nothing.resolved && nothing.transaction.empty()));
    CHECK_FALSE(
        parse_simulation(SimulationFormat::pip_report, Operation::upgrade, "garbage", "", 0).resolved);
    CHECK_FALSE(
        parse_simulation(SimulationFormat::pip_report, Operation::upgrade, "", "ERROR: x", 1).resolved);
}
