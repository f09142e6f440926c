#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "pkg/detect/cache.hpp"
#include "pkg/detect/detect.hpp"
#include "pkg/detect/paths.hpp"
#include "pkg/detect/probe.hpp"
#include "pkg/detect/version_probe.hpp"
#include "temp_dir.hpp"
#include "util/fs.hpp"

using namespace zsyncctl;
namespace fs = std::filesystem;

namespace {

// A scratch root tree, removed at the end of the test.
class Fixture {
public:
    Fixture() = default;

    const fs::path& dir() const { return m_dir; }
    fs::path host(std::string_view logical) const { return fs::path(m_dir.string() + std::string(logical)); }

    void file(std::string_view logical, std::string_view content = "#!/bin/sh\n", int mode = 0755) const {
        fs::create_directories(host(logical).parent_path());
        std::ofstream(host(logical)) << content;
        ::chmod(host(logical).c_str(), static_cast<mode_t>(mode));
    }
    void dir(std::string_view logical) const { fs::create_directories(host(logical)); }
    void symlink(std::string_view target, std::string_view logical) const {
        fs::create_directories(host(logical).parent_path());
        fs::create_symlink(target, host(logical));
    }

    pkg::DetectContext context(std::string os = "linux", std::string arch = "x86_64",
                               std::string path = "/usr/bin", std::string home = "/home/u") const {
        pkg::DetectContext c;
        c.root = util::Root(m_dir);
        c.os = std::move(os);
        c.arch = std::move(arch);
        c.path_env = std::move(path);
        c.home = std::move(home);
        return c;
    }

private:
    zsyncctl::test::TempDir m_tmp{"pkg"};
    fs::path m_dir = m_tmp.path;
};

std::set<std::string> ids(const pkg::Detection& d) {
    std::set<std::string> out;
    for (const auto& m : d.managers) {
        out.insert(std::string(m.manager->id));
    }
    return out;
}

std::string first_os(std::uint32_t platforms) {
    return std::string(pkg::platform_names(platforms).front());
}

} // namespace

TEST_CASE("Detection finds every registry entry from its executable on PATH") {
    for (const auto& m : pkg::registry()) {
        CAPTURE(m.id);
        Fixture fx;
        std::string os = first_os(m.platforms);
        auto ctx = fx.context(os, "x86_64", "/usr/bin");
        if (m.detected_by_marker) {
            auto marker = pkg::expand_template(m.markers.back(), ctx);
            REQUIRE(marker);
            fx.file(*marker, "", 0644);
        } else {
            std::string name(m.executables.front());
            fx.file("/usr/bin/" + name + (os == "windows" ? ".exe" : ""));
        }
        auto detection = pkg::detect_uncached(ctx);
        CHECK(ids(detection) == std::set<std::string>{std::string(m.id)});
        REQUIRE(detection.managers.size() == 1);
        const auto& found = detection.managers.front();
        if (!m.detected_by_marker) {
            CHECK(found.executable.rfind("/usr/bin/", 0) == 0);
            CHECK(found.evidence.front().describe() == "PATH entry /usr/bin");
        } else {
            CHECK(found.evidence.front().source == pkg::Evidence::Source::db);
        }
    }
}

TEST_CASE("Detection finds registry entries at their well-known locations with an empty PATH") {
    for (const auto& m : pkg::registry()) {
        if (m.well_known.empty() || m.id == "homebrew") {
            continue;
        }
        CAPTURE(m.id);
        Fixture fx;
        auto ctx = fx.context(first_os(m.platforms), "x86_64", "");
        std::optional<std::string> location;
        for (auto text : m.well_known) {
            if ((location = pkg::expand_template(text, ctx))) {
                break;
            }
        }
        if (!location) {
            continue; // only {env:...} locations, and the variable is unset here
        }
        fx.file(*location);
        auto detection = pkg::detect_uncached(ctx);
        REQUIRE(detection.find(m.id).size() == 1);
        CHECK(detection.find(m.id).front()->executable == *location);
        CHECK(detection.find(m.id).front()->evidence.front().describe() == "well-known " + *location);
    }
}

TEST_CASE("Detection honours the platform of each entry") {
    Fixture fx;
    fx.file("/usr/bin/winget.exe");
    fx.file("/usr/bin/winget");
    fx.file("/usr/bin/port");
    CHECK(ids(pkg::detect_uncached(fx.context("linux"))).empty());
    CHECK(ids(pkg::detect_uncached(fx.context("windows"))) == std::set<std::string>{"winget"});
    CHECK(ids(pkg::detect_uncached(fx.context("macos"))) == std::set<std::string>{"macports"});
}

