#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "core/cancellation.hpp"
#include "util/fs.hpp"
#include "util/result.hpp"

namespace zsyncctl::pkg {

/// Where a run's inter-run locks live.
struct LockDir {
    std::filesystem::path path; // empty: no usable directory (runs are not serialized)
    std::string warning;        // why a fallback (or nothing) was taken; empty when the first choice worked
};

/// The lock directory, never the cache (a root-owned, read-only or missing cache must not stop an install):
/// as root /run/lock/zsyncctl, else /run/zsyncctl; for other users $XDG_RUNTIME_DIR/zsyncctl, else
/// /run/lock/zsyncctl-<uid>, else /tmp/zsyncctl-<uid>. Each is created (0700) and must be a directory of
/// ours reached without symlinks as root (util::open_private_dir); a refused one is skipped with a warning.
/// Never fails.
LockDir lock_dir();

/// The name of a lock group's lock for the system at `root_dir`: the group itself for the host ("/"),
/// else the group and a hash of the root's directory ("dpkg@3f2a…"): runs on different roots operate on
/// different package databases (whose own locks live inside each root) and do not wait for each other;
/// runs on the same root do.
std::string lock_group_name(std::string_view group, const std::filesystem::path& root_dir);

/// Holds an exclusive advisory lock for a lock group while alive (flock on `<group>.lock` in a private
/// directory). Not thread-safe; the lock is released when the object goes away.
class LockGroupGuard {
public:
    LockGroupGuard() = default;
    LockGroupGuard(const LockGroupGuard&) = delete;
    LockGroupGuard& operator=(const LockGroupGuard&) = delete;
    LockGroupGuard(LockGroupGuard&& other) noexcept = default;
    LockGroupGuard& operator=(LockGroupGuard&& other) noexcept = default;
    ~LockGroupGuard() = default;

    /// Takes the lock for `group` in `dir` (opened with util::open_private_dir, the file created with
    /// O_NOFOLLOW and required to be a regular file of ours), calling `on_wait` once if another run holds
    /// it, then waiting until it is free or `interrupt` is cancelled (then fails with interrupted). Fails
    /// with permission_denied for a refused directory or file (a planted symlink), else with the errno.
    static util::Result<LockGroupGuard> acquire(const std::filesystem::path& dir, std::string_view group,
                                                const core::CancellationToken& interrupt,
                                                const std::function<void()>& on_wait);

private:
    util::UniqueFd m_fd;
};

/// Bounds for run logs.
struct RunLogLimits {
    std::size_t max_bytes = 8u << 20; // one log stops growing here (a last line says so)
    std::size_t keep = 50;            // logs kept in the directory, newest first
    long long max_age_seconds = 30LL * 24 * 3600;
};

/// One run's log file: `<operation>-<manager>-<UTC second>-<pid>-<random>.log` in the cache's `logs`
/// directory, created with O_EXCL|O_NOFOLLOW (mode 0600) in a directory opened with util::open_private_dir,
/// after older logs are pruned by age and count. The log is optional: when it cannot be opened or written,
/// the run goes on and error() says why. Lines are written straight to the file (nothing is buffered).
/// Not thread-safe.
class RunLog {
public:
    /// Opens a log under util::cache_dir()/logs; never fails (see error()).
    static RunLog open(std::string_view operation, std::string_view manager, RunLogLimits limits = {});
    /// Opens a log in `dir` (created when missing); never fails (see error()).
    static RunLog open_in(const std::filesystem::path& dir, std::string_view operation,
                          std::string_view manager, RunLogLimits limits = {});

    /// True while lines are being written.
    bool enabled() const { return m_fd.get() >= 0 && m_error.empty(); }
    /// The file's path; empty when none was opened.
    const std::string& path() const { return m_path; }
    /// The first failure (opening or writing), empty when none.
    const std::string& error() const { return m_error; }

    /// Appends `text` and a newline; a write error or the size cap stops the log (error() tells).
    void line(std::string_view text);

private:
    util::UniqueFd m_fd;
    std::string m_path;
    std::string m_error;
    std::size_t m_written = 0;
    bool m_capped = false;
    RunLogLimits m_limits;
};

} // namespace zsyncctl::pkg
