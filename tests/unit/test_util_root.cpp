#include <doctest/doctest.h>

#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "temp_dir.hpp"
#include "util/root.hpp"

using namespace zsyncctl::util;
namespace fs = std::filesystem;

namespace {

using TempDir = zsyncctl::test::TempDir;

constexpr std::string_view k_secret = "HOST-SECRET-7f3a";

// A host directory with a secret file, and an image beside it whose links all try to reach the secret:
//   host/etc/shadow                       the secret ("outside")
//   image/etc/shadow                      the image's own file
//   image/etc/os-release -> /etc/shadow   absolute: must read image/etc/shadow
//   image/etc/up -> ../../../../../../host/etc/shadow   ".." chain: clamped at the image root
//   image/etc/hop -> up                   a relative link to that link
//   image/var/x -> ../../etc/./os-release two links deep, through ".." inside the image
//   image/loop/a -> b, image/loop/b -> a  a loop
//   image/self -> /                       the image's root itself
//   image/etc/dir-up -> ..                a link to a directory, then ".." through it
struct Fixture {
    TempDir tmp{"root"};
    fs::path host = tmp.path / "host";
    fs::path image = tmp.path / "image";

    Fixture() {
        tmp.write("host/etc/shadow", std::string(k_secret) + "\n");
        tmp.write("image/etc/shadow", "image shadow\n");
        fs::create_directories(image / "var");
        fs::create_directories(image / "loop");
        fs::create_symlink(host / "etc" / "shadow", tmp.path / "host-shadow-abs");
        fs::create_symlink("/etc/shadow", image / "etc" / "os-release");
        fs::create_symlink("../../../../../../host/etc/shadow", image / "etc" / "up");
        fs::create_symlink("up", image / "etc" / "hop");
        fs::create_symlink("../../etc/./os-release", image / "var" / "x");
        fs::create_symlink("b", image / "loop" / "a");
        fs::create_symlink("a", image / "loop" / "b");
        fs::create_symlink("/", image / "self");
        fs::create_symlink("..", image / "etc" / "dir-up");
        // An absolute link naming the host file by its full host path: inside the image that path does
        // not exist, so it must not be found.
        fs::create_symlink(host / "etc" / "shadow", image / "etc" / "full-host-path");
        // Loops whose links, followed by the host, lead out: image/var/lib/dpkg -> /var/lib/dpkg (itself),
        // and image/var/hostdir -> HOST/etc with image/HOST/etc -> /var/hostdir (a loop inside the image;
        // on the host, image/var/hostdir is the host's directory with the secret).
        fs::create_directories(image / "var" / "lib");
        fs::create_symlink("/var/lib/dpkg", image / "var" / "lib" / "dpkg");
        fs::create_symlink(host / "etc", image / "var" / "hostdir");
        fs::create_directories(image / host.relative_path());
        fs::create_symlink("/var/hostdir", image / host.relative_path() / "etc");
    }
};

void check_confined(const Root& root, const Fixture& fx) {
    SUBCASE("an absolute symlink reads the image's file, never the host's") {
        auto text = root.read("/etc/os-release");
        REQUIRE(text.ok());
        CHECK(*text == "image shadow\n");
        CHECK(root.resolve("/etc/os-release") == fx.image / "etc" / "shadow");
    }
    SUBCASE("a '..' chain stops at the root") {
        auto up = root.read("/etc/up");
        CHECK_FALSE(up.ok()); // image/host/etc/shadow does not exist
        auto hop = root.read("/etc/hop");
        CHECK_FALSE(hop.ok());
        auto direct = root.read("/../../../../host/etc/shadow");
        CHECK_FALSE(direct.ok());
        CHECK(root.read("/../../../etc/shadow").value_or("") == "image shadow\n");
        CHECK(root.resolve("/../../host/etc/shadow") == fx.image / "host" / "etc" / "shadow");
    }
    SUBCASE("links through links and '..' inside the image resolve inside it") {
        CHECK(root.read("/var/x").value_or("") == "image shadow\n");
        CHECK(root.read("/self/self/etc/shadow").value_or("") == "image shadow\n");
        CHECK(root.read("/etc/dir-up/etc/os-release").value_or("") == "image shadow\n");
        auto res = root.walk("/var/x");
        CHECK(res.complete);
        CHECK(res.through_link);
        CHECK(res.path == fx.image / "etc" / "shadow");
    }
    SUBCASE("a host path written into a link is not found inside the image") {
        CHECK_FALSE(root.read("/etc/full-host-path").ok());
        CHECK_FALSE(root.exists("/etc/full-host-path"));
    }
    SUBCASE("a symlink loop fails instead of spinning") {
        auto loop = root.read("/loop/a");
        REQUIRE_FALSE(loop.ok());
        CHECK_FALSE(root.exists("/loop/a"));
        auto res = root.walk("/loop/a");
        CHECK_FALSE(res.complete);
        CHECK(res.through_link);
        CHECK(res.path.empty());
    }
    SUBCASE("a loop whose links lead out on the host resolves to no host path") {
        // A caller that opens the resolved path itself (std::ifstream, std::filesystem) must not reach the
        // host's file through the link the walk gave up on.
        for (const char* path : {"/var/hostdir/shadow", "/var/lib/dpkg/status", "/var/lib/dpkg"}) {
            CAPTURE(path);
            auto res = root.walk(path);
            CHECK_FALSE(res.complete);
            CHECK(res.path.empty());
            CHECK(root.resolve(path).empty());
            CHECK_FALSE(root.read(path).ok());
            std::error_code ec;
            CHECK_FALSE(fs::exists(root.resolve(path), ec));
        }
        std::ifstream in(root.resolve("/var/hostdir/shadow"));
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        CHECK(text.find(k_secret) == std::string::npos);
    }
    SUBCASE("a very deep path fails instead of holding a descriptor per level") {
        std::string deep;
        for (int i = 0; i < 200; ++i) {
            deep += "/self";
        }
        // 200 links on one path: more than the 40 hops the kernel allows a whole lookup.
        CHECK_FALSE(root.read(deep + "/etc/shadow").ok());
        CHECK(root.read("/self/self/self/etc/shadow").value_or("") == "image shadow\n");
        std::string dirs;
        for (int i = 0; i < 200; ++i) {
            dirs += "/d";
        }
        fs::create_directories(fx.image.string() + dirs);
        CHECK(root.exists(dirs.substr(0, 2 * 100)));
        CHECK_FALSE(root.walk(dirs).complete);
    }
    SUBCASE("a missing path resolves to where it would be, still inside") {
        auto res = root.walk("/nope/../../../../x");
        CHECK_FALSE(res.complete);
        CHECK(res.path.string().starts_with(fx.image.string() + "/"));
        CHECK(root.resolve("/nope/../../../../x") == fx.image / "x");
    }
    SUBCASE("exists and open_file follow the same rules") {
        CHECK(root.exists("/etc/os-release"));
        CHECK(root.exists("/"));
        CHECK(root.exists("/self"));
        auto fd = root.open_file("/etc/dir-up", O_RDONLY | O_DIRECTORY);
        REQUIRE(fd.ok());
        struct stat st {};
        struct stat image_st {};
        REQUIRE(::fstat(*fd, &st) == 0);
        REQUIRE(::stat(fx.image.c_str(), &image_st) == 0);
        CHECK(st.st_ino == image_st.st_ino); // "etc/.." is the image root
        ::close(*fd);
    }
    SUBCASE("the secret never comes out") {
        for (const char* path : {"/etc/os-release", "/etc/up", "/etc/hop", "/var/x", "/etc/full-host-path",
                                 "/self/../../host/etc/shadow", "/etc/dir-up/../../host/etc/shadow"}) {
            CAPTURE(path);
            auto text = root.read(path);
            CHECK(text.value_or("").find(k_secret) == std::string::npos);
        }
    }
}

} // namespace

