#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "pkg/install/apt_status.hpp"
#include "pkg/install/progress.hpp"
#include "util/strings.hpp"

using namespace zsyncctl;

namespace {

// Recorded from a real `apt-get install -o APT::Status-Fd=3 zs-hello` into a scratch root on Debian 12.
constexpr const char* k_apt_install_stream =
    "dlstatus:1:0.0000:Retrieving file 1 of 1\n"
    "dlstatus:1:100.0000:Retrieving file 1 of 1\n"
    "pmstatus:dpkg-exec:0.0000:Running dpkg\n"
    "pmstatus:zs-hello:0.0000:Preparing zs-hello (amd64)\n"
    "pmstatus:zs-hello:20.0000:Unpacking zs-hello (amd64)\n"
    "pmstatus:zs-hello:40.0000:Installing zs-hello (amd64)\n"
    "pmstatus:dpkg-exec:40.0000:Running dpkg\n"
    "pmstatus:zs-hello:40.0000:Preparing to configure zs-hello (amd64)\n"
    "pmstatus:zs-hello:60.0000:Configuring zs-hello (amd64)\n"
    "pmstatus:zs-hello:80.0000:Installed zs-hello (amd64)\n";

std::vector<pkg::ProgressUpdate> feed_status(pkg::ProgressTracker& t, std::string_view stream) {
    std::vector<pkg::ProgressUpdate> out;
    for (auto line : util::split_lines(stream)) {
        if (auto u = t.on_status_line(line)) {
            out.push_back(*u);
        }
    }
    return out;
}

std::vector<pkg::ProgressUpdate> feed_output(pkg::ProgressTracker& t, std::string_view stream) {
    std::vector<pkg::ProgressUpdate> out;
    for (auto line : util::split_lines(stream)) {
        if (auto u = t.on_output_line(line)) {
            out.push_back(*u);
        }
    }
    return out;
}

void check_monotonic(const std::vector<pkg::ProgressUpdate>& updates) {
    int last = 0;
    for (const auto& u : updates) {
        if (u.percent) {
            CHECK(*u.percent >= last);
            CHECK(*u.percent < 100);
            last = *u.percent;
        }
    }
}

} // namespace

TEST_CASE("parse_apt_status_line reads the four fields") {
    SUBCASE("pmstatus with ':' in the message") {
        auto l = pkg::parse_apt_status_line("pmstatus:libfoo:20.5000:Unpacking libfoo:amd64 (1:2.0)\r");
        REQUIRE(l);
        CHECK(l->kind == pkg::AptStatusKind::pmstatus);
        CHECK(l->id == "libfoo");
        CHECK(l->percent == doctest::Approx(20.5));
        CHECK(l->message == "Unpacking libfoo:amd64 (1:2.0)");
    }
    SUBCASE("pmerror and pmconffile") {
        auto e = pkg::parse_apt_status_line(
            "pmerror:/var/cache/apt/archives/x.deb:40.0000:trying to overwrite '/usr/bin/x'");
        REQUIRE(e);
        CHECK(e->kind == pkg::AptStatusKind::pmerror);
        CHECK(e->message == "trying to overwrite '/usr/bin/x'");
        auto c = pkg::parse_apt_status_line(
            "pmconffile:/etc/foo.conf:60.0000:'/etc/foo.conf' '/etc/foo.conf.dpkg-new' 1 1");
        REQUIRE(c);
        CHECK(c->kind == pkg::AptStatusKind::pmconffile);
        CHECK(c->id == "/etc/foo.conf");
    }
    SUBCASE("the legacy pmerror form: blanks around the fields and a '%'") {
        auto e = pkg::parse_apt_status_line("pmerror: /var/cache/apt/archives/x_1_all.deb : 75% : trying to "
                                            "overwrite '/usr/bin/x'");
        REQUIRE(e);
        CHECK(e->kind == pkg::AptStatusKind::pmerror);
        CHECK(e->id == "/var/cache/apt/archives/x_1_all.deb");
        CHECK(e->percent == doctest::Approx(75));
        CHECK(e->message == "trying to overwrite '/usr/bin/x'");
    }
    SUBCASE("media-change splits medium and drive, a ':' in the label included") {
        auto m = pkg::parse_apt_status_line("media-change: Debian GNU/Linux 12.5.0 _Bookworm_ - Official "
                                            "amd64 DVD Binary-1 20240210-11:28:/media/"
                                            "cdrom/:Please insert the disc labeled: 'Debian GNU/Linux "
                                            "12.5.0' in the drive '/media/cdrom/' and "
                                            "press [Enter].");
        REQUIRE(m);
        CHECK(m->kind == pkg::AptStatusKind::media_change);
        CHECK(m->id == "Debian GNU/Linux 12.5.0 _Bookworm_ - Official amd64 DVD Binary-1 20240210-11:28");
        CHECK(m->message == "/media/cdrom/");
        auto plain = pkg::parse_apt_status_line("media-change:disc1:/cdrom:insert it");
        REQUIRE(plain);
        CHECK(plain->id == "disc1");
        CHECK(plain->message == "/cdrom");
    }
    SUBCASE("malformed lines") {
        CHECK_FALSE(pkg::parse_apt_status_line(""));
        CHECK_FALSE(pkg::parse_apt_status_line("pmstatus"));
        CHECK_FALSE(pkg::parse_apt_status_line("pmstatus:x"));
        CHECK_FALSE(pkg::parse_apt_status_line("pmstatus:x:20"));
        CHECK_FALSE(pkg::parse_apt_status_line("pmstatus:x:abc:msg"));
        CHECK_FALSE(pkg::parse_apt_status_line("pmstatus:x:nan:msg"));
        CHECK_FALSE(pkg::parse_apt_status_line("other:x:1:msg"));
        auto big = pkg::parse_apt_status_line("dlstatus:1:250:m");
        REQUIRE(big);
        CHECK(big->percent == doctest::Approx(100));
    }
}

