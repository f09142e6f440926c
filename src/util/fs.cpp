#include "util/fs.hpp"
#include "util/huge_allocator.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <dirent.h>
#include <fcntl.h>
#include <optional>
#include <pwd.h>
#include <random>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace zsyncctl::util {

Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes) {
    // O_NONBLOCK: opening a FIFO (planted in a --root image) must not wait for a writer forever.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return fail(errno_error(path.string(), errno));
    }
    return read_fd(fd, path.string(), max_bytes);
}

Result<std::string> read_fd(int fd, const std::string& what, std::size_t max_bytes) {
    struct stat st {};
    if (::fstat(fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISDIR(st.st_mode))) {
        ::close(fd);
        return fail(ErrorKind::io, what + ": not a regular file");
    }
    return read_regular_fd(fd, what, max_bytes);
}

Result<std::string> read_regular_fd(int fd, const std::string& what, std::size_t max_bytes) {
    return read_fd_to_end(fd, what, max_bytes, ReadEnd::eof);
}

Result<std::string> read_fd_to_end(int fd, const std::string& what, std::size_t max_bytes, ReadEnd end) {
    std::string data;
    char buffer[16384];
    while (true) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            int err = errno;
            ::close(fd);
            return fail(errno_error(what, err));
        }
        if (n == 0) {
            break;
        }
        if (data.size() + static_cast<std::size_t>(n) > max_bytes) {
            ::close(fd);
            return fail(ErrorKind::io, what + ": file larger than " + std::to_string(max_bytes) + " bytes");
        }
        data.append(buffer, static_cast<std::size_t>(n));
        if (end == ReadEnd::short_read && static_cast<std::size_t>(n) < sizeof buffer) {
            break;
        }
    }
    ::close(fd);
    return data;
}

Result<void> write_all(int fd, std::string_view data, std::string_view what) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return fail(errno_error(what, n < 0 ? errno : EIO));
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return ok();
}

Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view data) {
    std::error_code ec;
    if (path.has_parent_path()) {
        std::filesystem::create_directories(path.parent_path(), ec);
        if (ec) {
            return fail(errno_error(path.parent_path().string(), ec.value()));
        }
    }
    std::string tmp = temp_path_beside(path);
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        return fail(errno_error(tmp, errno));
    }
    if (auto written = write_all(fd, data, tmp); !written) {
        ::close(fd);
        ::unlink(tmp.c_str());
        return written;
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return fail(errno_error(tmp, err));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return fail(errno_error(path.string(), err));
    }
    return ok();
}

Result<std::filesystem::path> cache_dir() {
    std::optional<std::filesystem::path> dir;
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && xdg[0] == '/') {
        dir = std::filesystem::path(xdg) / "zsyncctl";
    } else if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') {
        dir = std::filesystem::path(home) / ".cache" / "zsyncctl";
    }
    if (::geteuid() == 0 && (!dir || !root_may_use(*dir))) {
        // Root with a user's HOME or XDG_CACHE_HOME (sudo -E): that user could point our writes anywhere.
        return std::filesystem::path("/var/cache/zsyncctl");
    }
    if (!dir) {
        return fail(ErrorKind::not_found, "no cache directory: neither XDG_CACHE_HOME nor HOME is set",
                    "export XDG_CACHE_HOME=\"$HOME/.cache\"");
    }
    return *dir;
}

UniqueFd::UniqueFd(UniqueFd&& other) noexcept : m_fd(other.release()) {}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = other.release();
    }
    return *this;
}