TEST_CASE("Detection rejects PATH entries that are not executables") {
    Fixture fx;
    fx.dir("/a/pacman");                               // a directory named like a manager
    fx.file("/a/apk", "not a program", 0644);          // not executable
    fx.symlink("/nowhere/dnf", "/a/dnf");              // dangling
    fx.file("/opt/real/zypper");                       // a symlinked executable counts
    fx.symlink("/opt/real/zypper", "/a/zypper");       // absolute target: resolved inside the root
    fx.symlink("../opt/real/zypper", "/b/zypper-rel"); // (relative targets too, checked below)
    auto detection = pkg::detect_uncached(fx.context("linux", "x86_64", "/a:/b:relative/dir::/a/"));
    CHECK(ids(detection) == std::set<std::string>{"zypper"});
    CHECK(detection.find("zypper").front()->executable == "/a/zypper");
    std::set<std::pair<std::string, std::string>> rejected;
    for (const auto& r : detection.rejected) {
        rejected.insert({r.path, r.reason});
    }
    CHECK(rejected.count({"/a/pacman", "a directory"}) == 1);
    CHECK(rejected.count({"/a/apk", "not executable"}) == 1);
    CHECK(rejected.count({"/a/dnf", "a dangling symlink"}) == 1);

    auto rel = pkg::probe_path(util::Root(fx.dir()), "/b/zypper-rel");
    CHECK(rel.is_executable());
    CHECK(rel.host_path == fx.host("/opt/real/zypper").string());
    // A symlink loop is not an executable and does not hang.
    fx.symlink("/loop/b", "/loop/a");
    fx.symlink("/loop/a", "/loop/b");
    CHECK(pkg::probe_path(util::Root(fx.dir()), "/loop/a").kind == pkg::FileProbe::Kind::dangling_symlink);
}

TEST_CASE("Homebrew detection per prefix and arch") {
    SUBCASE("arm64 macOS, /opt/homebrew only") {
        Fixture fx;
        fx.file("/opt/homebrew/bin/brew");
        fx.dir("/opt/homebrew/Cellar");
        auto d = pkg::detect_uncached(fx.context("macos", "arm64", "/usr/bin"));
        REQUIRE(d.homebrew.installs.size() == 1);
        CHECK(d.homebrew.installs[0].prefix == "/opt/homebrew");
        CHECK(d.homebrew.installs[0].native);
        CHECK_FALSE(d.homebrew.any_mismatch());
        auto brew = d.find("homebrew");
        REQUIRE(brew.size() == 1);
        CHECK(brew[0]->executable == "/opt/homebrew/bin/brew");
        CHECK(brew[0]->evidence[0].describe() == "well-known /opt/homebrew/bin/brew");
        CHECK(brew[0]->evidence[1].describe() == "db /opt/homebrew/Cellar");
    }
    SUBCASE("x86_64 macOS, /usr/local only") {
        Fixture fx;
        fx.file("/usr/local/bin/brew");
        auto d = pkg::detect_uncached(fx.context("macos", "x86_64", "/usr/bin"));
        REQUIRE(d.homebrew.installs.size() == 1);
        CHECK(d.homebrew.installs[0].prefix == "/usr/local");
        CHECK(d.homebrew.installs[0].native);
        CHECK(d.homebrew.installs[0].preferred);
    }
    SUBCASE("arm64 macOS with both: native preferred, Intel flagged") {
        Fixture fx;
        fx.file("/opt/homebrew/bin/brew");
        fx.file("/usr/local/bin/brew");
        // PATH lists the Intel one first; the native one is still preferred.
        auto d = pkg::detect_uncached(fx.context("macos", "arm64", "/usr/local/bin:/usr/bin"));
        REQUIRE(d.homebrew.installs.size() == 2);
        CHECK(d.homebrew.multiple());
        CHECK(d.homebrew.any_mismatch());
        auto brew = d.find("homebrew");
        REQUIRE(brew.size() == 2);
        CHECK(brew[0]->prefix == "/opt/homebrew");
        CHECK(brew[0]->preferred);
        CHECK(brew[0]->mismatch.empty());
        CHECK(brew[1]->prefix == "/usr/local");
        CHECK_FALSE(brew[1]->preferred);
        CHECK(brew[1]->mismatch.find("Rosetta") != std::string::npos);
        CHECK(brew[1]->evidence[0].describe() == "PATH entry /usr/local/bin");
    }
    SUBCASE("x86_64 macOS with both: /usr/local preferred, /opt/homebrew flagged") {
        Fixture fx;
        fx.file("/opt/homebrew/bin/brew");
        fx.file("/usr/local/bin/brew");
        auto d = pkg::detect_uncached(fx.context("macos", "x86_64", "/usr/bin"));
        auto brew = d.find("homebrew");
        REQUIRE(brew.size() == 2);
        CHECK(brew[0]->prefix == "/usr/local");
        CHECK(brew[1]->prefix == "/opt/homebrew");
        CHECK_FALSE(brew[1]->mismatch.empty());
    }
    SUBCASE("Linux: linuxbrew homes, never the macOS prefixes") {
        Fixture fx;
        fx.file("/home/linuxbrew/.linuxbrew/Homebrew/bin/brew");
        fx.symlink("../Homebrew/bin/brew", "/home/linuxbrew/.linuxbrew/bin/brew");
        fx.file("/home/u/.linuxbrew/bin/brew");
        fx.file("/opt/homebrew/bin/brew");
        fx.file("/usr/local/bin/brew");
        auto d = pkg::detect_uncached(fx.context("linux", "x86_64", "/usr/bin"));
        auto brew = d.find("homebrew");
        REQUIRE(brew.size() == 2);
        CHECK(brew[0]->prefix == "/home/linuxbrew/.linuxbrew");
        CHECK(brew[0]->preferred);
        CHECK(brew[1]->prefix == "/home/u/.linuxbrew");
        CHECK_FALSE(d.homebrew.any_mismatch());
    }
    SUBCASE("HOMEBREW_PREFIX names a custom prefix, preferred when native") {
        Fixture fx;
        fx.file("/custom/brew/bin/brew");
        fx.file("/opt/homebrew/bin/brew");
        auto ctx = fx.context("macos", "arm64", "/usr/bin");
        ctx.env.emplace_back("HOMEBREW_PREFIX", "/custom/brew/");
        auto d = pkg::detect_uncached(ctx);
        auto brew = d.find("homebrew");
        REQUIRE(brew.size() == 2);
        CHECK(brew[0]->prefix == "/custom/brew");
        CHECK(brew[0]->evidence[0].describe() == "env HOMEBREW_PREFIX=/custom/brew");
    }
}

