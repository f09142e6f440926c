#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>

#include "pkg/install/install_plan.hpp"
#include "pkg/registry/registry.hpp"
#include "pkg/registry_fingerprint_value.hpp"
#include "pkg/search/parsers/search_parsers.hpp"
#include "pkg/search/search.hpp"

using namespace zsyncctl;

TEST_CASE("Registry holds at least 32 managers with unique, well-formed ids") {
    auto table = pkg::registry();
    CHECK(table.size() >= 32);
    std::set<std::string_view> ids;
    for (const auto& m : table) {
        CAPTURE(m.id);
        CHECK(pkg::is_valid_manager_id(m.id));
        CHECK(ids.insert(m.id).second);
        CHECK_FALSE(m.display_name.empty());
        CHECK(m.platforms != 0);
        CHECK(pkg::find_manager(m.id) == &m);
    }
    CHECK(pkg::find_manager("no-such-manager") == nullptr);
    CHECK(pkg::manager_ids().size() == table.size());
}

TEST_CASE("Registry covers the managers the issue names") {
    for (auto id : {"homebrew", "apt",    "dnf",      "yum",      "zypper", "pacman", "apk",     "xbps",
                    "portage",  "nix",    "guix",     "macports", "pkg",    "snap",   "flatpak", "chocolatey",
                    "scoop",    "winget", "npm",      "pnpm",     "yarn",   "pip",    "pipx",    "cargo",
                    "gem",      "go",     "composer", "conda",    "mas",    "sdkman", "asdf",    "mise"}) {
        CAPTURE(id);
        CHECK(pkg::find_manager(id) != nullptr);
    }
}

TEST_CASE("Registry entries can be detected and probed") {
    for (const auto& m : pkg::registry()) {
        CAPTURE(m.id);
        // Something to find: an executable, or (shell functions) a marker.
        if (m.detected_by_marker) {
            CHECK(m.executables.empty());
            CHECK_FALSE(m.markers.empty());
        } else {
            CHECK_FALSE(m.executables.empty());
        }
        for (auto exe : m.executables) {
            CHECK(exe.find('/') == std::string_view::npos);
        }
        for (const auto* list :
             {&m.well_known, &m.markers, &m.prefix, &m.bin, &m.lib, &m.include, &m.pkg_config}) {
            for (auto text : *list) {
                CAPTURE(text);
                CHECK((text.front() == '/' || text.front() == '{'));
                CHECK(std::count(text.begin(), text.end(), '{') == std::count(text.begin(), text.end(), '}'));
            }
        }
        if (!m.version_argv.empty()) {
            CHECK(m.version_argv.front() == "{exe}");
            CHECK(m.version_file.empty());
        }
    }
}

TEST_CASE("Registry lock groups pair the managers sharing a database") {
    auto lock = [](std::string_view id) {
        return pkg::find_manager(id)->lock_group;
    };
    CHECK(lock("apt") == "dpkg");
    CHECK(lock("dpkg") == "dpkg");
    CHECK(lock("nala") == "dpkg");
    for (auto id : {"dnf", "yum", "zypper", "rpm"}) {
        CHECK(lock(id) == "rpmdb");
    }
    CHECK(lock("pacman") == "pacman-db");
    CHECK(lock("yay") == "pacman-db");
    CHECK(lock("npm").empty());
}

TEST_CASE("Registry kinds, platforms and privileges") {
    std::set<pkg::ManagerKind> kinds;
    for (const auto& m : pkg::registry()) {
        kinds.insert(m.kind);
    }
    CHECK(kinds.size() == 4);
    CHECK(pkg::find_manager("winget")->platforms == pkg::Platform::windows);
    CHECK(pkg::find_manager("macports")->platforms == pkg::Platform::macos);
    CHECK((pkg::find_manager("homebrew")->platforms & pkg::Platform::windows) == 0);
    CHECK(pkg::find_manager("homebrew")->install_privilege == pkg::InstallPrivilege::user);
    CHECK(pkg::find_manager("apt")->install_privilege == pkg::InstallPrivilege::root);
    CHECK(pkg::to_string(pkg::ManagerKind::version_manager) == "version-manager");
    CHECK(pkg::platform_bit("macos") == pkg::Platform::macos);
    CHECK(pkg::platform_bit("plan9") == 0);
    CHECK(pkg::platform_names(pkg::Platform::linux_os | pkg::Platform::macos) ==
          std::vector<std::string_view>{"linux", "macos"});
    CHECK(pkg::registry_fingerprint() == pkg::registry_fingerprint());
    // The constant the detection cache's key uses was computed from this same table when it was built.
    CHECK(pkg::k_built_registry_fingerprint == pkg::registry_fingerprint());
    // So were the environment variables detection reads without building the table.
    auto names = pkg::registry_env_names();
    CHECK(std::equal(names.begin(), names.end(), std::begin(pkg::k_built_registry_env_names),
                     std::end(pkg::k_built_registry_env_names)));
    CHECK(std::find(names.begin(), names.end(), "CARGO_HOME") != names.end());
    CHECK(names.front() == "HOMEBREW_PREFIX");
}