UniqueFd::~UniqueFd() {
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

int UniqueFd::release() {
    int fd = m_fd;
    m_fd = -1;
    return fd;
}

namespace {

std::vector<std::string> path_components(const std::filesystem::path& path) {
    std::vector<std::string> parts;
    for (const auto& part : path.lexically_normal()) {
        std::string text = part.string();
        if (text.empty() || text == "/" || text == ".") {
            continue;
        }
        parts.push_back(std::move(text));
    }
    return parts;
}

bool writable_by_others(const struct stat& st) {
    return (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
}

std::string owner_text(uid_t uid) {
    return "owned by uid " + std::to_string(uid);
}

} // namespace

namespace {

enum class Links { refused, root_s_allowed };

// The walk of root_may_use and root_may_trust over `path` as written: every existing component root's and
// not writable by group or others (sticky on the way is fine); a missing rest is fine unless the last
// existing directory lets others create names in it. A symlink on the way is refused, or allowed when
// root's (root_may_trust checks where it leads apart).
bool root_owned_walk(const std::filesystem::path& path, Links links) {
    if (!path.is_absolute()) {
        return false;
    }
    auto parts = path_components(path);
    std::string so_far;
    bool parent_shared = false; // the last existing directory lets others create names in it
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts[i] == "..") {
            return false;
        }
        so_far += "/" + parts[i];
        struct stat st {};
        if (::lstat(so_far.c_str(), &st) != 0) {
            // Root creates the rest, unless another user could create it first.
            return errno == ENOENT && !parent_shared;
        }
        if (st.st_uid != 0 || (S_ISLNK(st.st_mode) && links == Links::refused)) {
            return false;
        }
        if (S_ISLNK(st.st_mode)) {
            parent_shared = false;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            return true; // root's own file: nothing can be redirected, writing under it just fails
        }
        bool last = i + 1 == parts.size();
        if (writable_by_others(st) && (last || (st.st_mode & S_ISVTX) == 0)) {
            return false;
        }
        parent_shared = writable_by_others(st);
    }
    return true;
}

} // namespace

bool root_may_use(const std::filesystem::path& path) {
    return root_owned_walk(path, Links::refused);
}

bool root_may_trust(const std::filesystem::path& path) {
    if (!path.is_absolute()) {
        return false;
    }
    std::error_code ec;
    std::filesystem::path real = std::filesystem::canonical(path, ec);
    if (ec) {
        return root_may_use(path); // missing: only as trustworthy as a place root would create
    }
    return root_owned_walk(path, Links::root_s_allowed) && root_owned_walk(real, Links::root_s_allowed);
}