TEST_CASE("Paths expand templates and list Homebrew keg-only formulae") {
    Fixture fx;
    fx.file("/opt/homebrew/bin/brew");
    for (auto d : {"/opt/homebrew/lib/pkgconfig", "/opt/homebrew/include", "/opt/homebrew/opt/libpq/bin",
                   "/opt/homebrew/opt/libpq/lib/pkgconfig", "/opt/homebrew/opt/wget/bin",
                   "/opt/homebrew/var/homebrew/linked/wget"}) {
        fx.dir(d);
    }
    auto ctx = fx.context("macos", "arm64", "/usr/bin");
    auto d = pkg::detect_uncached(ctx);
    REQUIRE(d.managers.size() == 1);
    auto paths = pkg::resolve_paths(ctx, d.managers[0]);
    CHECK(paths.prefix == "/opt/homebrew");
    CHECK(paths.keg_only == std::vector<std::string>{"libpq"});
    CHECK(paths.bin == std::vector<std::string>{"/opt/homebrew/bin", "/opt/homebrew/opt/libpq/bin"});
    CHECK(paths.lib == std::vector<std::string>{"/opt/homebrew/lib", "/opt/homebrew/opt/libpq/lib"});
    CHECK(paths.include == std::vector<std::string>{"/opt/homebrew/include"});
    CHECK(paths.pkg_config ==
          std::vector<std::string>{"/opt/homebrew/lib/pkgconfig", "/opt/homebrew/opt/libpq/lib/pkgconfig"});
    CHECK(pkg::is_default_search_dir("/usr/lib/x86_64-linux-gnu", "x86_64"));
    CHECK_FALSE(pkg::is_default_search_dir("/opt/homebrew/lib", "arm64"));
}