TEST_CASE("Registry search facts name a parser that exists and a command that can run") {
    std::size_t searchable = 0;
    for (const auto& m : pkg::registry()) {
        CAPTURE(m.id);
        const pkg::SearchFacts& s = m.search;
        switch (s.method) {
        case pkg::SearchMethod::none:
            CHECK(s.argv.empty());
            CHECK(s.parser.empty());
            continue;
        case pkg::SearchMethod::command: {
            bool parser_exists = pkg::find_search_parser(s.parser) != nullptr;
            CHECK(parser_exists);
            REQUIRE(s.argv.size() >= 2);
            CHECK(s.argv.front() == "{exe}");
            CHECK(std::count(s.argv.begin(), s.argv.end(), std::string_view("{query}")) == 1);
            CHECK_FALSE(pkg::search_executables(m).empty());
            CHECK(s.reason.empty());
            for (auto e : s.env) {
                CHECK(e.find('=') != std::string_view::npos);
            }
            break;
        }
        case pkg::SearchMethod::unsupported:
            CHECK_FALSE(s.reason.empty());
            CHECK(s.argv.empty());
            CHECK_FALSE(pkg::search_executables(m).empty()); // how detection finds it to say so
            break;
        case pkg::SearchMethod::native_apt:
        case pkg::SearchMethod::native_pacman:
        case pkg::SearchMethod::native_homebrew:
            CHECK(s.argv.empty());
            CHECK(s.parser.empty());
            break;
        }
        ++searchable;
    }
    CHECK(pkg::search_managers().size() == searchable);
    CHECK(searchable >= 25);
    CHECK(pkg::find_manager("dpkg")->search.method == pkg::SearchMethod::none);
    CHECK(pkg::find_manager("apt")->search.method == pkg::SearchMethod::native_apt);
    CHECK(pkg::find_manager("pip")->search.method == pkg::SearchMethod::unsupported);
    // dnf and yum share dnf's metadata lock while searching; zypper searches under its own.
    CHECK(pkg::find_manager("dnf")->search.lock_group == pkg::find_manager("yum")->search.lock_group);
    CHECK(pkg::find_manager("zypper")->search.lock_group != pkg::find_manager("dnf")->search.lock_group);
}

TEST_CASE("Registry install facts are consistent for every installable entry") {
    std::size_t installable = 0;
    for (const auto& m : pkg::registry()) {
        CAPTURE(m.id);
        const pkg::InstallFacts& i = m.install;
        if (!pkg::has_install_facts(m)) {
            CHECK(i.install_prefix.empty());
            CHECK(i.remove_prefix.empty());
            CHECK(pkg::find_installable_manager(m.id) == nullptr);
            continue;
        }
        ++installable;
        if (!i.install_prefix.empty()) {
            // argv[0] is something detection looks for, so the detected path can replace it.
            CHECK(std::find(m.executables.begin(), m.executables.end(), i.install_prefix.front()) !=
                  m.executables.end());
        }
        for (const auto* prefix : {&i.install_prefix, &i.remove_prefix}) {
            for (auto arg : *prefix) {
                CHECK_FALSE(arg.empty());
            }
        }
        CHECK((i.install_suffix.empty() || !i.install_prefix.empty()));
        CHECK((i.remove_suffix.empty() || !i.remove_prefix.empty()));
        CHECK((!i.one_name_per_command || !i.install_prefix.empty()));
        CHECK((i.name_suffix_if_unversioned.empty() || !i.install_prefix.empty()));
        // What cannot be done by name says why.
        CHECK((!(i.install_prefix.empty() || i.remove_prefix.empty()) || !i.why_not.empty()));
        // A manager that refuses root is one that installs as the user.
        CHECK((!i.refuses_root || m.install_privilege == pkg::InstallPrivilege::user));
        CHECK((i.progress != pkg::ProgressStyle::apt_status_fd || m.id == "apt"));
        for (const auto& [name, value] : i.env) {
            CHECK_FALSE(name.empty());
            CHECK(name.find('=') == std::string_view::npos);
        }
        CHECK_FALSE(pkg::install_lock_group(m).empty());

        // install reads this very entry.
        CHECK(pkg::find_installable_manager(m.id) == &m);
        CHECK((m.install_privilege != pkg::InstallPrivilege::root || !i.refuses_root));
    }
    CHECK(pkg::installable_managers().size() == installable);
    CHECK(installable >= 30);
    // Managers sharing a database share the install lock too.
    CHECK(pkg::install_lock_group(*pkg::find_installable_manager("dnf")) ==
          pkg::install_lock_group(*pkg::find_installable_manager("zypper")));
    CHECK(pkg::install_lock_group(*pkg::find_installable_manager("npm")) == "npm");
}