EnvironmentChanges root_child_environment() {
    EnvironmentChanges changes;
    if (::geteuid() != 0) {
        return changes;
    }
    if (const char* home = std::getenv("HOME"); home != nullptr && !root_may_trust(home)) {
        std::string own = "/";
        // getpwuid_r: a spawn may run on any thread.
        struct passwd entry {};
        struct passwd* found = nullptr;
        std::vector<char> buffer(16384);
        if (::getpwuid_r(0, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr &&
            found->pw_dir != nullptr && found->pw_dir[0] == '/' && root_may_trust(found->pw_dir)) {
            own = found->pw_dir;
        }
        changes.set.emplace_back("HOME", std::move(own));
    }
    const bool users_environment = !changes.set.empty(); // HOME was another user's: sudo -E
    for (const char* name :
         {"XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR"}) {
        if (const char* value = std::getenv(name); value != nullptr && !root_may_trust(value)) {
            changes.unset.emplace_back(name);
        }
    }
    // Variables naming files or directories an interpreter or a manager loads code or settings from (a
    // colon-separated list for the *PATH/*LIB ones): dropped when any entry is relative or refused by
    // root_may_trust. Python imports a sitecustomize.py from PYTHONPATH, node preloads from NODE_OPTIONS.
    for (const char* name : {"PYTHONPATH", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONSTARTUP", "NODE_PATH",
                             "PERL5LIB", "PERLLIB", "RUBYLIB", "LD_LIBRARY_PATH", "LD_PRELOAD", "BASH_ENV",
                             "ENV", "PIP_CONFIG_FILE", "GEMRC", "NPM_CONFIG_USERCONFIG",
                             "npm_config_userconfig", "NPM_CONFIG_GLOBALCONFIG", "npm_config_globalconfig"}) {
        const char* value = std::getenv(name);
        if (value == nullptr) {
            continue;
        }
        std::string list = value;
        std::replace(list.begin(), list.end(), ' ', ':'); // LD_PRELOAD also takes spaces
        bool refused = false;
        for (std::string_view entry : split(list, ':')) {
            refused = refused || entry.empty() || !root_may_trust(std::string(entry));
        }
        if (refused) {
            changes.unset.emplace_back(name);
        }
    }
    // PATH keeps only the directories root may trust: a program of the same name in a directory another
    // user controls (first on a PATH sudo -E or --preserve-env kept) would be run instead of the real one.
    if (const char* path = std::getenv("PATH"); path != nullptr) {
        std::string kept;
        bool dropped = false;
        for (std::string_view entry : split(path, ':')) {
            if (entry.empty() || !root_may_trust(std::string(entry))) {
                dropped = true;
                continue;
            }
            kept += (kept.empty() ? "" : ":") + std::string(entry);
        }
        if (dropped) {
            changes.set.emplace_back(
                "PATH", kept.empty() ? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" : kept);
        }
    }
    // Options that load code, which cannot be checked entry by entry: dropped with another user's HOME.
    if (users_environment) {
        for (const char* name : {"NODE_OPTIONS", "RUBYOPT", "PERL5OPT"}) {
            if (std::getenv(name) != nullptr) {
                changes.unset.emplace_back(name);
            }
        }
    }
    return changes;
}

Result<UniqueFd> open_private_dir(const std::filesystem::path& path, CreateMissing create, DirOwner owner) {
    if (!path.is_absolute()) {
        return fail(ErrorKind::invalid_input, path.string() + ": not an absolute path");
    }
    const uid_t euid = ::geteuid();
    const bool strict = euid == 0;
    UniqueFd fd(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) {
        return fail(errno_error("/", errno));
    }
    auto parts = path_components(path);
    std::string so_far;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::string& name = parts[i];
        so_far += "/" + name;
        if (name == "..") {
            return fail(ErrorKind::invalid_input, so_far + ": '..' in a private directory path");
        }
        const bool last = i + 1 == parts.size();
        // O_PATH on the way: a directory we may only traverse (a home of mode 0711) is still walked.
        const int flags = (last ? O_RDONLY : O_PATH) | O_DIRECTORY | O_CLOEXEC | (strict ? O_NOFOLLOW : 0);
        int next = ::openat(fd.get(), name.c_str(), flags);
        if (next < 0 && errno == ENOENT && create == CreateMissing::yes) {
            if (::mkdirat(fd.get(), name.c_str(), 0700) != 0 && errno != EEXIST) {
                return fail(errno_error("cannot create " + so_far, errno));
            }
            next = ::openat(fd.get(), name.c_str(), flags);
        }
        if (next < 0) {
            int err = errno;
            struct stat lst {};
            if (strict && (err == ELOOP || err == ENOTDIR) &&
                ::fstatat(fd.get(), name.c_str(), &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode)) {
                return fail(ErrorKind::permission_denied, so_far + " is a symlink (refused as root)");
            }
            return fail(errno_error(so_far, err));
        }
        fd = UniqueFd(next);
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) {
            return fail(errno_error(so_far, errno));
        }
        if (!last) {
            if (strict && st.st_uid != 0) {
                return fail(ErrorKind::permission_denied,
                            so_far + " is " + owner_text(st.st_uid) + " (refused as root)");
            }
            if (strict && writable_by_others(st) && (st.st_mode & S_ISVTX) == 0) {
                return fail(ErrorKind::permission_denied,
                            so_far + " is writable by group or others (refused as root)");
            }
            continue;
        }
        bool owner_ok = st.st_uid == euid || (owner == DirOwner::self_or_root && st.st_uid == 0);
        if (!owner_ok) {
            return fail(ErrorKind::permission_denied,
                        so_far + " is " + owner_text(st.st_uid) + ", not by uid " + std::to_string(euid));
        }
        // Other users' group-writable directories are their own choice (user private groups, umask 002).
        if ((st.st_mode & S_IWOTH) != 0 || (strict && (st.st_mode & S_IWGRP) != 0)) {
            return fail(ErrorKind::permission_denied, so_far + " is writable by group or others");
        }
    }
    return fd;
}