TEST_CASE("ProgressModel weighs the phases and never goes backwards") {
    pkg::ProgressModel m(0.3);
    CHECK(m.on_download(50) == 15);
    CHECK(m.on_download(100) == 30);
    CHECK(m.on_download(10) == 30); // a second download pass does not pull the bar back
    CHECK(m.on_install(50) == 65);
    CHECK(m.on_install(20) == 65);
    CHECK(m.on_install(100) == 99); // 100 only when finished
    CHECK(m.finish() == 100);
}

TEST_CASE("ProgressTracker follows a recorded apt Status-Fd stream") {
    pkg::ProgressTracker t(pkg::ProgressStyle::apt_status_fd, pkg::Operation::install);
    auto updates = feed_status(t, k_apt_install_stream);
    REQUIRE(updates.size() == 10);
    check_monotonic(updates);
    CHECK(updates[0].phase == pkg::Phase::download);
    CHECK(updates[1].percent == 30);
    CHECK(updates[4].phase == pkg::Phase::install);
    CHECK(updates[4].package == "zs-hello");
    CHECK(updates[4].message == "Unpacking zs-hello (amd64)");
    CHECK(updates[6].package == "zs-hello"); // "dpkg-exec" keeps the current package
    CHECK(updates[9].percent == 86);
    CHECK(t.last_state() == "install 86%: Installed zs-hello (amd64)");
    auto done = t.finish(true);
    CHECK(done.percent == 100);
    CHECK(t.errors().empty());
}

TEST_CASE("ProgressTracker surfaces apt errors and prompts") {
    pkg::ProgressTracker t(pkg::ProgressStyle::apt_status_fd, pkg::Operation::install);
    auto updates = feed_status(t, "pmstatus:a:10.0:Unpacking a\n"
                                  "pmerror:/x/a.deb:20.0:subprocess returned error exit status 1\n"
                                  "pmconffile:/etc/a.conf:30.0:'/etc/a.conf' '/etc/a.conf.dpkg-new' 1 1\n"
                                  "garbage line\n");
    REQUIRE(updates.size() == 3);
    CHECK(updates[1].kind == pkg::UpdateKind::error);
    CHECK(updates[2].kind == pkg::UpdateKind::prompt);
    REQUIRE(t.errors().size() == 1);
    CHECK(t.errors()[0] == "/x/a.deb: subprocess returned error exit status 1");
    auto failed = t.finish(false);
    CHECK(failed.percent == t.percent());
    CHECK(failed.percent < 100);
}

