#include <doctest/doctest.h>

#include <string>

#include "pkg/inventory/rpm_macros.hpp"
#include "temp_dir.hpp"

using namespace zsyncctl::pkg;

namespace {

// Expands %_dbpath of `text` with HOME /home/u; the reason when it cannot be expanded.
std::string dbpath(const std::string& text, std::string* why_out = nullptr) {
    RpmMacros macros;
    parse_rpm_macro_file(text, macros);
    std::string out;
    std::string why;
    bool ok = expand_rpm_macro(macros.count("_dbpath") ? macros.at("_dbpath") : "%{_dbpath}", macros,
                               "/home/u", out, why);
    if (why_out != nullptr) {
        *why_out = why;
    }
    return ok ? out : "!";
}

} // namespace

TEST_CASE("rpm macro files: the %_dbpath definitions of real distributions") {
    // Debian 12's /usr/lib/rpm/macros (rpm 4.18): the shell's tilde expansion, no shell run.
    CHECK(dbpath("#\tThe location of the rpm database file(s).\n"
                 "#\tWe want to lookup the home dir in the passwd file if necessary,\n"
                 "#\twhich requires bash.\n"
                 "%_dbpath\t\t%(bash -c 'echo ~/.rpmdb')\n\n"
                 "%_dbpath_rebuild\t%{_dbpath}\n") == "/home/u/.rpmdb");
    // Upstream rpm's macros.in, and the definitions it refers to.
    CHECK(dbpath("%_usr\t\t\t/usr\n%_var\t\t\t/var\n%_dbpath\t\t%{_var}/lib/rpm\n") == "/var/lib/rpm");
    // A ~/.rpmmacros (Linux From Scratch's): a user macro, later lines override earlier ones.
    CHECK(dbpath("%_lfsdir\t\t/mnt/lfs\n%_dbpath\t\t/var/lib/rpm\n%_dbpath\t\t%{_lfsdir}/var/lib/rpm\n") ==
          "/mnt/lfs/var/lib/rpm");
    // %name without braces, %% and conditionals.
    CHECK(dbpath("%_var /var\n%_dbpath %_var/lib/rpm%%x\n") == "/var/lib/rpm%x");
    CHECK(dbpath("%_dbpath %{?_sysroot}%{!?_alt:/usr/lib/sysimage/rpm}\n") == "/usr/lib/sysimage/rpm");
    CHECK(dbpath("%_alt 1\n%_sysroot /sr\n%_dbpath %{?_sysroot}%{?_alt:/alt}%{!?_alt:/usr}\n") == "/sr/alt");
    // Continuation lines: a trailing backslash, an unclosed %{.
    CHECK(dbpath("%_dbpath /var/\\\nlib/rpm\n") == "/var/\nlib/rpm");
    CHECK(dbpath("%_dbpath %{?_x:\n/a}/var/lib/rpm\n%_other 1\n") == "/var/lib/rpm");
    CHECK(dbpath("%_dbpath\t%(echo ~)\n") == "/home/u");
}

TEST_CASE("rpm macro files: what only rpm could expand is refused with the reason") {
    std::string why;
    CHECK(dbpath("%_dbpath %(bash -c 'echo ~/.rpmdb; rm -rf /')\n", &why) == "!");
    CHECK(why.find("shell command") != std::string::npos);
    CHECK(dbpath("%_dbpath %(echo '~/.rpmdb')\n", &why) == "!");
    CHECK(dbpath("%_dbpath %(echo $HOME/.rpmdb)\n", &why) == "!");
    CHECK(dbpath("%_dbpath %(echo ~root/.rpmdb)\n", &why) == "!");
    CHECK(dbpath("%_dbpath %{lua: print('/x')}\n", &why) == "!");
    CHECK(why.find("only rpm") != std::string::npos);
    CHECK(dbpath("%_dbpath %{getenv:HOME}/.rpmdb\n", &why) == "!");
    CHECK(dbpath("%_dbpath %{_nowhere}/rpm\n", &why) == "!");
    CHECK(why == "%{_nowhere} is not defined");
    CHECK(dbpath("%_p(a:) /x\n%_dbpath %{_p}\n", &why) == "!");
    CHECK(why.find("parametric") != std::string::npos);
    CHECK(dbpath("%_a %{_b}\n%_b %{_a}\n%_dbpath %{_a}\n", &why) == "!"); // a loop ends
    CHECK(dbpath("%_dbpath %{_var\n", &why) == "!");
    CHECK(dbpath("# %_dbpath /commented\n", &why) == "!");
}

TEST_CASE("resolve_rpm_dbpath reads the image's macro files in rpm's order, never the user's for an image") {
    zsyncctl::test::TempDir image("rpm-macros");
    auto root = zsyncctl::util::Root(image.path);
    CHECK(resolve_rpm_dbpath(root).defined_in.empty());
    image.write("usr/lib/rpm/macros", "%_var /var\n%_dbpath %{_var}/lib/rpm\n");
    RpmDbPath first = resolve_rpm_dbpath(root);
    CHECK(first.directory == "/var/lib/rpm");
    CHECK(first.defined_in == (image.path / "usr/lib/rpm/macros").string());
    // A vendor directory, then /etc/rpm/macros.*, override the system file.
    image.write("usr/lib/rpm/debian/macros", "%_dbpath /vendor\n");
    CHECK(resolve_rpm_dbpath(root).directory == "/vendor");
    image.write("etc/rpm/macros.dbpath", "%_dbpath %{_var}/lib/sysimage-rpm\n");
    CHECK(resolve_rpm_dbpath(root).directory == "/var/lib/sysimage-rpm");
    image.write("etc/rpm/macros.zzz", "%_dbpath %(/usr/bin/computed)\n");
    RpmDbPath refused = resolve_rpm_dbpath(root);
    CHECK(refused.directory.empty());
    CHECK(refused.defined_in == (image.path / "etc/rpm/macros.zzz").string());
    CHECK(refused.why.find("/usr/bin/computed") != std::string::npos);
    std::string why;
    auto dirs = rpm_database_directories(root, {"/var/lib/rpm", "{home}/.rpmdb"}, why);
    CHECK(dirs == std::vector<std::string>{"/var/lib/rpm", "{home}/.rpmdb"});
    CHECK(why.find("is not known") != std::string::npos);
    // HOME's .rpmmacros belongs to the host's rpm, not to the image's.
    image.write("etc/rpm/macros.zzz", "%_dbpath relative/path\n");
    CHECK(resolve_rpm_dbpath(root).why == "it expands to the relative path relative/path");
}
