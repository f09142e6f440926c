#pragma once
// Private to src/core/process*.cpp: the pieces the spawn, reaper and child files share. The public
// interface is core/process.hpp.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <unistd.h>

#include "core/event_loop.hpp"
#include "core/future.hpp"
#include "core/process.hpp"
#include "util/result.hpp"
#include "util/unique_function.hpp"

namespace zsyncctl::core {

namespace detail {

/// The one place that binds a ProcessControl to a child and unbinds it (loop thread).
struct ProcessControlBinder {
    static void bind(ProcessControl& control, pid_t pid, bool whole_group, int terminal_fd) {
        control.m_pid = pid;
        control.m_whole_group = whole_group;
        control.m_terminal_fd = terminal_fd;
    }
    static void clear_pid(ProcessControl& control) { control.m_pid = 0; }
    static void clear_terminal(ProcessControl& control) { control.m_terminal_fd = -1; }
};

} // namespace detail

namespace process_detail {

using Clock = std::chrono::steady_clock;
constexpr std::size_t k_read_chunk = 64 * 1024;
constexpr std::size_t k_max_line = 1U << 20;

/// "SIGTERM", "SIGKILL", ..., else "signal N".
std::string signal_name(int sig);

/// Whether `sig`'s disposition in this process is SIG_IGN right now (false when it cannot be read). For a
/// stop signal under the SignalMonitor that means: ignored by whoever started us.
bool ignored_now(int sig);

/// Owns one fd.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : m_fd(fd) {}
    Fd(Fd&& o) noexcept : m_fd(std::exchange(o.m_fd, -1)) {}
    Fd& operator=(Fd&& o) noexcept {
        if (this != &o) {
            reset(std::exchange(o.m_fd, -1));
        }
        return *this;
    }
    ~Fd() { reset(); }
    int get() const { return m_fd; }
    void reset(int fd = -1) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = fd;
    }

private:
    int m_fd = -1;
};

/// One output of a child as the parent reads it (stdout, stderr, an extra fd or the terminal's master):
/// the tail kept for the result, what was dropped before it, and the split into lines for the callback.
/// Loop thread only.
struct OutputStream {
    int child_fd = 1;
    Fd fd;
    EventLoop::WatchId watch = 0;
    LineCallback on_line;
    /// Set for the terminal's master side: raw chunks go here too, and lines lose the terminal's '\r'.
    bool terminal = false;
    util::UniqueFunction<void(std::string_view)> on_raw;
    std::string captured;
    std::uint64_t dropped = 0;
    std::string partial;
    bool open = false;

    /// Takes a chunk read from the child: keeps the last `capture_limit` bytes (0: none, all counted as
    /// dropped), passes the chunk to on_raw, and each complete line (a piece of k_max_line bytes when a
    /// line runs longer) to on_line.
    void consume(std::string_view data, std::size_t capture_limit);
    /// At the end of the stream: the last line, when it had no '\n', to on_line.
    void flush_partial();
};

/// An errno error for a spawn step; resource shortages are SystemResourceExhausted.
util::Error spawn_errno_error(std::string_view what, int err);

/// A pipe whose child end is moved to an fd number above `min_fd`, so that dup2 to any target fd in
/// the child never hits another pipe's child end (and never is a same-number no-op that keeps CLOEXEC).
struct PipePair {
    Fd parent;
    Fd child;
};

/// Creates a PipePair (the parent end non-blocking); fails with io/SystemResourceExhausted.
util::Result<PipePair> make_pipe(bool child_reads, int min_fd);

/// A new pseudo-terminal: the master (non-blocking) and the slave, both close-on-exec, and the slave's
/// path for the child to open.
struct Terminal {
    Fd master;
    Fd slave;
    std::string slave_path;
};

/// Opens a Terminal of the spec's size; fails with io/SystemResourceExhausted.
util::Result<Terminal> open_terminal(const TerminalSpec& spec);

/// argv[0] as a path to execute: itself when it contains '/', else the first executable match in PATH.
util::Result<std::string> resolve_executable(const ProcessSpec& spec);

/// Our environment with the spec's overrides (unset first, then set), as NAME=VALUE strings.
std::vector<std::string> build_environment(const ProcessSpec& spec);

/// Writes without letting SIGPIPE kill the process: the signal is blocked on this thread for the write
/// and a pending one caused by it is consumed before unblocking.
ssize_t write_no_sigpipe(int fd, const char* data, std::size_t size);

/// One per loop that has SIGCHLD-scheme children: watches its hub slot and lets every child on that loop
/// check its own pid. The loop owns it (through its watch callback) and it owns its children's checks,
/// so dropping the loop drops (kills and reaps) the children; it unwatches itself when the last check
/// goes. Loop thread only (the registry is shared by loops on different threads).
class SigchldWatcher : public std::enable_shared_from_this<SigchldWatcher> {
public:
    /// The watcher of `loop`, created on first use; nullptr when every hub slot is taken.
    static std::shared_ptr<SigchldWatcher> for_loop(EventLoop& loop);

    ~SigchldWatcher();

    /// Calls `check` on every SIGCHLD until remove(id).
    std::uint64_t add(util::UniqueFunction<void()> check);

    /// Drops a check; the last one unwatches, which may destroy this watcher (so it is the last statement).
    void remove(std::uint64_t id);

private:
    explicit SigchldWatcher(EventLoop& loop) : m_loop(loop) {}
    bool init();
    void on_signal();

    EventLoop& m_loop;
    int m_slot = -1;
    int m_read_fd = -1;
    EventLoop::WatchId m_watch = 0;
    std::map<std::uint64_t, std::shared_ptr<util::UniqueFunction<void()>>> m_checks;
    std::uint64_t m_next = 1;
};

/// Records a started child (its process group too when it leads one) until unregister_live_child().
/// Thread-safe.
void register_live_child(pid_t pid, bool whole_group);
/// Forgets a child; called before it is reaped, so a recorded pid is never a recycled one. Thread-safe.
void unregister_live_child(pid_t pid);

/// Forgets a child once it was reaped (until then is_spawned_child() is true for it). Thread-safe.
void forget_spawned_child(pid_t pid);
/// True for a child spawn_process started and has not reaped yet, so a reaper of adopted orphans leaves it
/// alone. Thread-safe.
bool is_spawned_child(pid_t pid);

/// Sends `sig` to every live child (to its group when it leads one). For an exit at once (the signal
/// monitor's escalation), so that no child outlives the process. Thread-safe.
void kill_live_children(int sig);

/// Spawns `spec` and starts watching it on `loop` (see spawn_process); the future fails when it cannot
/// start.
Future<ProcessResult> start_child(EventLoop& loop, ProcessSpec spec, CancellationToken token);

} // namespace process_detail

} // namespace zsyncctl::core