TEST_CASE("Templates expand home, env, prefix and multiarch") {
    Fixture fx;
    auto ctx = fx.context("linux", "arm64");
    ctx.env.emplace_back("CARGO_HOME", "/data/cargo");
    ctx.env.emplace_back("EMPTY", "");
    CHECK(pkg::expand_template("{home}/.cargo/bin", ctx) == "/home/u/.cargo/bin");
    CHECK(pkg::expand_template("{env:CARGO_HOME}/bin", ctx) == "/data/cargo/bin");
    CHECK_FALSE(pkg::expand_template("{env:EMPTY}/bin", ctx));
    CHECK_FALSE(pkg::expand_template("{env:UNSET_VAR}/bin", ctx));
    CHECK(pkg::expand_template("/usr/lib/{multiarch}", ctx) == "/usr/lib/aarch64-linux-gnu");
    CHECK(pkg::expand_template("{prefix}/lib", ctx, "/p") == "/p/lib");
    CHECK_FALSE(pkg::expand_template("{prefix}/lib", ctx));
    CHECK_FALSE(pkg::expand_template("{home", ctx));
}

TEST_CASE("Detection cache is reused, invalidated by a touched executable, and survives corruption") {
    Fixture fx;
    fx.file("/usr/bin/pacman");
    fx.dir("/var/lib/pacman/local");
    Fixture cache_home; // outside the root: the root's own mtime is a dependency (/snap, /nix markers)
    std::string cache = cache_home.dir().string();
    const char* old = std::getenv("XDG_CACHE_HOME");
    std::string saved = old ? old : "";
    ::setenv("XDG_CACHE_HOME", cache.c_str(), 1);
    auto ctx = fx.context();

    auto first = pkg::detect_managers(ctx);
    CHECK_FALSE(first.from_cache);
    auto file = pkg::cache_file_for(ctx);
    REQUIRE(file);
    CHECK(fs::exists(*file));
    auto second = pkg::detect_managers(ctx);
    CHECK(second.from_cache);
    CHECK(ids(second) == std::set<std::string>{"pacman"});
    REQUIRE(second.find("pacman").size() == 1);
    CHECK(second.find("pacman")[0]->evidence.size() == 2);

    SUBCASE("touching the executable invalidates") {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        fs::last_write_time(fx.host("/usr/bin/pacman"), fs::file_time_type::clock::now());
        CHECK_FALSE(pkg::detect_managers(ctx).from_cache);
        CHECK(pkg::detect_managers(ctx).from_cache);
    }
    SUBCASE("a new manager on PATH invalidates") {
        fx.file("/usr/bin/apk");
        auto third = pkg::detect_managers(ctx);
        CHECK_FALSE(third.from_cache);
        CHECK(ids(third) == std::set<std::string>{"apk", "pacman"});
    }
    SUBCASE("chmod -x invalidates") {
        ::chmod(fx.host("/usr/bin/pacman").c_str(), 0644);
        auto third = pkg::detect_managers(ctx);
        CHECK_FALSE(third.from_cache);
        CHECK(third.managers.empty());
    }
    SUBCASE("a corrupt cache is ignored and rewritten") {
        REQUIRE(util::write_file_atomic(*file, "{\"format\": 1, \"key\": tru").ok());
        auto third = pkg::detect_managers(ctx);
        CHECK_FALSE(third.from_cache);
        CHECK(ids(third) == std::set<std::string>{"pacman"});
        CHECK(pkg::detect_managers(ctx).from_cache);
    }
    SUBCASE("UseCache::no bypasses") {
        CHECK_FALSE(pkg::detect_managers(ctx, pkg::UseCache::no).from_cache);
    }
    SUBCASE("another PATH is another cache file") {
        auto other = fx.context("linux", "x86_64", "/usr/bin:/bin");
        CHECK(pkg::cache_file_for(other) != file);
        CHECK_FALSE(pkg::detect_managers(other).from_cache);
    }
    if (old) {
        ::setenv("XDG_CACHE_HOME", saved.c_str(), 1);
    } else {
        ::unsetenv("XDG_CACHE_HOME");
    }
}

TEST_CASE("extract_version finds the version token") {
    CHECK(pkg::extract_version("apt 2.6.1 (amd64)\nSupported modules:") == "2.6.1");
    CHECK(pkg::extract_version("go version go1.19.8 linux/amd64") == "1.19.8");
    CHECK(pkg::extract_version("\n .--.   Pacman v6.0.2 - libalpm v13.0.2\n") == "6.0.2");
    CHECK(pkg::extract_version("Debian 'dpkg' package management program version 1.21.22 (amd64).") ==
          "1.21.22");
    CHECK(pkg::extract_version("Copyright 2006-2021\nnix-env (Nix) 2.8.0") == "2.8.0");
    CHECK(pkg::extract_version("v1.7.10861") == "1.7.10861");
    CHECK(pkg::extract_version("flatpak 1.14.10-1~deb12u2.") == "1.14.10-1~deb12u2");
    CHECK_FALSE(pkg::extract_version("no version here 42"));
    CHECK_FALSE(pkg::extract_version(""));
}

