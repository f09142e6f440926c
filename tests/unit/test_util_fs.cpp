#include <doctest/doctest.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include "temp_dir.hpp"
#include "util/fs.hpp"
#include "util/huge_allocator.hpp"
#include "util/root.hpp"

using namespace zsyncctl::util;
namespace fs = std::filesystem;

namespace {
using TempDir = zsyncctl::test::TempDir;
} // namespace

TEST_CASE("write_file_atomic creates parents and replaces content") {
    TempDir dir;
    fs::path file = dir.path / "a" / "b" / "cache.json";
    REQUIRE(write_file_atomic(file, "first").ok());
    REQUIRE(write_file_atomic(file, "second").ok());
    auto text = read_file(file);
    REQUIRE(text.ok());
    CHECK(*text == "second");
    // No temporary files are left behind.
    int entries = 0;
    for ([[maybe_unused]] auto& e : fs::directory_iterator(file.parent_path())) {
        ++entries;
    }
    CHECK(entries == 1);
}

TEST_CASE("write_all writes every byte, goes on after a short write, and names what failed") {
    TempDir dir;
    std::string data(1u << 20, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<char>(i * 7 + i / 4096);
    }
    const fs::path whole = dir.path / "whole";
    int fd = ::open(whole.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    CHECK(write_all(fd, data, "whole").ok());
    ::close(fd);
    auto back = read_file(whole, 2u << 20);
    REQUIRE(back.ok());
    CHECK(*back == data);

    // A file size limit makes the kernel's first write short (10,000 of 1 MiB) and the next one fail with
    // EFBIG: stopping after the short write would report success. In a child, whose limit and SIGXFSZ
    // disposition end with it.
    const fs::path capped = dir.path / "capped";
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::signal(SIGXFSZ, SIG_IGN);
        struct rlimit limit {
            10000, 10000
        };
        int out = ::open(capped.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (out < 0 || ::setrlimit(RLIMIT_FSIZE, &limit) != 0) {
            ::_exit(3);
        }
        auto result = write_all(out, data, "the capped file");
        bool named = !result.ok() && result.error().message.find("the capped file") != std::string::npos &&
                     result.error().message.find("File too large") != std::string::npos;
        ::_exit(result.ok() ? 1 : named ? 0 : 2);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0); // 1: the short write was taken for all of it; 2: error not named
    std::error_code ec;
    CHECK(fs::file_size(capped, ec) == 10000);

    // A descriptor open for reading only: the errno error, named as asked.
    int ro = ::open(whole.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(ro >= 0);
    auto refused = write_all(ro, "x", "the copy");
    ::close(ro);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("the copy") != std::string::npos);
    // Nothing to write is not a write.
    CHECK(write_all(-1, "", "nothing").ok());
}

TEST_CASE("read_file reports missing files and size limits") {
    TempDir dir;
    auto missing = read_file(dir.path / "nope");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().kind == ErrorKind::not_found);
    REQUIRE(write_file_atomic(dir.path / "big", std::string(100, 'x')).ok());
    auto big = read_file(dir.path / "big", 10);
    REQUIRE_FALSE(big.ok());
    CHECK(big.error().kind == ErrorKind::io);
}

TEST_CASE("read_file refuses FIFOs and directories instead of blocking") {
    TempDir dir;
    fs::path fifo = dir.path / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    auto from_fifo = read_file(fifo); // would block forever without O_NONBLOCK
    REQUIRE_FALSE(from_fifo.ok());
    CHECK(from_fifo.error().kind == ErrorKind::io);
    auto from_dir = read_file(dir.path);
    CHECK_FALSE(from_dir.ok());
}

