#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "core/errors.hpp"
#include "core/process_internal.hpp"
#include "platform/executable.hpp"
#include "util/fs.hpp"

extern char** environ;

namespace zsyncctl::core::process_detail {

std::string signal_name(int sig) {
    switch (sig) {
    case SIGTERM:
        return "SIGTERM";
    case SIGKILL:
        return "SIGKILL";
    case SIGINT:
        return "SIGINT";
    case SIGHUP:
        return "SIGHUP";
    case SIGSEGV:
        return "SIGSEGV";
    case SIGABRT:
        return "SIGABRT";
    case SIGPIPE:
        return "SIGPIPE";
    default:
        return "signal " + std::to_string(sig);
    }
}

bool ignored_now(int sig) {
    struct sigaction current {};
    return ::sigaction(sig, nullptr, &current) == 0 && (current.sa_flags & SA_SIGINFO) == 0 &&
           current.sa_handler == SIG_IGN;
}

util::Error spawn_errno_error(std::string_view what, int err) {
    if (err == EMFILE || err == ENFILE || err == EAGAIN || err == ENOMEM) {
        return runtime_error(RuntimeErrc::SystemResourceExhausted,
                             std::string(what) + ": " + std::strerror(err));
    }
    return util::errno_error(what, err);
}

util::Result<PipePair> make_pipe(bool child_reads, int min_fd) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        return util::fail(spawn_errno_error("pipe2", errno));
    }
    Fd read_end(p[0]);
    Fd write_end(p[1]);
    PipePair pair;
    pair.parent = child_reads ? std::move(write_end) : std::move(read_end);
    Fd& child = child_reads ? read_end : write_end;
    int moved = fcntl(child.get(), F_DUPFD_CLOEXEC, min_fd);
    if (moved < 0) {
        return util::fail(spawn_errno_error("fcntl(F_DUPFD_CLOEXEC)", errno));
    }
    pair.child = Fd(moved);
    child.reset();
    int flags = fcntl(pair.parent.get(), F_GETFL);
    fcntl(pair.parent.get(), F_SETFL, flags | O_NONBLOCK);
    return pair;
}

util::Result<Terminal> open_terminal(const TerminalSpec& spec) {
    Terminal t;
    t.master = Fd(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (t.master.get() < 0) {
        return util::fail(spawn_errno_error("posix_openpt", errno));
    }
    char name[128];
    if (grantpt(t.master.get()) != 0 || unlockpt(t.master.get()) != 0 ||
        ptsname_r(t.master.get(), name, sizeof name) != 0) {
        return util::fail(spawn_errno_error("cannot set up a pseudo-terminal", errno));
    }
    t.slave_path = name;
    t.slave = Fd(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (t.slave.get() < 0) {
        return util::fail(spawn_errno_error("cannot open " + t.slave_path, errno));
    }
    winsize size{};
    size.ws_row = spec.rows;
    size.ws_col = spec.cols;
    ::ioctl(t.master.get(), TIOCSWINSZ, &size);
    int flags = fcntl(t.master.get(), F_GETFL);
    fcntl(t.master.get(), F_SETFL, flags | O_NONBLOCK);
    return t;
}

namespace {

/// As root, what keeps another user's HOME, XDG directories and PATH entries from children (decided once,
/// on the first spawn).
const util::EnvironmentChanges& root_changes() {
    static const util::EnvironmentChanges k_changes = util::root_child_environment();
    return k_changes;
}

/// The value of PATH after root's changes and the spec's overrides.
std::string effective_path(const ProcessSpec& spec) {
    std::optional<std::string> path;
    if (const char* p = std::getenv("PATH"); p != nullptr) {
        path = p;
    }
    for (const auto& [name, value] : root_changes().set) {
        if (name == "PATH") {
            path = value;
        }
    }
    for (const auto& name : spec.env_unset) {
        if (name == "PATH") {
            path.reset();
        }
    }
    for (const auto& [name, value] : spec.env_set) {
        if (name == "PATH") {
            path = value;
        }
    }
    return path.value_or(std::string(platform::k_default_path));
}

} // namespace

util::Result<std::string> resolve_executable(const ProcessSpec& spec) {
    return platform::find_executable(spec.argv.front(), effective_path(spec));
}

std::vector<std::string> build_environment(const ProcessSpec& spec) {
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        env.emplace_back(*e);
    }
    auto erase_name = [&](const std::string& name) {
        std::erase_if(env, [&](const std::string& entry) {
            return entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
                   entry[name.size()] == '=';
        });
    };
    // As root, never another user's HOME, XDG directories or PATH entries; the spec's own changes come
    // after.
    const util::EnvironmentChanges& as_root = root_changes();
    auto apply = [&](const std::vector<std::string>& unset,
                     const std::vector<std::pair<std::string, std::string>>& set) {
        for (const auto& name : unset) {
            erase_name(name);
        }
        for (const auto& [name, value] : set) {
            erase_name(name);
            env.push_back(name + "=" + value);
        }
    };
    apply(as_root.unset, as_root.set);
    apply(spec.env_unset, spec.env_set);
    return env;
}

ssize_t write_no_sigpipe(int fd, const char* data, std::size_t size) {
    sigset_t pipe_set;
    sigset_t old_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    bool was_pending = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
    ssize_t n = ::write(fd, data, size);
    int err = errno;
    if (n < 0 && err == EPIPE && !was_pending) {
        timespec zero{};
        while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
    errno = err;
    return n;
}

} // namespace zsyncctl::core::process_detail