TEST_CASE("Root confines reads with openat2 (or the walk where the kernel lacks it)") {
    Fixture fx;
    Root root(fx.image);
    REQUIRE_FALSE(root.is_host());
    check_confined(root, fx);
}

TEST_CASE("Root confines reads with the component walk") {
    Fixture fx;
    Root root(fx.image, Confinement::component_walk);
    REQUIRE_FALSE(root.is_host());
    check_confined(root, fx);
}

TEST_CASE("Root::walk answers alike through openat2 and through the component walk") {
    // Every path of one to three names from a vocabulary of plain files and directories, missing names, a
    // file used as a directory, the fixture's links (absolute, relative, ".." chains, a loop, the root
    // itself), ".", "..", an empty name (a doubled slash) and a FIFO: the kernel's answer for paths
    // without links must be the walk's, and every other path must still get the walk's.
    Fixture fx;
    fx.tmp.write("image/etc/dir/file", "x");
    fx.tmp.write("image/etc/with space", "x");
    REQUIRE(::mkfifo((fx.image / "etc" / "fifo").c_str(), 0600) == 0);
    const std::vector<std::string> names = {"etc",        "dir",  "file",   "missing", "shadow", "os-release",
                                            "up",         "hop",  "dir-up", "self",    "loop",   "a",
                                            "with space", "fifo", ".",      "..",      ""};
    Root kernel(fx.image);
    Root walk(fx.image, Confinement::component_walk);
    std::size_t compared = 0;
    std::size_t complete = 0;
    std::vector<std::string> paths;
    for (const auto& one : names) {
        paths.push_back("/" + one);
        for (const auto& two : names) {
            paths.push_back("/" + one + "/" + two);
            for (const auto& three : names) {
                paths.push_back("/" + one + "/" + two + "/" + three);
            }
        }
    }
    for (const auto& path : paths) {
        INFO(path);
        auto a = kernel.walk(path);
        auto b = walk.walk(path);
        CHECK(a.path == b.path);
        CHECK(a.complete == b.complete);
        CHECK(a.through_link == b.through_link);
        complete += a.complete ? 1 : 0;
        ++compared;
    }
    CHECK(compared == 17 + 17 * 17 + 17 * 17 * 17);
    CHECK(complete > 200);
    // Around the walk's depth limit (128 names), which the kernel does not have.
    std::string deep;
    for (int i = 0; i < 200; ++i) {
        deep += "/d";
    }
    fs::create_directories(fx.image.string() + deep);
    for (std::size_t depth : {1, 127, 128, 129, 200}) {
        std::string path = deep.substr(0, 2 * depth);
        INFO(depth);
        CHECK(kernel.walk(path).complete == walk.walk(path).complete);
        CHECK(kernel.walk(path).path == walk.walk(path).path);
    }
}