TEST_CASE("Detection cache is re-validated before what it names is executed or exported") {
    zsyncctl::test::TempDir t{"cache"};
    t.write("bin/apk", "#!/bin/sh\n", 0755);
    t.write("bin2/apk", "#!/bin/sh\n", 0777); // on PATH, but anybody could have written it
    t.write("evil/apk", "#!/bin/sh\n", 0755); // not on PATH
    ::chmod((t.path / "bin2" / "apk").c_str(), 0777);
    const char* old = std::getenv("XDG_CACHE_HOME");
    std::string saved = old ? old : "";
    ::setenv("XDG_CACHE_HOME", (t.path / "cache").c_str(), 1);
    pkg::DetectContext ctx;
    ctx.os = "linux";
    ctx.arch = "x86_64";
    ctx.path_env = (t.path / "bin").string() + ":" + (t.path / "bin2").string();
    ctx.home = (t.path / "home").string();
    const std::string good = (t.path / "bin" / "apk").string();
    auto apk = [](const pkg::Detection& d) {
        auto found = d.find("apk");
        return found.empty() ? std::string() : found.front()->executable;
    };
    auto first = pkg::detect_managers(ctx);
    REQUIRE(apk(first) == good);
    auto second = pkg::detect_managers(ctx);
    REQUIRE(second.from_cache);
    auto file = pkg::cache_file_for(ctx);
    REQUIRE(file);
    // Rewrites the cached executable the way a user who can write the cache file could.
    auto tamper = [&](const std::string& executable) {
        auto text = util::read_file(*file);
        REQUIRE(text.ok());
        std::string from = "\t" + good + "\t"; // the m line's executable field (a d line ends with it)
        auto at = text->find(from);
        REQUIRE(at != std::string::npos);
        text->replace(at, from.size(), "\t" + executable + "\t");
        REQUIRE(util::write_file_atomic(*file, *text).ok());
        ::chmod(file->c_str(), 0644);
    };

    SUBCASE("an executable where detection does not look is not trusted") {
        tamper((t.path / "evil" / "apk").string());
        auto third = pkg::detect_managers(ctx);
        CHECK_FALSE(third.from_cache);
        CHECK(apk(third) == good);
    }
    SUBCASE("a world-writable executable is not trusted") {
        tamper((t.path / "bin2" / "apk").string());
        auto third = pkg::detect_managers(ctx);
        CHECK_FALSE(third.from_cache);
        CHECK(apk(third) == good);
    }
    SUBCASE("a cache file others can write is ignored") {
        ::chmod(file->c_str(), 0666);
        CHECK_FALSE(pkg::detect_managers(ctx).from_cache);
        CHECK(pkg::detect_managers(ctx).from_cache); // rewritten 0644
    }
    SUBCASE("a cache file that is a symlink is ignored") {
        auto real = t.write("elsewhere.json", *util::read_file(*file));
        fs::remove(*file);
        fs::create_symlink(real, *file);
        CHECK_FALSE(pkg::detect_managers(ctx).from_cache);
    }
    if (::geteuid() == 0) {
        SUBCASE("as root, a cache file another user owns is ignored") {
            REQUIRE(::chown(file->c_str(), 65534, 65534) == 0);
            CHECK_FALSE(pkg::detect_managers(ctx).from_cache);
        }
    }
    SUBCASE("storing prunes other cache files by age and count") {
        auto now = std::chrono::system_clock::now();
        for (int i = 0; i < 24; ++i) {
            auto f = t.write("cache/zsyncctl/managers-old" + std::to_string(i) + ".tsv", "{}");
            auto age = std::chrono::hours(24) * (i < 4 ? 60 : 1) + std::chrono::minutes(i);
            auto when = std::chrono::system_clock::to_time_t(now - age);
            struct timespec times[2] = {{when, 0}, {when, 0}};
            REQUIRE(::utimensat(AT_FDCWD, f.c_str(), times, 0) == 0);
        }
        auto other = ctx;
        other.path_env = (t.path / "bin").string();
        CHECK_FALSE(pkg::detect_managers(other).from_cache); // stored: prunes
        std::size_t left = 0;
        bool old_left = false;
        for (const auto& e : fs::directory_iterator(t.path / "cache" / "zsyncctl")) {
            std::string name = e.path().filename().string();
            left += name.rfind("managers-", 0) == 0 ? 1 : 0;
            old_left = old_left || name == "managers-old0.tsv";
        }
        CHECK(left == 16);
        CHECK_FALSE(old_left);
        CHECK(fs::exists(*pkg::cache_file_for(other)));
    }
    if (old) {
        ::setenv("XDG_CACHE_HOME", saved.c_str(), 1);
    } else {
        ::unsetenv("XDG_CACHE_HOME");
    }
}

