#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "pkg/registry/registry.hpp"
#include "pkg/search/repo_config.hpp"
#include "util/root.hpp"

using namespace zsyncctl;
namespace fs = std::filesystem;

namespace {

// A scratch image read as --root: files written under it by their absolute paths.
struct Image {
    fs::path dir;
    Image() {
        dir = fs::temp_directory_path() /
              ("zs-repo-config-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
        fs::create_directories(dir);
    }
    ~Image() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    void write(const std::string& path, const std::string& text) const {
        fs::path file = dir / path.substr(1);
        fs::create_directories(file.parent_path());
        std::ofstream(file) << text;
    }
    pkg::RepositoryReading read(std::string_view manager) const {
        return pkg::read_repository_config(pkg::find_manager(manager)->search.repository_config,
                                           util::Root(dir));
    }
};

} // namespace

TEST_CASE("dnf's repository configuration: files, reposdir, enabled values, doubts") {
    Image image;
    SUBCASE("nothing configured: none, and where it looked") {
        auto r = image.read("dnf");
        CHECK(r.presence == pkg::RepositoryPresence::none);
        CHECK(r.where == "/etc/yum.repos.d, /etc/yum/repos.d, /etc/distro.repos.d, /usr/share/dnf5/repos.d");
    }
    SUBCASE("a repo file with a missing enabled key counts as enabled; hidden and other files are not read") {
        image.write("/etc/yum.repos.d/a.repo", "[a]\nname=a\nbaseurl=file:///x\n");
        image.write("/etc/yum.repos.d/.hidden.repo", "[h]\nenabled=$broken\n");
        image.write("/etc/yum.repos.d/b.repo.rpmsave", "[b]\nenabled=$broken\n");
        CHECK(image.read("dnf").presence == pkg::RepositoryPresence::some);
    }
    SUBCASE("disabled sections in repo files and in dnf.conf are counted, [main] is not a repository") {
        image.write("/etc/dnf/dnf.conf",
                    "[main]\ngpgcheck=1\n\n[inconf]\nbaseurl=file:///x\nenabled = Off\n");
        image.write("/etc/yum.repos.d/a.repo", "# comment\n[a]\nenabled=0\n; another\n[b]\nenabled=no\n");
        auto r = image.read("dnf");
        CHECK(r.presence == pkg::RepositoryPresence::none);
        CHECK(r.disabled == 3);
        CHECK(r.where.substr(0, 18) == "/etc/dnf/dnf.conf,");
    }
    SUBCASE("reposdir replaces the defaults: commas, spaces and tabs separate") {
        image.write("/etc/dnf/dnf.conf", "[main]\nreposdir=/r1,/r2\t/r3\n");
        image.write("/etc/yum.repos.d/a.repo", "[a]\nenabled=1\n");
        CHECK(image.read("dnf").presence == pkg::RepositoryPresence::none);
        image.write("/r3/x.repo", "[x]\nenabled=true\n");
        auto r = image.read("dnf");
        CHECK(r.presence == pkg::RepositoryPresence::some);
        CHECK(r.where == "/etc/dnf/dnf.conf, /r1, /r2, /r3");
    }
    SUBCASE("what is not understood is unknown") {
        SUBCASE("a variable in reposdir") {
            image.write("/etc/dnf/dnf.conf", "[main]\nreposdir=/etc/$x\n");
        }
        SUBCASE("a relative reposdir") {
            image.write("/etc/dnf/dnf.conf", "[main]\nreposdir=repos\n");
        }
        SUBCASE("an enabled value that is no boolean") {
            image.write("/etc/yum.repos.d/a.repo", "[a]\nenabled=$e\n");
        }
        SUBCASE("a continued enabled value") {
            image.write("/etc/yum.repos.d/a.repo", "[a]\nenabled=0\n  1\n");
        }
        SUBCASE("installroot in dnf.conf") {
            image.write("/etc/dnf/dnf.conf", "[main]\ninstallroot=/x\n");
        }
        SUBCASE("a dnf5 drop-in") {
            image.write("/etc/dnf/libdnf5.conf.d/20-x.conf", "[main]\n");
        }
        auto r = image.read("dnf");
        CHECK(r.presence == pkg::RepositoryPresence::unknown);
        CHECK_FALSE(r.why_unknown.empty());
    }
}

TEST_CASE("zypper's repository configuration: zypp.conf's reposdir and $ZYPP_CONF") {
    Image image;
    ::unsetenv("ZYPP_CONF");
    CHECK(image.read("zypper").presence == pkg::RepositoryPresence::none);
    image.write("/etc/zypp/zypp.conf", "[main]\n# reposdir = /elsewhere\nmultiversion = provides:x\n");
    image.write("/etc/zypp/repos.d/oss.repo", "[oss]\nname=oss\nenabled=1\nautorefresh=0\n");
    CHECK(image.read("zypper").presence == pkg::RepositoryPresence::some);
    image.write("/etc/zypp/repos.d/oss.repo", "[oss]\nname=oss\nenabled=0\n");
    CHECK(image.read("zypper").presence == pkg::RepositoryPresence::none);
    // $ZYPP_CONF names another zypp.conf: its reposdir is read too (and the default's, to be safe).
    image.write("/other/zypp.conf", "[main]\nreposdir = /other/repos.d\n");
    image.write("/other/repos.d/x.repo", "[x]\nenabled=1\n");
    ::setenv("ZYPP_CONF", "/other/zypp.conf", 1);
    auto r = image.read("zypper");
    ::unsetenv("ZYPP_CONF");
    CHECK(r.presence == pkg::RepositoryPresence::some);
    image.write("/etc/zypp/zypp.conf", "[main]\nconfigdir = /etc/zypp2\n");
    CHECK(image.read("zypper").presence == pkg::RepositoryPresence::unknown);
}

TEST_CASE("flatpak's remotes: each installation's repo/config, xa.disable, drop-ins") {
    Image image;
    // The environment chooses the installations: the user one under HOME, the system one at its default.
    const char* old_home = std::getenv("HOME");
    std::string saved_home = old_home == nullptr ? "" : old_home;
    ::setenv("HOME", "/home/u", 1);
    ::unsetenv("FLATPAK_USER_DIR");
    ::unsetenv("FLATPAK_SYSTEM_DIR");
    CHECK(image.read("flatpak").presence == pkg::RepositoryPresence::none);
    // repo/config as flatpak 1.14 writes it after `remote-add` and `remote-modify --disable` of a second one.
    const std::string core = "[core]\nrepo_version=1\nmode=bare-user-only\nmin-free-space-size=500MB\n";
    const std::string zs2 = "\n[remote \"zs2\"]\ngpg-verify=false\ngpg-verify-summary=false\n"
                            "url=file:///tmp/repo\nxa.title=Second one\nxa.title-is-set=true\nxa.prio=5\n"
                            "xa.disable=true\n";
    image.write("/home/u/.local/share/flatpak/repo/config", core + zs2);
    auto r = image.read("flatpak");
    CHECK(r.presence == pkg::RepositoryPresence::none);
    CHECK(r.disabled == 1);
    CHECK(r.where == "/home/u/.local/share/flatpak/repo/config, /var/lib/flatpak/repo/config");
    image.write("/var/lib/flatpak/repo/config",
                core + "\n[remote \"flathub\"]\nurl=https://dl.flathub.org/repo/\nxa.disable=false\n");
    CHECK(image.read("flatpak").presence == pkg::RepositoryPresence::some);
    image.write("/var/lib/flatpak/repo/config", core);
    CHECK(image.read("flatpak").presence == pkg::RepositoryPresence::none);
    // FLATPAK_USER_DIR replaces the default user installation.
    image.write("/scratch/user/repo/config", core + "\n[remote \"zs\"]\nurl=file:///tmp/repo\n");
    ::setenv("FLATPAK_USER_DIR", "/scratch/user", 1);
    CHECK(image.read("flatpak").presence == pkg::RepositoryPresence::some);
    ::unsetenv("FLATPAK_USER_DIR");
    // A value GKeyFile does not read as a boolean, ostree's remotes.d, extra installations: flatpak is asked.
    image.write("/home/u/.local/share/flatpak/repo/config", core + "\n[remote \"x\"]\nxa.disable=yes\n");
    r = image.read("flatpak");
    CHECK(r.presence == pkg::RepositoryPresence::unknown);
    CHECK(r.why_unknown.find("xa.disable=?yes") != std::string::npos);
    image.write("/home/u/.local/share/flatpak/repo/config", core);
    image.write("/var/lib/flatpak/repo/remotes.d/x.conf", "[remote \"x\"]\nurl=file:///x\n");
    CHECK(image.read("flatpak").presence == pkg::RepositoryPresence::unknown);
    fs::remove_all(image.dir / "var/lib/flatpak/repo/remotes.d");
    image.write("/etc/flatpak/installations.d/extra.conf", "[Installation \"extra\"]\nPath=/extra\n");
    CHECK(image.read("flatpak").presence == pkg::RepositoryPresence::unknown);
    if (old_home == nullptr) {
        ::unsetenv("HOME");
    } else {
        ::setenv("HOME", saved_home.c_str(), 1);
    }
}
