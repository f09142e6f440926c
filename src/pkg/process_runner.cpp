#include "pkg/process_runner.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <optional>

#include "util/strings.hpp"

extern char** environ;

namespace zsyncctl::pkg {

namespace {

constexpr std::size_t k_max_line = 64 * 1024;

class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : m_fd(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    Fd& operator=(Fd&& other) noexcept {
        reset(std::exchange(other.m_fd, -1));
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

util::Result<std::array<Fd, 2>> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return util::fail(util::errno_error("pipe", errno));
    }
    return std::array<Fd, 2>{Fd(fds[0]), Fd(fds[1])};
}

bool is_executable_file(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// Splits a stream into lines, keeping the unfinished tail between reads.
struct LineBuffer {
    OutputStream stream;
    std::string pending;

    void feed(std::string_view data, const std::function<void(OutputStream, std::string_view)>& on_line) {
        pending.append(data);
        std::size_t start = 0;
        while (true) {
            auto nl = pending.find('\n', start);
            if (nl == std::string::npos) {
                break;
            }
            std::string_view line(pending.data() + start, nl - start);
            if (!line.empty() && line.back() == '\r') {
                line.remove_suffix(1);
            }
            on_line(stream, line);
            start = nl + 1;
        }
        pending.erase(0, start);
        while (pending.size() >= k_max_line) {
            on_line(stream, std::string_view(pending).substr(0, k_max_line));
            pending.erase(0, k_max_line);
        }
    }

    void flush(const std::function<void(OutputStream, std::string_view)>& on_line) {
        if (!pending.empty()) {
            on_line(stream, pending);
            pending.clear();
        }
    }
};

} // namespace

util::Result<std::string> find_executable(std::string_view name, std::string_view path_env) {
    if (name.empty()) {
        return util::fail(util::ErrorKind::not_found, "empty executable name");
    }
    if (name.find('/') != std::string_view::npos) {
        std::string path(name);
        if (is_executable_file(path)) {
            return path;
        }
        return util::fail(util::ErrorKind::not_found, "'" + path + "' is not an executable file");
    }
    for (std::string_view dir : util::split(path_env, ':')) {
        if (dir.empty()) {
            continue;
        }
        std::string candidate(dir);
        candidate += '/';
        candidate += name;
        if (is_executable_file(candidate)) {
            return candidate;
        }
    }
    return util::fail(util::ErrorKind::not_found, "'" + std::string(name) + "' was not found on PATH");
}

util::Result<int> run_interactive(const std::vector<std::string>& argv) {
    if (argv.empty()) {
        return util::fail(util::ErrorKind::internal, "run_interactive: empty argv");
    }
    const char* path_env = std::getenv("PATH");
    auto exe = find_executable(argv.front(), path_env ? path_env : "/usr/bin:/bin");
    if (!exe) {
        return util::fail(std::move(exe).error());
    }
    std::vector<std::string> copy = argv;
    std::vector<char*> args;
    for (std::string& s : copy) {
        args.push_back(s.data());
    }
    args.push_back(nullptr);
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, exe->c_str(), nullptr, nullptr, args.data(), environ);
    if (rc != 0) {
        return util::fail(util::errno_error("cannot run '" + *exe + "'", rc));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return util::fail(util::errno_error("waitpid", errno));
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

util::Result<RunOutcome> run_process(const RunSpec& spec,
                                     const std::function<void(OutputStream, std::string_view)>& on_line) {
    if (spec.argv.empty()) {
        return util::fail(util::ErrorKind::internal, "run_process: empty argv");
    }
    const char* path_env = std::getenv("PATH");
    auto exe = find_executable(spec.argv.front(), path_env ? path_env : "/usr/bin:/bin");
    if (!exe) {
        return util::fail(std::move(exe).error());
    }

    // Everything the child needs is built before fork: after it, only async-signal-safe calls.
    std::vector<std::string> env_strings;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view entry(*e);
        auto eq = entry.find('=');
        std::string_view key = entry.substr(0, eq);
        bool overridden = false;
        for (const auto& [k, v] : spec.env) {
            overridden = overridden || k == key;
        }
        if (!overridden) {
            env_strings.emplace_back(entry);
        }
    }
    for (const auto& [k, v] : spec.env) {
        env_strings.push_back(k + "=" + v);
    }
    std::vector<char*> envp;
    for (std::string& s : env_strings) {
        envp.push_back(s.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> argv_strings = spec.argv;
    argv_strings.front() = *exe;
    std::vector<char*> argv;
    for (std::string& s : argv_strings) {
        argv.push_back(s.data());
    }
    argv.push_back(nullptr);

    auto out_pipe = make_pipe();
    auto err_pipe = make_pipe();
    auto exec_pipe = make_pipe();
    if (!out_pipe || !err_pipe || !exec_pipe) {
        return util::fail(util::errno_error("pipe", errno));
    }
    std::optional<std::array<Fd, 2>> status_pipe;
    if (spec.status_fd >= 3) {
        auto p = make_pipe();
        if (!p) {
            return util::fail(std::move(p).error());
        }
        status_pipe = std::move(*p);
    }
    Fd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (devnull.get() < 0) {
        return util::fail(util::errno_error("/dev/null", errno));
    }

    pid_t pid = ::fork();
    if (pid < 0) {
        return util::fail(util::errno_error("fork", errno));
    }
    if (pid == 0) {
        ::setpgid(0, 0);
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        for (int sig : {SIGINT, SIGTERM, SIGQUIT, SIGPIPE, SIGHUP, SIGCHLD}) {
            ::sigaction(sig, &dfl, nullptr);
        }
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        // Move the status pipe out of the way first, so the dup2s below cannot clobber it.
        int status_src = status_pipe ? ::fcntl((*status_pipe)[1].get(), F_DUPFD_CLOEXEC, 10) : -1;
        ::dup2(devnull.get(), STDIN_FILENO);
        ::dup2((*out_pipe)[1].get(), STDOUT_FILENO);
        ::dup2((*err_pipe)[1].get(), STDERR_FILENO);
        if (status_src >= 0) {
            ::dup2(status_src, spec.status_fd); // dup2 clears FD_CLOEXEC on the target
        }
        ::execve(argv[0], argv.data(), envp.data());
        int err = errno;
        [[maybe_unused]] auto n = ::write((*exec_pipe)[1].get(), &err, sizeof err);
        ::_exit(127);
    }
    ::setpgid(pid, pid); // also in the parent, so the group exists before any signal is sent
    (*out_pipe)[1].reset();
    (*err_pipe)[1].reset();
    (*exec_pipe)[1].reset();
    if (status_pipe) {
        (*status_pipe)[1].reset();
    }
    int exec_errno = 0;
    ssize_t got = 0;
    do {
        got = ::read((*exec_pipe)[0].get(), &exec_errno, sizeof exec_errno);
    } while (got < 0 && errno == EINTR);
    if (got == static_cast<ssize_t>(sizeof exec_errno)) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        return util::fail(util::errno_error("cannot run '" + *exe + "'", exec_errno));
    }

    LineBuffer buffers[3] = {{OutputStream::out, {}}, {OutputStream::err, {}}, {OutputStream::status, {}}};
    Fd* read_fds[3] = {&(*out_pipe)[0], &(*err_pipe)[0], status_pipe ? &(*status_pipe)[0] : nullptr};
    RunOutcome outcome;
    bool exited = false;
    int wait_status = 0;
    using Clock = std::chrono::steady_clock;
    std::optional<Clock::time_point> kill_at;
    std::optional<Clock::time_point> drain_until;
    char buf[16384];

    while (true) {
        if (!exited) {
            pid_t r = ::waitpid(pid, &wait_status, WNOHANG);
            if (r == pid) {
                exited = true;
                // A grandchild may hold the pipes open; read what is there, then stop.
                drain_until = Clock::now() + std::chrono::milliseconds(500);
            }
        }
        std::vector<pollfd> fds;
        std::vector<int> which;
        for (int i = 0; i < 3; ++i) {
            if (read_fds[i] != nullptr && read_fds[i]->get() >= 0) {
                fds.push_back({read_fds[i]->get(), POLLIN, 0});
                which.push_back(i);
            }
        }
        if (fds.empty() && exited) {
            break;
        }
        if (exited && drain_until && Clock::now() >= *drain_until) {
            break;
        }
        bool watch_interrupt = spec.interrupt_fd >= 0 && !exited;
        if (watch_interrupt) {
            fds.push_back({spec.interrupt_fd, POLLIN, 0});
            which.push_back(-1);
        }
        int timeout_ms = exited ? 50 : 100;
        if (fds.empty()) {
            // Pipes closed but the child is still running: wait for it, checking for interrupts.
            ::poll(nullptr, 0, timeout_ms);
        } else if (::poll(fds.data(), fds.size(), timeout_ms) < 0 && errno != EINTR) {
            break;
        }
        for (std::size_t k = 0; k < fds.size(); ++k) {
            if ((fds[k].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                continue;
            }
            if (which[k] < 0) {
                char drain[64];
                while (::read(spec.interrupt_fd, drain, sizeof drain) > 0) {
                }
                if (!outcome.interrupted) {
                    outcome.interrupted = true;
                    ::kill(-pid, SIGINT);
                    kill_at = Clock::now() + spec.interrupt_grace;
                } else if (!outcome.escalated) {
                    outcome.escalated = true;
                    ::kill(-pid, SIGKILL);
                }
                continue;
            }
            int i = which[k];
            ssize_t n = ::read(read_fds[i]->get(), buf, sizeof buf);
            if (n > 0) {
                buffers[i].feed(std::string_view(buf, static_cast<std::size_t>(n)), on_line);
            } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
                buffers[i].flush(on_line);
                read_fds[i]->reset();
            }
        }
        if (kill_at && !exited && !outcome.escalated && Clock::now() >= *kill_at) {
            outcome.escalated = true;
            ::kill(-pid, SIGKILL);
        }
    }
    for (auto& b : buffers) {
        b.flush(on_line);
    }
    if (!exited) {
        ::waitpid(pid, &wait_status, 0);
    }
    if (outcome.interrupted) {
        // Whatever the manager left in its group (helpers, downloaders) goes too.
        ::kill(-pid, SIGKILL);
    }
    if (WIFEXITED(wait_status)) {
        outcome.exit_code = WEXITSTATUS(wait_status);
    } else if (WIFSIGNALED(wait_status)) {
        outcome.term_signal = WTERMSIG(wait_status);
    }
    return outcome;
}

} // namespace zsyncctl::pkg
