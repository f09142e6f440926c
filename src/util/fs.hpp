#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

#include "util/result.hpp"

namespace zsyncctl::util {

/// Reads a whole file; fails with not_found/permission_denied/io, or io when it exceeds `max_bytes`.
Result<std::string> read_file(const std::filesystem::path& path, std::size_t max_bytes = 64u << 20);

/// Reads everything from `fd` (taken over and closed), naming it `what` in errors; fails like read_file.
Result<std::string> read_fd(int fd, const std::string& what, std::size_t max_bytes = 64u << 20);

/// read_fd for a descriptor the caller already fstat'ed as a regular file (no second fstat).
Result<std::string> read_regular_fd(int fd, const std::string& what, std::size_t max_bytes);

/// Makes the whole pages inside [data, data + bytes) present and writable with one madvise
/// (MADV_POPULATE_WRITE, Linux 5.14) before a large buffer is filled, instead of one page fault per page as
/// it fills (a fault costs ~10 us in a VM with shadow page tables). Its 2 MiB-aligned interior, if any, is
/// first marked MADV_HUGEPAGE: in such a VM even a populated 4 KiB page traps once on first touch (~6 us
/// against ~12 us unpopulated, measured here), a transparent huge page once per 2 MiB (64 pages: ~120 us
/// against ~800 us). Below 256 KiB, or where the kernel lacks it, nothing is done; the buffer is never
/// changed. Never fails.
void prefault_for_write(void* data, std::size_t bytes);

/// How read_fd_to_end stops: at EOF (read() returns 0), or also after a read shorter than its buffer
/// (kernel files produced whole by their first read: KernelFileRead::one_read).
enum class ReadEnd { eof, short_read };

/// The one read loop of read_regular_fd and read_kernel_fd: reads `fd` in 16 KiB chunks until `end`,
/// retrying EINTR, and closes it; io error beyond `max_bytes`, the errno error of a failed read.
Result<std::string> read_fd_to_end(int fd, const std::string& what, std::size_t max_bytes, ReadEnd end);

/// The one write loop: writes all of `data` to `fd`, retrying EINTR and short writes. Fails with the errno
/// error (named `what`) of the write that failed; EIO for a write that wrote nothing.
Result<void> write_all(int fd, std::string_view data, std::string_view what);

/// Writes `data` to `path` atomically: a temporary file in the same directory, fsync, then rename.
/// Creates missing parent directories. Fails with the errno of the step that failed.
Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view data);

/// The per-user cache directory for zsyncctl: $XDG_CACHE_HOME/zsyncctl, else $HOME/.cache/zsyncctl.
/// As root, a location that another user could redirect (a symlink on the way, a directory owned by
/// someone else or writable by others without the sticky bit, as `sudo -E` gives) is replaced by
/// /var/cache/zsyncctl. Fails with not_found when neither variable is set (and we are not root).
Result<std::filesystem::path> cache_dir();

/// True when root may read or run what `path` leads to: it is absolute, and every directory on the way as
/// written and where it really leads (symlinks resolved) is root's and not writable by group or others
/// (sticky on the way is fine); a symlink on the way is root's (/bin -> usr/bin). A missing path: as
/// root_may_use. Never fails.
bool root_may_trust(const std::filesystem::path& path);

/// Environment changes for the programs zsyncctl starts.
struct EnvironmentChanges {
    std::vector<std::pair<std::string, std::string>> set;
    std::vector<std::string> unset;
};

/// What keeps the programs root starts out of another user's files (`sudo -E` keeps the user's HOME and
/// XDG_* directories; dpkg then reads ~/.dpkg.cfg, npm ~/.npmrc, pip its pip.conf, and they write
/// root-owned files there). As root, with root_may_trust as the judge: a HOME it refuses (or an empty or
/// relative one) becomes root's home directory from the password database ("/" when that is refused too
/// or unknown); such an XDG_CONFIG_HOME, XDG_CACHE_HOME, XDG_DATA_HOME, XDG_STATE_HOME or XDG_RUNTIME_DIR
/// is removed; PATH keeps only the directories it accepts, in order (a program of the same name in a
/// user's directory first on PATH would run instead of the manager); a variable naming where code or
/// settings are loaded from (PYTHONPATH, NODE_PATH, PERL5LIB, RUBYLIB, LD_PRELOAD, LD_LIBRARY_PATH,
/// BASH_ENV, PIP_CONFIG_FILE, GEMRC, NPM_CONFIG_USERCONFIG, ...) with an entry that is relative or refused
/// is removed; with another user's HOME, so are NODE_OPTIONS, RUBYOPT and PERL5OPT. Not root, or nothing of
/// another user's: no changes. Never fails.
EnvironmentChanges root_child_environment();

