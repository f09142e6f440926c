#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>

#include "pkg/registry.hpp"

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
}