TEST_CASE("Exit codes that are not failures come from each manager's table") {
    const pkg::Manager* dnf = pkg::find_manager("dnf");
    const pkg::Manager* zypper = pkg::find_manager("zypper");
    const pkg::Manager* pacman = pkg::find_manager("pacman");
    const pkg::Manager* npm = pkg::find_manager("npm");
    const pkg::Manager* choco = pkg::find_manager("chocolatey");
    const pkg::Manager* apt = pkg::find_manager("apt");
    REQUIRE((dnf && zypper && pacman && npm && choco && apt));
    using V = std::vector<std::string>;
    auto meaning = [](const pkg::Manager& m, const V& argv, int code) {
        const pkg::ExitCodeFact* f = pkg::non_failure_exit(m, argv, code);
        return f == nullptr ? std::string("failure") : std::string(f->says);
    };
    // dnf check-update 100: updates available; 100 of dnf install is a failure; 0 never needs a fact.
    CHECK(meaning(*dnf, {"dnf", "-q", "check-update"}, 100) == "updates are available");
    CHECK(meaning(*dnf, {"dnf5", "check-upgrade"}, 100) == "updates are available");
    CHECK(meaning(*dnf, {"dnf", "-y", "install", "x"}, 100) == "failure");
    CHECK(pkg::non_failure_exit(*dnf, {"dnf", "check-update"}, 0) == nullptr);
    // zypper: 100-103 and 106 for every command; 104 (capability not found) and 105 (signal) are failures.
    for (int code : {100, 101, 102, 103, 106}) {
        CAPTURE(code);
        CHECK(meaning(*zypper, {"sudo", "-n", "--", "env", "zypper", "update"}, code) != "failure");
    }
    CHECK(meaning(*zypper, {"zypper", "update"}, 103) == "zypper updated itself: run it again");
    for (int code : {1, 4, 7, 104, 105, 107}) {
        CAPTURE(code);
        CHECK(meaning(*zypper, {"zypper", "install", "x"}, code) == "failure");
    }
    // checkupdates 2 is "no updates" (argv[0]'s file name names the command); pacman's own 2 is a failure.
    CHECK(pkg::non_failure_exit(*pacman, {"/usr/bin/checkupdates", "-n"}, 2)->meaning ==
          pkg::ExitMeaning::none_found);
    CHECK(meaning(*pacman, {"pacman", "-Sy"}, 2) == "failure");
    CHECK(meaning(*npm, {"npm", "outdated", "--global", "--json"}, 1) == "outdated packages were found");
    CHECK(meaning(*npm, {"npm", "install", "--global", "x"}, 1) == "failure");
    CHECK(meaning(*choco, {"choco", "outdated"}, 2) == "outdated packages were found");
    CHECK(meaning(*choco, {"choco", "upgrade", "x", "-y"}, 3010) == "a reboot is needed");
    // apt-get's 100 is an error (apt-get(8)).
    CHECK(meaning(*apt, {"apt-get", "update"}, 100) == "failure");
    for (const auto& m : pkg::registry()) {
        for (const auto& f : m.exit_codes) {
            CAPTURE(m.id);
            CHECK(f.first != 0);
            CHECK(f.first <= f.last);
            CHECK_FALSE(f.says.empty());
        }
    }
}