/// An owned file descriptor, closed when the object goes away. Not thread-safe (one owner).
class UniqueFd {
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : m_fd(fd) {}
    UniqueFd(UniqueFd&& other) noexcept;
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd();

    /// The descriptor, or -1.
    int get() const { return m_fd; }
    /// Gives the descriptor up without closing it.
    int release();

private:
    int m_fd = -1;
};

/// Whether open_private_dir creates what is missing.
enum class CreateMissing { yes, no };

/// Who may own the directory open_private_dir returns.
enum class DirOwner {
    self,         // euid: the directory is written to
    self_or_root, // euid or root: the directory is only read
};

/// True when `path` can be used as root without another user being able to redirect it: every existing
/// component is a real directory (no symlink) owned by root and not writable by group/others unless
/// sticky (the last one: not writable by others at all). Missing trailing components are fine (root
/// creates them). Never fails; false for a relative path.
bool root_may_use(const std::filesystem::path& path);

/// Opens the directory `path` (absolute) component by component with O_NOFOLLOW and returns its
/// descriptor, creating missing components (mode 0700) when asked. As root (strict) no component may be a
/// symlink and every one must be owned by root and not writable by group/others unless sticky; for other
/// users symlinks are followed (the user's own choice). The directory itself must be owned by `owner` and
/// not writable by others (nor by its group, as root). Fails with permission_denied naming the component and
/// the reason, or with the errno of the step that failed.
Result<UniqueFd> open_private_dir(const std::filesystem::path& path, CreateMissing create,
                                  DirOwner owner = DirOwner::self);

/// Opens the directory `path` to create files in, a component at a time, so that the directory returned
/// (an O_PATH descriptor for the *at calls) is the one the walk checked; a relative path starts at the
/// working directory. As root, a symlink on the way is followed only when root owns it and no other user
/// can replace it (it sits in a directory of root's that group and others cannot write, or that is
/// sticky); any other symlink fails with invalid_input (refused) naming it and its owner, because that user
/// could point it anywhere (root writes *into* another user's directories, never *through* their links).
/// Other users follow every symlink (their own choice). At most 40 symlinks. Fails with the errno of the
/// step that failed otherwise (ENOENT, ENOTDIR, ELOOP, EACCES).
Result<UniqueFd> open_dir_to_write(const std::filesystem::path& path);

/// Creates the new regular file `name` (one component) in the directory `dir_fd` with
/// O_CREAT|O_EXCL|O_NOFOLLOW and `mode`: a planted file or symlink of that name is never opened (EEXIST).
/// Fails with the errno.
Result<UniqueFd> create_file_at(int dir_fd, const std::string& name, mode_t mode = 0600);

/// Opens the regular file `name` in `dir_fd` for reading and writing, creating it (mode 0600) when
/// missing, never through a symlink; fails with permission_denied when it is not a regular file owned by
/// euid with a single link, else with the errno.
Result<UniqueFd> open_owned_file_at(int dir_fd, const std::string& name);

/// Opens the regular file `name` in `dir_fd` read-only without following a symlink and without
/// blocking on a FIFO; fails with permission_denied when it is not a regular file owned by euid or root
/// and not writable by group/others, else with the errno (not_found when missing).
Result<UniqueFd> open_trusted_file_at(int dir_fd, const std::string& name);

/// Writes `data` to `name` in `dir_fd` atomically: a new file with an unpredictable name created with
/// O_EXCL|O_NOFOLLOW, fsync, renameat. Fails with the errno of the step that failed.
Result<void> write_file_atomic_at(int dir_fd, const std::string& name, std::string_view data);

/// 16 hex digits from the kernel's random source, for names another user must not predict.
std::string random_token();

/// A fresh name for a temporary file beside `file` ("FILE.tmp.PID.TOKEN", random_token), for a write that
/// is renamed over `file`. Not std::random_device: its first use probes the CPU (CPUID traps in a VM,
/// ~20 us of a search that saves its index).
std::string temp_path_beside(const std::filesystem::path& file);

/// The regular files (not symlinks) of `dir_fd` whose names start with `prefix` and end with `suffix`,
/// newest first, with their modification times (seconds since the epoch).
std::vector<std::pair<std::string, long long>> list_files_at(int dir_fd, std::string_view prefix,
                                                             std::string_view suffix);

/// Deletes from `dir_fd` the files list_files_at finds that are older than `max_age_seconds` (relative to
/// `now`) or beyond the `keep` newest, never the one named `spare`; returns how many it deleted.
std::size_t prune_files_at(int dir_fd, std::string_view prefix, std::string_view suffix, std::size_t keep,
                           long long max_age_seconds, long long now, std::string_view spare = {});

} // namespace zsyncctl::util