TEST_CASE("ProgressTracker counts steps of pacman, apk, zypper, dnf and pkg") {
    SUBCASE("pacman") {
        pkg::ProgressTracker t(pkg::ProgressStyle::counted_steps, pkg::Operation::install);
        auto u = feed_output(t, ":: Retrieving packages...\n"
                                "(1/1) checking keys in keyring\n"
                                "(1/2) installing zs-dep\n"
                                "(2/2) installing zs-hello\n");
        REQUIRE(u.size() == 2);
        CHECK(u[0].package == "zs-dep");
        CHECK(u[0].percent == 30);
        CHECK(u[1].percent == 65);
        CHECK(u[1].message == "installing zs-hello");
        check_monotonic(u);
    }
    SUBCASE("apk removal") {
        pkg::ProgressTracker t(pkg::ProgressStyle::counted_steps, pkg::Operation::remove);
        auto u = feed_output(
            t, "(1/2) Purging curl (8.5.0-r0)\n(2/2) Purging libcurl (8.5.0-r0)\nOK: 8 MiB in 15 packages\n");
        REQUIRE(u.size() == 2);
        CHECK(u[0].percent == 0);
        CHECK(u[1].percent == 50);
        CHECK(u[1].package == "libcurl");
    }
    SUBCASE("zypper") {
        pkg::ProgressTracker t(pkg::ProgressStyle::counted_steps, pkg::Operation::install);
        auto u = feed_output(t, "Retrieving package vim-9.0-1.1.x86_64 (1/2), 1.5 MiB (3.1 MiB unpacked)\n"
                                "Retrieving package vim-data-9.0-1.1.noarch (2/2), 4.0 MiB\n"
                                "(1/2) Installing: vim-data-9.0-1.1.noarch [..done]\n"
                                "(2/2) Installing: vim-9.0-1.1.x86_64 [..done]\n");
        REQUIRE(u.size() == 4);
        CHECK(u[0].phase == pkg::Phase::download);
        CHECK(u[1].percent == 15);
        CHECK(u[2].phase == pkg::Phase::install);
        CHECK(u[3].package == "vim-9.0-1.1.x86_64");
        check_monotonic(u);
    }
    SUBCASE("dnf4") {
        pkg::ProgressTracker t(pkg::ProgressStyle::counted_steps, pkg::Operation::install);
        auto u = feed_output(t, "Downloading Packages:\n"
                                "(1/2): zs-dep-1.0-1.noarch.rpm   1.2 MB/s |  10 kB     00:00\n"
                                "(2/2): zs-hello-1.0-1.noarch.rpm 1.1 MB/s |  11 kB     00:00\n"
                                "  Preparing        :                                  1/1\n"
                                "  Installing       : zs-dep-1.0-1.noarch              1/2\n"
                                "  Installing       : zs-hello-1.0-1.noarch            2/2\n"
                                "  Verifying        : zs-dep-1.0-1.noarch              1/2\n");
        REQUIRE(u.size() == 4);
        CHECK(u[1].percent == 30);
        CHECK(u[3].message == "Installing zs-hello-1.0-1.noarch");
        CHECK(u[3].percent == 65);
        check_monotonic(u);
    }
    SUBCASE("FreeBSD pkg and dnf5 brackets") {
        pkg::ProgressTracker t(pkg::ProgressStyle::counted_steps, pkg::Operation::install);
        auto u = feed_output(t, "[1/2] Fetching curl-8.5.0.pkg: .......... done\n"
                                "[1/2] Installing curl-8.5.0...\n"
                                "[2/2] Installing jq-1.7...\n");
        REQUIRE(u.size() == 3);
        CHECK(u[0].phase == pkg::Phase::download);
        CHECK(u[2].package == "jq-1.7...");
        check_monotonic(u);
    }
    SUBCASE("junk") {
        pkg::ProgressTracker t(pkg::ProgressStyle::counted_steps, pkg::Operation::install);
        auto u = feed_output(t, "(0/0) installing x\n(3/2) installing y\n(a/b) installing z\n(1/2\n[\n : \n");
        CHECK(u.empty());
        CHECK(t.last_line() == ":");
    }
}

TEST_CASE("ProgressTracker follows brew steps without inventing a percentage") {
    pkg::ProgressTracker t(pkg::ProgressStyle::brew_steps, pkg::Operation::install);
    auto u = feed_output(t, "==> Fetching wget\n"
                            "==> Downloading https://ghcr.io/v2/homebrew/core/wget/blobs/sha256:abc\n"
                            "==> Pouring wget--1.24.5.arm64_sonoma.bottle.tar.gz\n"
                            "/opt/homebrew/Cellar/wget/1.24.5: 91 files, 4.5MB\n");
    REQUIRE(u.size() == 3);
    CHECK(u[0].phase == pkg::Phase::download);
    CHECK(u[0].package == "wget");
    CHECK_FALSE(u[0].percent.has_value());
    CHECK(u[2].phase == pkg::Phase::install);
    CHECK(u[2].package == "wget");
    CHECK(t.finish(true).percent == 100);
    pkg::ProgressTracker f(pkg::ProgressStyle::brew_steps, pkg::Operation::install);
    feed_output(f, "==> Fetching wget\n");
    CHECK_FALSE(f.finish(false).percent.has_value());
}

TEST_CASE("ProgressTracker last_line style reports each line") {
    pkg::ProgressTracker t(pkg::ProgressStyle::last_line, pkg::Operation::install);
    auto u = feed_output(t, "Collecting requests\n\n   Installing collected packages: requests  \n");
    REQUIRE(u.size() == 2);
    CHECK(u[1].message == "Installing collected packages: requests");
    CHECK(t.last_state() == "install: Installing collected packages: requests");
}
