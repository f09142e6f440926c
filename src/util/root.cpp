#include "util/root.hpp"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <fcntl.h>
#include <map>
#include <mutex>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <linux/openat2.h>
#include <sys/syscall.h>
#endif

#include "util/fs.hpp"
#include "util/kernel_files.hpp"

namespace zsyncctl::util {

namespace {

constexpr int k_max_links = 40; // the kernel's MAXSYMLINKS
// The walk holds one descriptor per directory level; an image's links must not make it hold thousands.
constexpr std::size_t k_max_depth = 128;

#ifdef O_PATH
constexpr int k_path_flags = O_PATH;
#else
constexpr int k_path_flags = O_RDONLY;
#endif

// False once openat2 was refused (old kernel, seccomp): every later open takes the component walk.
std::atomic<bool> g_openat2_usable{true};

class Fd {
public:
    explicit Fd(int fd) : m_fd(fd) {}
    Fd(Fd&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
    Fd& operator=(Fd&& other) noexcept {
        std::swap(m_fd, other.m_fd);
        return *this;
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    int get() const { return m_fd; }

private:
    int m_fd = -1;
};

std::deque<std::string> components(std::string_view path) {
    std::deque<std::string> parts;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        if (end > start) {
            parts.emplace_back(path.substr(start, end - start));
        }
        start = end + 1;
    }
    return parts;
}

// The state of one walk below the root descriptor: one O_PATH descriptor per resolved component, so ".."
// pops back to a directory already opened, and each step opens one name relative to the last one with
// O_NOFOLLOW. Symlinks are read and interpreted here, never by the kernel, so their targets stay inside.
struct Walk {
    std::vector<std::string> names; // resolved components below the root
    std::vector<Fd> fds;            // their descriptors (same length as names)
    std::deque<std::string> rest;   // what was left when the walk stopped
    bool complete = false;
    bool through_link = false;
    bool stopped_at_link = false; // the walk gave up on a symlink (a loop, or one it could not read)
    int error = 0;
};

Walk walk_below(int root_fd, std::string_view logical) {
    Walk w;
    std::deque<std::string> todo = components(logical);
    int links = 0;
    auto stop = [&](std::string part, int err) {
        w.rest = std::move(todo);
        w.rest.push_front(std::move(part));
        w.error = err;
    };
    while (!todo.empty()) {
        std::string part = std::move(todo.front());
        todo.pop_front();
        if (part == ".") {
            continue;
        }
        if (part == "..") {
            if (!w.names.empty()) { // ".." at the root stays at the root
                w.names.pop_back();
                w.fds.pop_back();
            }
            continue;
        }
        int parent = w.fds.empty() ? root_fd : w.fds.back().get();
        Fd fd(::openat(parent, part.c_str(), k_path_flags | O_NOFOLLOW | O_CLOEXEC));
        struct stat st {};
        bool is_link = false;
        if (fd.get() < 0) {
            int err = errno;
            // Without O_PATH, O_NOFOLLOW on a symlink fails (ELOOP on Linux, EMLINK on FreeBSD).
            if ((err == ELOOP || err == EMLINK) &&
                ::fstatat(parent, part.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
                is_link = true;
            } else {
                stop(std::move(part), err);
                return w;
            }
        } else if (::fstat(fd.get(), &st) != 0) {
            stop(std::move(part), errno);
            return w;
        } else {
            is_link = S_ISLNK(st.st_mode);
        }
        if (is_link) {
            w.through_link = true;
            if (++links > k_max_links) {
                w.stopped_at_link = true;
                stop(std::move(part), ELOOP);
                return w;
            }
            char buffer[4096];
            ssize_t n = ::readlinkat(parent, part.c_str(), buffer, sizeof buffer);
            if (n <= 0 || static_cast<std::size_t>(n) >= sizeof buffer) {
                w.stopped_at_link = true;
                stop(std::move(part), n < 0 ? errno : ENAMETOOLONG);
                return w;
            }
            std::string_view target(buffer, static_cast<std::size_t>(n));
            auto target_parts = components(target);
            for (auto it = target_parts.rbegin(); it != target_parts.rend(); ++it) {
                todo.push_front(std::move(*it));
            }
            if (target.front() == '/') { // absolute: start again at the root, never at the host's "/"
                w.names.clear();
                w.fds.clear();
            }
            continue;
        }
        if (!todo.empty() && !S_ISDIR(st.st_mode)) {
            stop(std::move(part), ENOTDIR);
            return w;
        }
        if (w.fds.size() >= k_max_depth) {
            stop(std::move(part), ENAMETOOLONG);
            return w;
        }
        w.names.push_back(std::move(part));
        w.fds.push_back(std::move(fd));
    }
    w.complete = true;
    return w;
}

// The host path for a walk: the root, the resolved names, then what was left (with "." and ".." applied
// lexically and clamped, so even a path to something missing stays inside the root).
std::filesystem::path host_path(const std::filesystem::path& dir, const Walk& w) {
    std::string path = dir.string();
    for (const auto& name : w.names) {
        path += '/';
        path += name;
    }
    std::vector<std::string_view> rest;
    for (const auto& part : w.rest) {
        if (part == "..") {
            if (!rest.empty()) {
                rest.pop_back();
            }
        } else if (part != ".") {
            rest.push_back(part);
        }
    }
    for (auto part : rest) {
        path += '/';
        path.append(part);
    }
    if (w.names.empty() && rest.empty()) {
        path += '/';
    }
    return std::filesystem::path(std::move(path));
}

std::string relative_part(std::string_view absolute) {
    while (!absolute.empty() && absolute.front() == '/') {
        absolute.remove_prefix(1);
    }
    return absolute.empty() ? std::string(".") : std::string(absolute);
}

#if defined(__linux__) && defined(SYS_openat2)
// openat2(RESOLVE_IN_ROOT): the kernel does what walk_below does. -1 with errno; ENOSYS when unusable.
int open_in_root_kernel(int root_fd, std::string_view absolute, int flags) {
    if (!g_openat2_usable.load(std::memory_order_relaxed)) {
        errno = ENOSYS;
        return -1;
    }
    struct open_how how {};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    std::string rel = relative_part(absolute);
    for (int attempt = 0; attempt < 8; ++attempt) {
        long fd = ::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how);
        if (fd >= 0) {
            return static_cast<int>(fd);
        }
        if (errno == EAGAIN || errno == EINTR) { // a concurrent rename or mount: the kernel asks to retry
            continue;
        }
        if (errno == ENOSYS || errno == EPERM || errno == EINVAL || errno == E2BIG) {
            // Old kernel, a seccomp filter, or flags it does not take: the walk answers instead.
            g_openat2_usable.store(false, std::memory_order_relaxed);
            errno = ENOSYS;
        }
        return -1;
    }
    return -1;
}

// The kernel's answer for a walk, when it can give it in one call: for a path of plain names (no ".",
// "..", or empty ones; at most the walk's depth), an openat2 that refuses every symlink either finds it
// (complete, no link), or stops at a missing name or a non-directory before any link (incomplete, no link:
// the walk would stop at the same name). Either way the host path is the root's and the names. Nullopt: a
// link on the way, or anything else, which the walk answers (as before: it reads links itself).
std::optional<bool> walk_kernel(int root_fd, std::string_view absolute) {
    if (!g_openat2_usable.load(std::memory_order_relaxed) || absolute.size() < 2 || absolute.front() != '/') {
        return std::nullopt;
    }
    const auto parts = components(absolute);
    if (parts.size() > k_max_depth) { // the walk refuses to hold more descriptors than this
        return std::nullopt;
    }
    for (const auto& part : parts) {
        if (part == "." || part == "..") {
            return std::nullopt;
        }
    }
    if (absolute.find("//") != std::string_view::npos || absolute.back() == '/') {
        return std::nullopt;
    }
    struct open_how how {};
    how.flags = static_cast<std::uint64_t>(O_PATH | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS;
    std::string rel(absolute.substr(1));
    long fd = ::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how);
    if (fd >= 0) {
        ::close(static_cast<int>(fd));
        return true;
    }
    if (errno == ENOENT || errno == ENOTDIR) {
        return false;
    }
    if (errno == ENOSYS || errno == EPERM || errno == EINVAL || errno == E2BIG) {
        g_openat2_usable.store(false, std::memory_order_relaxed);
    }
    return std::nullopt;
}
#else
int open_in_root_kernel(int, std::string_view, int) {
    errno = ENOSYS;
    return -1;
}
std::optional<bool> walk_kernel(int, std::string_view) {
    return std::nullopt;
}
#endif

int open_in_root_walk(int root_fd, std::string_view absolute, int flags) {
    Walk w = walk_below(root_fd, absolute);
    if (!w.complete) {
        errno = w.error;
        return -1;
    }
    if (w.names.empty()) {
        return ::openat(root_fd, ".", flags | O_CLOEXEC);
    }
    // Reopen the last component by name from its parent, still without following a link (one swapped in
    // since the walk fails with ELOOP instead of leading outside).
    int parent = w.fds.size() >= 2 ? w.fds[w.fds.size() - 2].get() : root_fd;
    return ::openat(parent, w.names.back().c_str(), flags | O_CLOEXEC | O_NOFOLLOW);
}

} // namespace

bool is_live_root(const std::filesystem::path& dir) {
    struct stat here {};
    struct stat slash {};
    if (::stat(dir.c_str(), &here) != 0 || ::stat("/", &slash) != 0) {
        return false;
    }
    return here.st_dev == slash.st_dev && here.st_ino == slash.st_ino;
}

Root::Root(std::filesystem::path dir, Confinement confinement) : m_confinement(confinement) {
    if (dir.empty() || dir == "/") {
        return;
    }
    std::error_code ec;
    auto absolute = std::filesystem::absolute(dir, ec);
    m_dir = (ec ? dir : absolute).lexically_normal();
    if (m_dir.has_filename() == false && m_dir.has_parent_path()) {
        m_dir = m_dir.parent_path(); // drop the trailing slash
    }
    if (m_dir == "/" || is_live_root(m_dir)) {
        m_dir.clear(); // the live system, by whatever name: the host, with none of an image's special cases
        return;
    }
    int fd = ::open(m_dir.c_str(), k_path_flags | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        m_fd = std::shared_ptr<const int>(new int(fd), [](const int* p) {
            ::close(*p);
            delete p;
        });
    }
}

std::string Root::host_env(const char* name) const {
    const char* value = is_host() ? std::getenv(name) : nullptr;
    return value != nullptr ? std::string(value) : std::string();
}

Result<Root> Root::open(std::filesystem::path dir) {
    std::string shown = dir.string();
    if (dir.empty()) {
        return fail(ErrorKind::invalid_input,
                    "root directory is empty (give a directory, or / for this system)");
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        Error error = errno_error("root directory " + shown, errno);
        error.kind = ErrorKind::invalid_input;
        return fail(std::move(error));
    }
    if (!S_ISDIR(st.st_mode)) {
        return fail(ErrorKind::invalid_input, "root directory " + shown + ": not a directory");
    }
    return Root(std::move(dir));
}

Result<Root> Root::from_option_or_env(const std::optional<std::string>& option) {
    if (option) {
        auto root = open(*option);
        if (!root) {
            Error error = std::move(root).error();
            error.message = "--root: " + error.message;
            return fail(std::move(error));
        }
        return root;
    }
    if (const char* env = std::getenv("ZSYNCCTL_ROOT"); env != nullptr && env[0] != '\0') {
        auto root = open(env);
        if (!root) {
            Error error = std::move(root).error();
            error.message = "ZSYNCCTL_ROOT: " + error.message;
            return fail(std::move(error));
        }
        return root;
    }
    return Root();
}

Root::Resolution Root::walk(std::string_view absolute) const {
    if (is_host() || absolute.empty() || absolute.front() != '/') {
        return {std::filesystem::path(absolute), true, false};
    }
    if (!m_fd) {
        Walk none;
        none.rest = components(absolute);
        return {host_path(m_dir, none), false, false};
    }
    if (m_confinement == Confinement::automatic) {
        // One openat2 instead of an open, a stat and a close per name (a search under --root resolves
        // ~100 paths): the same answer when there is no link on the way (Root's tests hold both to it).
        if (std::optional<bool> found = walk_kernel(*m_fd, absolute)) {
            std::string path = m_dir.string();
            path.append(absolute);
            return {std::filesystem::path(std::move(path)), *found, false};
        }
    }
    Walk w = walk_below(*m_fd, absolute);
    if (w.stopped_at_link) {
        // The host path would run through that symlink, and the host's open() follows it wherever it points
        // (`ln -s /var/lib/dpkg IMAGE/var/lib/dpkg` is a loop inside the image, and the host's own dpkg
        // database outside it): no path at all, which every open and stat fails as missing.
        return {std::filesystem::path(), false, true};
    }
    return {host_path(m_dir, w), w.complete, w.through_link};
}

std::filesystem::path Root::resolve(std::string_view absolute) const {
    return walk(absolute).path;
}

Result<int> Root::open_file(std::string_view absolute, int flags) const {
    std::string shown = is_host() || absolute.empty() || absolute.front() != '/'
                            ? std::string(absolute)
                            : m_dir.string() + std::string(absolute);
    if (is_host() || absolute.empty() || absolute.front() != '/') {
        int fd = ::open(std::string(absolute).c_str(), flags | O_CLOEXEC);
        if (fd < 0) {
            return fail(errno_error(shown, errno));
        }
        return fd;
    }
    if (!m_fd) {
        return fail(errno_error(shown, ENOENT));
    }
    int fd = -1;
    if (m_confinement == Confinement::automatic) {
        fd = open_in_root_kernel(*m_fd, absolute, flags);
        if (fd < 0 && errno != ENOSYS) {
            return fail(errno_error(shown, errno));
        }
    }
    if (fd < 0) {
        fd = open_in_root_walk(*m_fd, absolute, flags);
    }
    if (fd < 0) {
        return fail(errno_error(shown, errno));
    }
    return fd;
}

// One run's answers, keyed by the logical path (and the size limit of the read).
struct Root::Memo {
    std::mutex mutex;
    std::map<std::pair<std::string, std::size_t>, Result<std::string>, std::less<>> reads;
    std::map<std::string, bool, std::less<>> exists;
    std::map<std::pair<std::string, bool>, std::pair<int, struct ::stat>> stats; // (path, follow) -> answer
    std::size_t misses = 0;
};

Root Root::with_memo() const {
    Root copy = *this;
    copy.m_memo = std::make_shared<Memo>();
    return copy;
}

std::size_t Root::memo_misses() const {
    if (!m_memo) {
        return 0;
    }
    std::lock_guard lock(m_memo->mutex);
    return m_memo->misses;
}

int Root::stat_host(const std::string& host_path, struct ::stat& out, bool follow) const {
    auto uncached = [&](struct ::stat& st) {
        int rc = follow ? ::stat(host_path.c_str(), &st) : ::lstat(host_path.c_str(), &st);
        return rc == 0 ? 0 : errno;
    };
    if (!m_memo) {
        return uncached(out);
    }
    std::pair<std::string, bool> key{host_path, follow};
    {
        std::lock_guard lock(m_memo->mutex);
        if (auto it = m_memo->stats.find(key); it != m_memo->stats.end()) {
            out = it->second.second;
            return it->second.first;
        }
    }
    struct ::stat st {};
    int error = uncached(st);
    std::lock_guard lock(m_memo->mutex);
    ++m_memo->misses;
    const auto& kept = m_memo->stats.emplace(std::move(key), std::make_pair(error, st)).first->second;
    out = kept.second;
    return kept.first;
}

Result<std::string> Root::read(std::string_view absolute, std::size_t max_bytes) const {
    if (!m_memo) {
        return read_uncached(absolute, max_bytes);
    }
    std::pair<std::string, std::size_t> key{std::string(absolute), max_bytes};
    {
        std::lock_guard lock(m_memo->mutex);
        if (auto it = m_memo->reads.find(key); it != m_memo->reads.end()) {
            return it->second;
        }
    }
    // Read outside the lock (a slow /proc file must not hold up other threads); a race reads twice and
    // keeps the first answer.
    auto result = read_uncached(absolute, max_bytes);
    std::lock_guard lock(m_memo->mutex);
    ++m_memo->misses;
    return m_memo->reads.emplace(std::move(key), std::move(result)).first->second;
}

bool Root::is_directory(std::string_view absolute) const {
    std::error_code ec;
    return std::filesystem::is_directory(resolve(absolute), ec);
}

bool Root::exists(std::string_view absolute) const {
    if (!m_memo) {
        return exists_uncached(absolute);
    }
    {
        std::lock_guard lock(m_memo->mutex);
        if (auto it = m_memo->exists.find(absolute); it != m_memo->exists.end()) {
            return it->second;
        }
    }
    bool found = exists_uncached(absolute);
    std::lock_guard lock(m_memo->mutex);
    ++m_memo->misses;
    return m_memo->exists.emplace(std::string(absolute), found).first->second;
}

Result<std::string> Root::read_uncached(std::string_view absolute, std::size_t max_bytes) const {
    // O_NONBLOCK: opening a FIFO planted in an image must not wait for a writer forever.
    auto fd = open_file(absolute, O_RDONLY | O_NONBLOCK);
    if (!fd) {
        return fail(std::move(fd).error());
    }
    std::string shown = is_host() ? std::string(absolute) : m_dir.string() + std::string(absolute);
    if (KernelFileRead how = is_host() ? kernel_file_read(absolute) : KernelFileRead::general;
        how != KernelFileRead::general) {
        // The host's /proc and /sys hold no FIFO to refuse: no fstat (doctor reads ~20 such files per run).
        return read_kernel_fd(*fd, shown, max_bytes, how);
    }
    return read_fd(*fd, shown, max_bytes);
}

bool Root::exists_uncached(std::string_view absolute) const {
    auto fd = open_file(absolute, k_path_flags);
    if (!fd) {
        return false;
    }
    ::close(*fd);
    return true;
}

std::optional<std::filesystem::path> Root::home() const {
    const char* home = std::getenv("HOME");
    if (home == nullptr || home[0] == '\0') {
        return std::nullopt;
    }
    return resolve(home);
}

} // namespace zsyncctl::util
