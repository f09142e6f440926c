#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.hpp"

struct stat;

namespace zsyncctl::util {

/// How a non-host root confines its reads: openat2(RESOLVE_IN_ROOT) where the kernel has it (else the
/// walk), or always the component walk (tests use it to cover the fallback on kernels that have openat2).
enum class Confinement { automatic, component_walk };

/// The one seam through which every read of /etc, /proc, /sys, /usr, /opt, /var, /run and $HOME goes.
///
/// The host root is "/". `--root DIR` (or env ZSYNCCTL_ROOT) makes every absolute path resolve inside DIR
/// as if DIR were "/" (chroot-like): symlinks are followed, but an absolute target starts again at DIR and
/// ".." stops at DIR, so nothing in the image can name a file outside it. A DIR that is the live system
/// ("/" itself, a symlink to it, /proc/1/root in our mount namespace) is the host. Immutable; safe to share
/// between threads.
class Root {
public:
    /// The host root "/".
    Root() = default;
    /// A root at `dir` (made absolute, not validated; see open()); a DIR that is the live system means the
    /// host. A DIR that cannot be opened reads as empty (every read fails with not_found).
    explicit Root(std::filesystem::path dir, Confinement confinement = Confinement::automatic);

    /// A root at `dir`, validated: fails with invalid_input when `dir` is missing or not a directory.
    static Result<Root> open(std::filesystem::path dir);

    /// The root named by `option` if given, else env ZSYNCCTL_ROOT, else the host; fails like open().
    static Result<Root> from_option_or_env(const std::optional<std::string>& option);

    /// True when this is the live system (no redirection).
    bool is_host() const { return m_dir.empty(); }
    /// The host's environment variable `name`, or empty when unset or when this is an image (an image has
    /// no environment of its own, and the host's describes the host).
    std::string host_env(const char* name) const;
    /// The root directory ("/" for the host).
    std::filesystem::path dir() const { return is_host() ? std::filesystem::path("/") : m_dir; }

    /// Where a logical path led: the host path of the object (symlinks already followed inside the root,
    /// so the path holds no symlink below DIR when it was walked), whether every component existed, and
    /// whether a symlink was followed on the way.
    struct Resolution {
        std::filesystem::path path;
        bool complete = false;
        bool through_link = false;
    };

    /// Walks `absolute` inside the root component by component (see the class comment). For a missing
    /// component, `path` is where it would be. When the walk gives up on a symlink (a loop, a target it
    /// cannot read), `path` is empty: any host path would lead through that link, which the host's open()
    /// follows out of the root. Relative paths, and every path for the host, come back unchanged (complete,
    /// as far as the walk knows). Never fails.
    Resolution walk(std::string_view absolute) const;

    /// The host path for an absolute path inside the root (walk(absolute).path: empty when the walk gave
    /// up on a symlink); relative paths are returned unchanged. Prefer read()/open_file(), which cannot be
    /// raced by a changing image.
    std::filesystem::path resolve(std::string_view absolute) const;

    /// Opens `absolute` inside the root with `flags` (O_CLOEXEC is added; O_CREAT is not supported).
    /// Returns the descriptor, which the caller closes. Fails with not_found, permission_denied or io
    /// (errno of the failing step; ELOOP after 40 symlinks).
    Result<int> open_file(std::string_view absolute, int flags) const;

    /// Reads a regular file inside the root (errors as util::read_file).
    Result<std::string> read(std::string_view absolute, std::size_t max_bytes = 16u << 20) const;

    /// True when the path exists inside the root (following symlinks, confined).
    bool exists(std::string_view absolute) const;

    /// True when the path is a directory inside the root (resolve(), then followed). Not memoized.
    bool is_directory(std::string_view absolute) const;

    /// $HOME as seen inside this root (the env value resolved into it); nullopt when HOME is unset.
    std::optional<std::filesystem::path> home() const;

    /// This root with a per-run memo: read() and exists() of a path answer from the first reading of it
    /// (same bytes, same error) instead of going to the file system again. Copies share the memo, which is
    /// thread-safe. For one command's snapshot of the machine (doctor), never for a long-lived root.
    Root with_memo() const;

    /// How many read()/exists() calls went to the file system (memoized or not; tests and diagnostics).
    std::size_t memo_misses() const;

    /// lstat(2) of a host path (stat(2) when `follow`), answered from the per-run memo when this root has
    /// one (the same answer, the same errno); 0 on success, else the errno.
    int stat_host(const std::string& host_path, struct ::stat& out, bool follow) const;

private:
    struct Memo;
    std::filesystem::path m_dir;     // empty for the host
    std::shared_ptr<const int> m_fd; // O_PATH descriptor of m_dir; null for the host or when unopenable
    Confinement m_confinement = Confinement::automatic;
    std::shared_ptr<Memo> m_memo; // null unless with_memo()

    Result<std::string> read_uncached(std::string_view absolute, std::size_t max_bytes) const;
    bool exists_uncached(std::string_view absolute) const;
};

/// True when `dir` names the live system's "/" (same device and inode as "/"). False when it cannot be
/// examined.
bool is_live_root(const std::filesystem::path& dir);

} // namespace zsyncctl::util