TEST_CASE("Root resolves absolute paths inside its directory") {
    TempDir dir;
    SUBCASE("host root leaves paths alone") {
        Root host;
        CHECK(host.is_host());
        CHECK(host.resolve("/etc/os-release") == fs::path("/etc/os-release"));
    }
    SUBCASE("fixture root") {
        REQUIRE(write_file_atomic(dir.path / "etc" / "os-release", "ID=debian\n").ok());
        Root root(dir.path);
        CHECK_FALSE(root.is_host());
        CHECK(root.resolve("/etc/os-release") == dir.path / "etc" / "os-release");
        auto text = root.read("/etc/os-release");
        REQUIRE(text.ok());
        CHECK(*text == "ID=debian\n");
        CHECK(root.exists("/etc"));
        CHECK_FALSE(root.exists("/proc/self/status"));
    }
    SUBCASE("slash means host") {
        CHECK(Root("/").is_host());
    }
    SUBCASE("env var is used when no option is given") {
        ::setenv("ZSYNCCTL_ROOT", dir.path.c_str(), 1);
        auto root = Root::from_option_or_env(std::nullopt);
        ::unsetenv("ZSYNCCTL_ROOT");
        REQUIRE(root.ok());
        CHECK(root->dir() == dir.path);
        auto slash = Root::from_option_or_env(std::string("/"));
        REQUIRE(slash.ok());
        CHECK(slash->is_host());
    }
}

TEST_CASE("cache_dir follows XDG_CACHE_HOME then HOME") {
    const char* old_xdg = std::getenv("XDG_CACHE_HOME");
    std::string saved = old_xdg ? old_xdg : "";
    const char* old_home = std::getenv("HOME");
    std::string saved_home = old_home ? old_home : "";
    TempDir dir; // private and ours: usable as root too
    ::setenv("XDG_CACHE_HOME", (dir.path / "xdg").c_str(), 1);
    CHECK(*cache_dir() == dir.path / "xdg" / "zsyncctl");
    ::unsetenv("XDG_CACHE_HOME");
    ::setenv("HOME", (dir.path / "home").c_str(), 1);
    CHECK(*cache_dir() == dir.path / "home" / ".cache" / "zsyncctl");
    if (::geteuid() == 0) {
        SUBCASE("as root, a cache another user controls is replaced by /var/cache/zsyncctl") {
            fs::create_directories(dir.path / "home");
            REQUIRE(::chown((dir.path / "home").c_str(), 65534, 65534) == 0); // sudo -E: the user's HOME
            CHECK(*cache_dir() == fs::path("/var/cache/zsyncctl"));
            fs::create_directories(dir.path / "real");
            fs::create_directory_symlink(dir.path / "real", dir.path / "link");
            ::setenv("XDG_CACHE_HOME", (dir.path / "link").c_str(), 1);
            CHECK(*cache_dir() == fs::path("/var/cache/zsyncctl"));
            ::setenv("XDG_CACHE_HOME", "/tmp", 1); // a missing name in a directory everybody writes to
            CHECK(*cache_dir() == fs::path("/var/cache/zsyncctl"));
            ::unsetenv("XDG_CACHE_HOME");
            ::unsetenv("HOME");
            CHECK(*cache_dir() == fs::path("/var/cache/zsyncctl"));
        }
    }
    if (old_xdg) {
        ::setenv("XDG_CACHE_HOME", saved.c_str(), 1);
    } else {
        ::unsetenv("XDG_CACHE_HOME");
    }
    ::setenv("HOME", saved_home.c_str(), 1);
}

TEST_CASE("open_private_dir creates a private directory and refuses one others control") {
    TempDir dir;
    SUBCASE("missing components are created 0700") {
        auto fd = open_private_dir(dir.path / "a" / "b", CreateMissing::yes);
        REQUIRE_MESSAGE(fd.ok(), (fd.ok() ? "" : fd.error().message));
        struct stat st {};
        REQUIRE(::stat((dir.path / "a" / "b").c_str(), &st) == 0);
        CHECK((st.st_mode & 07777) == 0700);
        CHECK_FALSE(open_private_dir(dir.path / "missing", CreateMissing::no).ok());
    }
    SUBCASE("a world-writable directory is refused") {
        fs::create_directories(dir.path / "open");
        ::chmod((dir.path / "open").c_str(), 0777);
        auto fd = open_private_dir(dir.path / "open", CreateMissing::yes);
        REQUIRE_FALSE(fd.ok());
        CHECK(fd.error().kind == ErrorKind::permission_denied);
    }
    if (::geteuid() == 0) {
        SUBCASE("as root, a symlink on the way is refused and nothing is created behind it") {
            fs::create_directories(dir.path / "elsewhere");
            fs::create_directory_symlink(dir.path / "elsewhere", dir.path / "link");
            auto fd = open_private_dir(dir.path / "link" / "logs", CreateMissing::yes);
            REQUIRE_FALSE(fd.ok());
            CHECK(fd.error().kind == ErrorKind::permission_denied);
            CHECK(fd.error().message.find("symlink") != std::string::npos);
            CHECK_FALSE(fs::exists(dir.path / "elsewhere" / "logs"));
        }
        SUBCASE("as root, a directory owned by another user is refused, as a parent too") {
            fs::create_directories(dir.path / "user" / "cache");
            REQUIRE(::chown((dir.path / "user").c_str(), 65534, 65534) == 0);
            CHECK_FALSE(open_private_dir(dir.path / "user", CreateMissing::no).ok());
            CHECK_FALSE(open_private_dir(dir.path / "user" / "cache", CreateMissing::no).ok());
            CHECK(open_private_dir(dir.path / "user", CreateMissing::no, DirOwner::self_or_root).ok() ==
                  false);
        }
    }
}