TEST_CASE("value_of_key reads a manager's KEY: value report") {
    // Lines of Debian 12's `gem environment` (RubyGems 3.3.15), the USER line moved before the other.
    const std::string text = "RubyGems Environment:\n"
                             "  - RUBYGEMS VERSION: 3.3.15\n"
                             "  - USER INSTALLATION DIRECTORY: /root/.local/share/gem/ruby/3.1.0\n"
                             "  - INSTALLATION DIRECTORY: /var/lib/gems/3.1.0\n"
                             "  - EXECUTABLE DIRECTORY: /usr/local/bin\n"
                             "  - GEM PATHS:\n"
                             "     - /var/lib/gems/3.1.0\n";
    SUBCASE("the key's own line, not one that merely ends with it") {
        CHECK(pkg::value_of_key(text, "INSTALLATION DIRECTORY") == "/var/lib/gems/3.1.0");
        CHECK(pkg::value_of_key(text, "EXECUTABLE DIRECTORY") == "/usr/local/bin");
    }
    SUBCASE("a missing key or a key without a value") {
        CHECK_FALSE(pkg::value_of_key(text, "SPEC CACHE DIRECTORY").has_value());
        CHECK(pkg::value_of_key(text, "GEM PATHS") == "");
        CHECK_FALSE(pkg::value_of_key("", "INSTALLATION DIRECTORY").has_value());
    }
}

TEST_CASE("Detection cache line format: round trip, and damaged input is rejected") {
    std::string good = "zsyncctl-managers\t2\nkey\tabc\nos\tlinux\narch\tx86_64\n"
                       "d\t1\t65024\t7\t100\t-5\t/usr/bin\nd\t0\t0\t0\t0\t0\t/gone\n"
                       "m\tapt\t1\t/usr/bin/apt-get\t/usr\t\ne\t0\t/usr/bin\ne\t2\t/var/lib/dpkg/status\n"
                       "r\t/bin/dnf\tnot executable\nend\n";
    auto parsed = pkg::parse_cache(good);
    REQUIRE(parsed);
    CHECK(parsed->key == "abc");
    REQUIRE(parsed->deps.size() == 2);
    CHECK(parsed->deps[0].ino == 7);
    CHECK(parsed->deps[0].ctime_ns == -5);
    CHECK_FALSE(parsed->deps[1].present);
    REQUIRE(parsed->detection.managers.size() == 1);
    CHECK(parsed->detection.managers[0].evidence.size() == 2);
    CHECK(pkg::format_cache(*parsed) == good);
    // Every strict prefix (a truncated write) and a set of damaged variants parse to nothing.
    for (std::size_t n = 0; n < good.size(); ++n) {
        CHECK_FALSE(pkg::parse_cache(std::string_view(good).substr(0, n)));
    }
    auto damaged = [&](std::string from, std::string to) {
        std::string s = good;
        s.replace(s.find(from), from.size(), to);
        return s;
    };
    for (const auto& bad :
         {damaged("\t2\n", "\t1\n"), damaged("apt\t", "no-such-manager\t"),
          damaged("\t7\t", "\t99999999999999999999999\t"), damaged("\t7\t", "\tx\t"), damaged("e\t2", "e\t9"),
          damaged("m\tapt\t1", "m\tapt\t2"), good + "extra\n", damaged("\nr\t", "\nd\t"),
          damaged("d\t0", "e\t0"), std::string("{\"format\":1}")}) {
        CHECK_FALSE(pkg::parse_cache(bad));
    }
    // A path with a newline or tab is not cached.
    auto odd = *parsed;
    odd.detection.managers[0].executable = "/usr/bin/a\nb";
    CHECK_FALSE(pkg::format_cache(odd));
}