TEST_CASE("Root that is the live system is the host") {
    TempDir tmp{"root-live"};
    SUBCASE("a symlink to /") {
        fs::create_symlink("/", tmp.path / "slash");
        CHECK(Root(tmp.path / "slash").is_host());
        auto opened = Root::open(tmp.path / "slash");
        REQUIRE(opened.ok());
        CHECK(opened->is_host());
        CHECK(opened->dir() == fs::path("/"));
        CHECK(opened->resolve("/etc/hostname") == fs::path("/etc/hostname"));
    }
    SUBCASE("/ spelled differently") {
        CHECK(Root("//").is_host());
        CHECK(Root("/./").is_host());
        CHECK(Root("/usr/..").is_host());
    }
    SUBCASE("/proc/1/root when we share pid 1's mount namespace") {
        struct stat one {};
        struct stat slash {};
        if (::stat("/proc/1/root", &one) != 0 || ::stat("/", &slash) != 0) {
            MESSAGE("skipped: /proc/1/root is not readable here");
            return;
        }
        bool same = one.st_dev == slash.st_dev && one.st_ino == slash.st_ino;
        CHECK(Root("/proc/1/root").is_host() == same);
    }
    SUBCASE("a real directory is not") {
        CHECK_FALSE(Root(tmp.path).is_host());
        CHECK_FALSE(is_live_root(tmp.path));
        CHECK(is_live_root("/"));
    }
}

TEST_CASE("Root::host_env reads the host's environment, never for an image") {
    TempDir tmp{"root-env"};
    ::setenv("ZS_TEST_HOST_ENV", "/opt/value", 1);
    CHECK(Root().host_env("ZS_TEST_HOST_ENV") == "/opt/value");
    CHECK(Root(tmp.path).host_env("ZS_TEST_HOST_ENV").empty());
    ::unsetenv("ZS_TEST_HOST_ENV");
    CHECK(Root().host_env("ZS_TEST_HOST_ENV").empty());
}