namespace {

// The inode the descriptor `fd` (an O_PATH directory) is open on, and the one `path` leads to.
bool same_inode(int fd, const fs::path& path) {
    struct stat a {};
    struct stat b {};
    return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

} // namespace

TEST_CASE("open_dir_to_write walks to the directory, and as root never through another user's link") {
    TempDir dir;
    fs::create_directories(dir.path / "target");
    fs::create_directories(dir.path / "a" / "b");
    SUBCASE("plain directories and root's own links in root's directories are followed") {
        auto fd = open_dir_to_write(dir.path / "a" / "b");
        REQUIRE_MESSAGE(fd.ok(), (fd.ok() ? "" : fd.error().message));
        CHECK(same_inode(fd->get(), dir.path / "a" / "b"));
        fs::create_directory_symlink(dir.path / "target", dir.path / "a" / "abs");
        fs::create_directory_symlink("../../target", dir.path / "a" / "b" / "rel");
        auto abs = open_dir_to_write(dir.path / "a" / "abs");
        REQUIRE(abs.ok());
        CHECK(same_inode(abs->get(), dir.path / "target"));
        auto rel = open_dir_to_write(dir.path / "a" / "b" / "rel");
        REQUIRE(rel.ok());
        CHECK(same_inode(rel->get(), dir.path / "target"));
        // The descriptor is usable for the *at calls that create and rename the file.
        auto created = create_file_at(rel->get(), "new.txt");
        REQUIRE(created.ok());
        CHECK(fs::exists(dir.path / "target" / "new.txt"));
    }
    SUBCASE("a file on the way, a missing component and a link loop fail") {
        dir.write("a/file", "x");
        CHECK_FALSE(open_dir_to_write(dir.path / "a" / "file").ok());
        CHECK_FALSE(open_dir_to_write(dir.path / "a" / "missing").ok());
        fs::create_directory_symlink(dir.path / "a" / "loop2", dir.path / "a" / "loop1");
        fs::create_directory_symlink(dir.path / "a" / "loop1", dir.path / "a" / "loop2");
        auto loop = open_dir_to_write(dir.path / "a" / "loop1");
        REQUIRE_FALSE(loop.ok());
        CHECK(loop.error().kind != ErrorKind::invalid_input);
    }
    if (::geteuid() == 0) {
        SUBCASE("as root: a link another user owns is refused, and nothing is created behind it") {
            fs::create_directory_symlink(dir.path / "target", dir.path / "a" / "theirs");
            REQUIRE(::lchown((dir.path / "a" / "theirs").c_str(), 65534, 65534) == 0);
            auto fd = open_dir_to_write(dir.path / "a" / "theirs");
            REQUIRE_FALSE(fd.ok());
            CHECK(fd.error().kind == ErrorKind::invalid_input);
            CHECK(fd.error().message.find("owned by uid 65534") != std::string::npos);
            // Deeper in the path too, and through a link to it.
            fs::create_directories(dir.path / "target" / "sub");
            CHECK_FALSE(open_dir_to_write(dir.path / "a" / "theirs" / "sub").ok());
        }
        SUBCASE("as root: root's link in a directory another user can change is refused") {
            fs::create_directories(dir.path / "user");
            fs::create_directory_symlink(dir.path / "target", dir.path / "user" / "link");
            REQUIRE(::chown((dir.path / "user").c_str(), 65534, 65534) == 0);
            auto fd = open_dir_to_write(dir.path / "user" / "link");
            REQUIRE_FALSE(fd.ok());
            CHECK(fd.error().message.find("another user can change") != std::string::npos);
            // The user's directory itself is fine: root writes into it, not through it.
            auto into = open_dir_to_write(dir.path / "user");
            REQUIRE(into.ok());
            CHECK(same_inode(into->get(), dir.path / "user"));
        }
        SUBCASE("as root: a world-writable directory's link is refused unless the directory is sticky") {
            fs::create_directories(dir.path / "open");
            fs::create_directory_symlink(dir.path / "target", dir.path / "open" / "link");
            REQUIRE(::chmod((dir.path / "open").c_str(), 0777) == 0);
            CHECK_FALSE(open_dir_to_write(dir.path / "open" / "link").ok());
            REQUIRE(::chmod((dir.path / "open").c_str(), 01777) == 0);
            auto sticky = open_dir_to_write(dir.path / "open" / "link");
            REQUIRE(sticky.ok());
            CHECK(same_inode(sticky->get(), dir.path / "target"));
        }
    }
}

TEST_CASE("create_file_at and open_owned_file_at never follow a planted name") {
    TempDir dir;
    auto fd = open_private_dir(dir.path / "d", CreateMissing::yes);
    REQUIRE(fd.ok());
    dir.write("victim", "precious");
    fs::create_symlink(dir.path / "victim", dir.path / "d" / "planted");
    SUBCASE("create_file_at: EEXIST for a symlink, the target untouched") {
        auto created = create_file_at(fd->get(), "planted");
        REQUIRE_FALSE(created.ok());
        CHECK(*read_file(dir.path / "victim") == "precious");
        auto fresh = create_file_at(fd->get(), "fresh", 0600);
        REQUIRE(fresh.ok());
        CHECK_FALSE(create_file_at(fd->get(), "fresh").ok()); // exclusive
    }
    SUBCASE("open_owned_file_at: a symlink is refused, a file of ours is opened") {
        CHECK_FALSE(open_owned_file_at(fd->get(), "planted").ok());
        CHECK(*read_file(dir.path / "victim") == "precious");
        CHECK(open_owned_file_at(fd->get(), "mine.lock").ok());
        CHECK(open_owned_file_at(fd->get(), "mine.lock").ok());
        if (::geteuid() == 0) {
            REQUIRE(::chown((dir.path / "d" / "mine.lock").c_str(), 65534, 65534) == 0);
            CHECK_FALSE(open_owned_file_at(fd->get(), "mine.lock").ok());
        }
    }
    SUBCASE("open_trusted_file_at: a symlink or a world-writable file is refused") {
        CHECK_FALSE(open_trusted_file_at(fd->get(), "planted").ok());
        dir.write("d/open.json", "{}", 0666);
        ::chmod((dir.path / "d" / "open.json").c_str(), 0666);
        CHECK_FALSE(open_trusted_file_at(fd->get(), "open.json").ok());
        ::chmod((dir.path / "d" / "open.json").c_str(), 0644);
        CHECK(open_trusted_file_at(fd->get(), "open.json").ok());
    }
}

TEST_CASE("write_file_atomic_at replaces a file with one of mode 0644 and leaves no temporary") {
    TempDir dir;
    auto fd = open_private_dir(dir.path, CreateMissing::no);
    REQUIRE(fd.ok());
    mode_t old_mask = ::umask(0);
    REQUIRE(write_file_atomic_at(fd->get(), "c.json", "one").ok());
    REQUIRE(write_file_atomic_at(fd->get(), "c.json", "two").ok());
    ::umask(old_mask);
    CHECK(*read_file(dir.path / "c.json") == "two");
    struct stat st {};
    REQUIRE(::stat((dir.path / "c.json").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
    CHECK(list_files_at(fd->get(), "", "").size() == 1);
    CHECK(random_token().size() == 16);
    CHECK(random_token() != random_token());
}

TEST_CASE("prune_files_at keeps the newest files, drops old ones, and spares the current one") {
    TempDir dir;
    auto fd = open_private_dir(dir.path, CreateMissing::no);
    REQUIRE(fd.ok());
    const long long now = 1'000'000'000;
    for (int i = 0; i < 6; ++i) {
        auto file = dir.write("run-" + std::to_string(i) + ".log", "x");
        struct timespec times[2] = {{now - i * 100, 0}, {now - i * 100, 0}};
        REQUIRE(::utimensat(AT_FDCWD, file.c_str(), times, 0) == 0);
    }
    dir.write("other.txt", "x");
    fs::create_symlink(dir.path / "other.txt", dir.path / "link.log");
    // Count: 3 kept (run-0..2); age: run-2 is 200 s old, over 150 s.
    CHECK(prune_files_at(fd->get(), "run-", ".log", 3, 150, now, "run-5.log") == 3);
    std::set<std::string> left;
    for (const auto& e : fs::directory_iterator(dir.path)) {
        left.insert(e.path().filename().string());
    }
    CHECK(left == std::set<std::string>{"run-0.log", "run-1.log", "run-5.log", "other.txt", "link.log"});
}

TEST_CASE("root_may_trust follows root's symlinks and refuses what another user controls") {
    TempDir dir;
    if (::geteuid() != 0) {
        return;
    }
    fs::create_directories(dir.path / "real" / "bin");
    fs::create_directory_symlink(dir.path / "real" / "bin", dir.path / "bin"); // like /bin -> usr/bin
    CHECK(root_may_trust(dir.path / "bin"));
    CHECK_FALSE(root_may_use(dir.path / "bin")); // the writer's rule refuses any link
    fs::create_directories(dir.path / "user" / "bin");
    REQUIRE(::chown((dir.path / "user").c_str(), 65534, 65534) == 0);
    CHECK_FALSE(root_may_trust(dir.path / "user" / "bin"));
    fs::create_directory_symlink(dir.path / "user" / "bin", dir.path / "to-user");
    CHECK_FALSE(root_may_trust(dir.path / "to-user")); // root's link into the user's tree
    REQUIRE(::lchown((dir.path / "bin").c_str(), 65534, 65534) == 0);
    CHECK_FALSE(root_may_trust(dir.path / "bin")); // a link another user owns
    CHECK_FALSE(root_may_trust("relative/bin"));
    CHECK(root_may_trust(dir.path / "missing")); // only root can create it there
}

TEST_CASE("root_may_use accepts only paths no other user can redirect") {
    TempDir dir;
    if (::geteuid() != 0) {
        return; // the test is about root's view of ownership
    }
    CHECK(root_may_use(dir.path / "new" / "cache"));
    CHECK_FALSE(root_may_use("relative/path"));
    CHECK_FALSE(root_may_use("/tmp/zsyncctl-not-yet-created-by-anyone"));
    fs::create_directories(dir.path / "user");
    REQUIRE(::chown((dir.path / "user").c_str(), 65534, 65534) == 0);
    CHECK_FALSE(root_may_use(dir.path / "user" / "cache"));
}

TEST_CASE("root_child_environment keeps another user's HOME and XDG directories from root's children") {
    // The variables this test changes, restored at the end.
    const char* names[] = {"HOME",          "XDG_CONFIG_HOME", "XDG_CACHE_HOME",
                           "XDG_DATA_HOME", "XDG_STATE_HOME",  "XDG_RUNTIME_DIR",
                           "PYTHONPATH",    "NODE_OPTIONS",    "PATH"};
    std::vector<std::pair<std::string, std::optional<std::string>>> saved;
    for (const char* name : names) {
        const char* value = std::getenv(name);
        saved.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
        ::unsetenv(name);
    }
    TempDir dir; // private and root's when we are root
    fs::create_directories(dir.path / "mine");
    ::setenv("HOME", (dir.path / "mine").c_str(), 1);
    ::setenv("XDG_CACHE_HOME", (dir.path / "mine" / ".cache").c_str(), 1);
    ::setenv("PYTHONPATH", (dir.path / "mine" / "py").c_str(), 1);
    ::setenv("NODE_OPTIONS", "--max-old-space-size=64", 1);
    ::setenv("PATH", ((dir.path / "mine").string() + ":/usr/bin:/bin").c_str(), 1);
    EnvironmentChanges own = root_child_environment();
    CHECK(own.set.empty()); // our own (or, not as root, whatever it is): nothing changes
    CHECK(own.unset.empty());
    if (::geteuid() == 0) {
        fs::create_directories(dir.path / "user" / ".config");
        REQUIRE(::chown((dir.path / "user").c_str(), 65534, 65534) == 0); // sudo -E: the user's HOME
        ::setenv("HOME", (dir.path / "user").c_str(), 1);
        ::setenv("XDG_CONFIG_HOME", (dir.path / "user" / ".config").c_str(), 1);
        ::setenv("XDG_DATA_HOME", "relative/share", 1);
        EnvironmentChanges changes = root_child_environment();
        REQUIRE(changes.set.size() == 1);
        CHECK(changes.set[0].first == "HOME");
        CHECK(changes.set[0].second.front() == '/');
        CHECK(root_may_trust(changes.set[0].second));
        CHECK(changes.set[0].second != (dir.path / "user").string());
        // NODE_OPTIONS goes with another user's HOME; PYTHONPATH stays while every entry is root's.
        CHECK(changes.unset == std::vector<std::string>{"XDG_CONFIG_HOME", "XDG_DATA_HOME", "NODE_OPTIONS"});
        ::setenv("PYTHONPATH",
                 ((dir.path / "mine" / "py").string() + ":" + (dir.path / "user").string()).c_str(), 1);
        CHECK(root_child_environment().unset ==
              std::vector<std::string>{"XDG_CONFIG_HOME", "XDG_DATA_HOME", "PYTHONPATH", "NODE_OPTIONS"});
        ::setenv("PYTHONPATH", ":relative", 1); // an empty entry is the working directory
        CHECK(root_child_environment().unset.size() == 4);
        // PATH keeps root's directories, in order, without the user's or relative ones.
        ::setenv("PATH",
                 ((dir.path / "user").string() + ":/usr/bin::.:" + (dir.path / "mine").string()).c_str(), 1);
        changes = root_child_environment();
        REQUIRE(changes.set.size() == 2);
        CHECK(changes.set[1] ==
              std::pair<std::string, std::string>("PATH", "/usr/bin:" + (dir.path / "mine").string()));
        ::setenv("HOME", "", 1); // empty: not a place root may use either
        changes = root_child_environment();
        REQUIRE_FALSE(changes.set.empty());
        CHECK(changes.set[0].first == "HOME");
        CHECK(changes.set[0].second != "");
    }
    for (const auto& [name, value] : saved) {
        if (value) {
            ::setenv(name.c_str(), value->c_str(), 1);
        } else {
            ::unsetenv(name.c_str());
        }
    }
}

namespace {

// The VmFlags line of the mapping holding `at` in /proc/self/smaps ("hg": marked MADV_HUGEPAGE); empty when
// none holds it.
std::string vm_flags_at(std::uintptr_t at) {
    std::ifstream smaps("/proc/self/smaps");
    std::string line;
    bool inside = false;
    std::string flags;
    while (std::getline(smaps, line)) {
        unsigned long lo = 0;
        unsigned long hi = 0;
        if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > line.find(' ')) {
            inside = lo <= at && at < hi;
        } else if (inside && line.rfind("VmFlags:", 0) == 0) {
            flags = line;
        }
    }
    return flags;
}

} // namespace

TEST_CASE("HugeAllocator maps large requests on a 2 MiB boundary for huge pages, small ones from new") {
    // A vector grown past the threshold keeps its elements through each move; its block starts on a 2 MiB
    // boundary and is marked for transparent huge pages. A block given directly reads as zeros, and its
    // range is unmapped once it is given back. A small request is ordinary heap memory.
    constexpr std::uintptr_t k_huge = std::uintptr_t(2) << 20;
    std::vector<std::uint64_t, HugeAllocator<std::uint64_t>> v;
    for (std::uint64_t i = 0; i < 300000; ++i) { // 2.4 MB in the end
        v.push_back(i * 3 + 1);
    }
    bool same = true;
    for (std::uint64_t i = 0; i < v.size(); ++i) {
        same = same && v[i] == i * 3 + 1;
    }
    CHECK(same);
    CHECK(reinterpret_cast<std::uintptr_t>(v.data()) % k_huge == 0);
    if (fs::exists("/sys/kernel/mm/transparent_hugepage/enabled")) {
        std::string flags = vm_flags_at(reinterpret_cast<std::uintptr_t>(v.data()));
        CAPTURE(flags);
        CHECK(flags.find(" hg") != std::string::npos);
    }

    HugeAllocator<char> chars;
    const std::size_t big = detail::k_huge_min + 5;
    char* p = chars.allocate(big);
    REQUIRE(p != nullptr);
    CHECK(reinterpret_cast<std::uintptr_t>(p) % k_huge == 0);
    bool zero = true;
    for (std::size_t i = 0; i < big; i += 4096) {
        zero = zero && p[i] == 0;
    }
    CHECK(zero);
    p[big - 1] = 'x';
    chars.deallocate(p, big);
    unsigned char resident = 0;
    errno = 0;
    CHECK(::mincore(p, 4096, &resident) == -1);
    CHECK(errno == ENOMEM); // not mapped any more

    char* small = chars.allocate(100);
    small[99] = 'y';
    CHECK(vm_flags_at(reinterpret_cast<std::uintptr_t>(small)).find(" hg") == std::string::npos);
    chars.deallocate(small, 100);
}

TEST_CASE("prefault_for_write makes a buffer's pages present and leaves its bytes alone") {
    // A 4 MiB buffer from malloc (its own mapping), half written before: the written half keeps its bytes,
    // and the pages count as resident afterwards (mincore), where the kernel has MADV_POPULATE_WRITE.
    constexpr std::size_t k_size = std::size_t(4) << 20;
    std::unique_ptr<char[]> buffer(new char[k_size]);
    for (std::size_t i = 0; i < k_size / 2; ++i) {
        buffer[i] = static_cast<char>(i * 7 + 3);
    }
    prefault_for_write(buffer.get(), k_size);
    bool same = true;
    for (std::size_t i = 0; i < k_size / 2; ++i) {
        same = same && buffer[i] == static_cast<char>(i * 7 + 3);
    }
    CHECK(same);
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    auto begin = (reinterpret_cast<std::uintptr_t>(buffer.get()) + page - 1) & ~(page - 1);
    auto end = (reinterpret_cast<std::uintptr_t>(buffer.get()) + k_size) & ~(page - 1);
    std::vector<unsigned char> resident((end - begin) / page);
    REQUIRE(::mincore(reinterpret_cast<void*>(begin), end - begin, resident.data()) == 0);
    std::size_t present = 0;
    for (unsigned char r : resident) {
        present += (r & 1) != 0 ? 1 : 0;
    }
    struct utsname u {};
    ::uname(&u);
    int major = 0;
    int minor = 0;
    std::sscanf(u.release, "%d.%d", &major, &minor);
    if (major > 5 || (major == 5 && minor >= 14)) {
        CHECK(present == resident.size());
    }
    // The 2 MiB-aligned interior is marked for transparent huge pages (one fault per 2 MiB instead of one
    // per page): the kernel lists the mapping's VmFlags with "hg" in /proc/self/smaps, where it has THP.
    if (fs::exists("/sys/kernel/mm/transparent_hugepage/enabled")) {
        std::string flags = vm_flags_at(reinterpret_cast<std::uintptr_t>(buffer.get()) + k_size / 2);
        CAPTURE(flags);
        CHECK(flags.find(" hg") != std::string::npos);
    }
    // Small, empty and null buffers: nothing happens.
    char small[64] = {1, 2, 3};
    prefault_for_write(small, sizeof small);
    prefault_for_write(nullptr, k_size);
    prefault_for_write(buffer.get(), 0);
    CHECK(small[2] == 3);
}