Result<UniqueFd> open_dir_to_write(const std::filesystem::path& path) {
    const std::string text = path.string();
    if (text.empty()) {
        return fail(ErrorKind::invalid_input, "no directory given");
    }
    const bool as_root = ::geteuid() == 0;
    // The components still to walk, the next one at the back; a symlink's target is pushed in front of
    // the rest.
    std::vector<std::string> pending;
    auto push_components = [&pending](std::string_view p) {
        std::vector<std::string> parts;
        for (std::string_view part : split(p, '/')) {
            if (!part.empty() && part != ".") {
                parts.emplace_back(part);
            }
        }
        pending.insert(pending.end(), parts.rbegin(), parts.rend());
    };
    std::string walked = text.front() == '/' ? "/" : ".";
    UniqueFd fd(::open(walked.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) {
        return fail(errno_error(walked, errno));
    }
    push_components(text);
    int links = 0;
    while (!pending.empty()) {
        std::string name = std::move(pending.back());
        pending.pop_back();
        std::string here = walked == "/" ? "/" + name : walked + "/" + name;
        struct stat st {};
        if (::fstatat(fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            return fail(errno_error(here, errno));
        }
        if (S_ISLNK(st.st_mode)) {
            if (as_root) {
                struct stat dir {};
                if (::fstat(fd.get(), &dir) != 0) {
                    return fail(errno_error(walked, errno));
                }
                bool replaceable = dir.st_uid != 0 ||
                                   ((dir.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (dir.st_mode & S_ISVTX) == 0);
                if (st.st_uid != 0 || replaceable) {
                    return fail(
                        ErrorKind::invalid_input,
                        here + " is a symlink " +
                            (st.st_uid != 0 ? owner_text(st.st_uid)
                                            : "in a directory another user can change") +
                            ": as root, zsyncctl does not write through a link another user controls");
                }
            }
            if (++links > 40) {
                return fail(errno_error(here, ELOOP));
            }
            std::string target(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 4096) + 1, '\0');
            ssize_t n = ::readlinkat(fd.get(), name.c_str(), target.data(), target.size());
            if (n < 0) {
                return fail(errno_error(here, errno));
            }
            target.resize(static_cast<std::size_t>(n));
            if (target.empty()) {
                return fail(errno_error(here, ENOENT));
            }
            if (target.front() == '/') {
                UniqueFd top(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
                if (top.get() < 0) {
                    return fail(errno_error("/", errno));
                }
                fd = std::move(top);
                walked = "/";
            }
            push_components(target);
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            return fail(errno_error(here, ENOTDIR));
        }
        // O_NOFOLLOW: a directory swapped for a symlink after the fstatat above is refused, not followed.
        UniqueFd next(::openat(fd.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (next.get() < 0) {
            return fail(errno_error(here, errno == ELOOP ? ENOTDIR : errno));
        }
        fd = std::move(next);
        walked = std::move(here);
    }
    return fd;
}

Result<UniqueFd> create_file_at(int dir_fd, const std::string& name, mode_t mode) {
    int fd = ::openat(dir_fd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        return fail(errno_error("cannot create " + name, errno));
    }
    return UniqueFd(fd);
}

Result<UniqueFd> open_owned_file_at(int dir_fd, const std::string& name) {
    UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
    if (fd.get() < 0) {
        return fail(errno_error("cannot open " + name, errno));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        return fail(errno_error(name, errno));
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || st.st_nlink != 1) {
        return fail(ErrorKind::permission_denied, name + ": not a regular file of ours (refused)");
    }
    return fd;
}

Result<UniqueFd> open_trusted_file_at(int dir_fd, const std::string& name) {
    UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (fd.get() < 0) {
        return fail(errno_error(name, errno));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        return fail(errno_error(name, errno));
    }
    if (!S_ISREG(st.st_mode) || (st.st_uid != ::geteuid() && st.st_uid != 0) || writable_by_others(st)) {
        return fail(ErrorKind::permission_denied,
                    name + ": not a regular file that only we or root can write");
    }
    return fd;
}

std::string random_token() {
    unsigned char bytes[8] = {};
    if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
        std::random_device rd;
        for (auto& b : bytes) {
            b = static_cast<unsigned char>(rd());
        }
    }
    static const char* const k_hex = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        out += k_hex[b >> 4];
        out += k_hex[b & 15];
    }
    return out;
}

std::string temp_path_beside(const std::filesystem::path& file) {
    return file.string() + ".tmp." + std::to_string(::getpid()) + "." + random_token();
}

Result<void> write_file_atomic_at(int dir_fd, const std::string& name, std::string_view data) {
    std::string tmp = "." + name + ".tmp-" + random_token();
    auto created = create_file_at(dir_fd, tmp, 0644);
    if (!created) {
        return fail(std::move(created).error());
    }
    UniqueFd fd = std::move(*created);
    if (auto written = write_all(fd.get(), data, tmp); !written) {
        ::unlinkat(dir_fd, tmp.c_str(), 0);
        return written;
    }
    // 0644 whatever the umask: readers require a file that group and others cannot write.
    if (::fchmod(fd.get(), 0644) != 0 || ::fsync(fd.get()) != 0 || ::close(fd.release()) != 0) {
        int err = errno;
        ::unlinkat(dir_fd, tmp.c_str(), 0);
        return fail(errno_error(tmp, err));
    }
    if (::renameat(dir_fd, tmp.c_str(), dir_fd, name.c_str()) != 0) {
        int err = errno;
        ::unlinkat(dir_fd, tmp.c_str(), 0);
        return fail(errno_error(name, err));
    }
    return ok();
}

std::vector<std::pair<std::string, long long>> list_files_at(int dir_fd, std::string_view prefix,
                                                             std::string_view suffix) {
    std::vector<std::pair<std::string, long long>> files;
    int copy = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (copy < 0) {
        return files;
    }
    DIR* dir = ::fdopendir(copy);
    if (dir == nullptr) {
        ::close(copy);
        return files;
    }
    while (const dirent* entry = ::readdir(dir)) {
        std::string_view name(entry->d_name);
        if (name.size() < prefix.size() + suffix.size() || name.substr(0, prefix.size()) != prefix ||
            name.substr(name.size() - suffix.size()) != suffix) {
            continue;
        }
        struct stat st {};
        if (::fstatat(dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        files.emplace_back(std::string(name), static_cast<long long>(st.st_mtime));
    }
    ::closedir(dir);
    std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first > b.first;
    });
    return files;
}

std::size_t prune_files_at(int dir_fd, std::string_view prefix, std::string_view suffix, std::size_t keep,
                           long long max_age_seconds, long long now, std::string_view spare) {
    std::size_t deleted = 0;
    std::size_t kept = spare.empty() ? 0 : 1; // the spared file counts first, wherever it sorts
    for (const auto& [name, mtime] : list_files_at(dir_fd, prefix, suffix)) {
        if (name == spare) {
            continue;
        }
        if (kept < keep && now - mtime <= max_age_seconds) {
            ++kept;
            continue;
        }
        if (::unlinkat(dir_fd, name.c_str(), 0) == 0) {
            ++deleted;
        }
    }
    return deleted;
}

void* detail::map_huge(std::size_t bytes) {
    constexpr std::size_t huge = std::size_t(2) << 20;
    const std::size_t len = (bytes + huge - 1) & ~(huge - 1);
    // One block more than asked, then the unaligned head and the tail cut off.
    void* raw = ::mmap(nullptr, len + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) {
        return nullptr;
    }
    const auto start = reinterpret_cast<std::uintptr_t>(raw);
    const std::uintptr_t aligned = (start + huge - 1) & ~std::uintptr_t(huge - 1);
    if (aligned > start) {
        (void)::munmap(raw, aligned - start);
    }
    const std::uintptr_t tail = start + len + huge - (aligned + len);
    if (tail > 0) {
        (void)::munmap(reinterpret_cast<void*>(aligned + len), tail);
    }
#ifdef MADV_HUGEPAGE
    (void)::madvise(reinterpret_cast<void*>(aligned), len, MADV_HUGEPAGE);
#endif
    return reinterpret_cast<void*>(aligned);
}

void detail::unmap_huge(void* data, std::size_t bytes) {
    constexpr std::size_t huge = std::size_t(2) << 20;
    (void)::munmap(data, (bytes + huge - 1) & ~(huge - 1));
}

void prefault_for_write(void* data, std::size_t bytes) {
#ifdef MADV_POPULATE_WRITE
    static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    if (data == nullptr || bytes < (std::size_t(256) << 10)) {
        return;
    }
    auto begin = (reinterpret_cast<std::uintptr_t>(data) + page - 1) & ~(page - 1);
    auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(page - 1);
#ifdef MADV_HUGEPAGE
    constexpr std::uintptr_t huge = std::uintptr_t(2) << 20;
    auto huge_begin = (reinterpret_cast<std::uintptr_t>(data) + huge - 1) & ~(huge - 1);
    auto huge_end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(huge - 1);
    if (huge_end > huge_begin) {
        (void)::madvise(reinterpret_cast<void*>(huge_begin), huge_end - huge_begin, MADV_HUGEPAGE);
    }
#endif
    if (end > begin) {
        (void)::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
    }
#else
    (void)data;
    (void)bytes;
#endif
}

} // namespace zsyncctl::util