TEST_CASE("Root::is_directory follows links inside the root, never out of it") {
    TempDir tmp{"root-isdir"};
    TempDir outside{"root-isdir-out"};
    std::filesystem::create_directories(tmp.path / "usr/lib");
    tmp.write("usr/file", "x");
    std::filesystem::create_directory_symlink("/usr/lib", tmp.path / "lib");      // absolute: the root's
    std::filesystem::create_directory_symlink(outside.path, tmp.path / "escape"); // a host directory
    Root root(tmp.path);
    CHECK(root.is_directory("/usr/lib"));
    CHECK(root.is_directory("/lib"));
    CHECK_FALSE(root.is_directory("/usr/file"));
    CHECK_FALSE(root.is_directory("/missing"));
    // The link's target is read as a path inside the root, where it does not exist.
    CHECK_FALSE(root.is_directory("/escape"));
    CHECK(Root().is_directory("/"));
}

TEST_CASE("Root::open refuses a missing or non-directory DIR") {
    TempDir tmp{"root-open"};
    auto file = tmp.write("file", "x");
    auto missing = Root::open(tmp.path / "missing");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind == ErrorKind::invalid_input);
    CHECK(missing.error().message.find("missing") != std::string::npos);
    auto not_dir = Root::open(file);
    REQUIRE_FALSE(not_dir.ok());
    CHECK(not_dir.error().kind == ErrorKind::invalid_input);
    CHECK(not_dir.error().message.find("not a directory") != std::string::npos);
    SUBCASE("an empty --root is a mistake, not the host") {
        auto empty = Root::from_option_or_env(std::string());
        REQUIRE_FALSE(empty.ok());
        CHECK(empty.error().kind == ErrorKind::invalid_input);
    }
    SUBCASE("the option names itself in the error") {
        auto from_option = Root::from_option_or_env(std::string(file.string()));
        REQUIRE_FALSE(from_option.ok());
        CHECK(from_option.error().message.starts_with("--root: "));
    }
    SUBCASE("so does the environment") {
        ::setenv("ZSYNCCTL_ROOT", (tmp.path / "missing").c_str(), 1);
        auto from_env = Root::from_option_or_env(std::nullopt);
        ::unsetenv("ZSYNCCTL_ROOT");
        REQUIRE_FALSE(from_env.ok());
        CHECK(from_env.error().message.starts_with("ZSYNCCTL_ROOT: "));
    }
    SUBCASE("a directory, also through a symlink, is accepted") {
        fs::create_symlink(tmp.path, tmp.path / "link");
        auto via_link = Root::open(tmp.path / "link");
        REQUIRE(via_link.ok());
        CHECK_FALSE(via_link->is_host());
        CHECK(via_link->read("/file").value_or("") == "x");
    }
}

TEST_CASE("Root with_memo reads each file once per run") {
    TempDir tmp{"memo"};
    tmp.write("image/etc/os-release", "ID=first\n");
    Root plain(tmp.path / "image");
    Root memo = plain.with_memo();

    SUBCASE("a second read answers from the first, a root without the memo reads again") {
        CHECK(memo.read("/etc/os-release").value() == "ID=first\n");
        tmp.write("image/etc/os-release", "ID=second\n");
        CHECK(memo.read("/etc/os-release").value() == "ID=first\n");
        Root copy = memo; // copies share the memo
        CHECK(copy.read("/etc/os-release").value() == "ID=first\n");
        CHECK(plain.read("/etc/os-release").value() == "ID=second\n");
        CHECK(memo.memo_misses() == 1);
    }
    SUBCASE("errors and exists() are remembered too") {
        CHECK(memo.read("/etc/missing").error().kind == ErrorKind::not_found);
        CHECK_FALSE(memo.exists("/etc/missing"));
        tmp.write("image/etc/missing", "now here\n");
        CHECK(memo.read("/etc/missing").error().kind == ErrorKind::not_found);
        CHECK_FALSE(memo.exists("/etc/missing"));
        CHECK(plain.exists("/etc/missing"));
        CHECK(memo.memo_misses() == 2);
    }
}
