#include "pkg/search_exec.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/strings.hpp"

extern char** environ;

namespace zsyncctl::pkg {

namespace {

struct Fd {
    int fd = -1;
    Fd() = default;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    void reset() {
        if (fd >= 0) {
            ::close(fd);
        }
        fd = -1;
    }
};

std::vector<std::string> merged_environment(const std::vector<std::string>& overrides) {
    std::vector<std::string> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view entry(*e);
        std::string_view name = entry.substr(0, entry.find('='));
        bool replaced = false;
        for (const auto& o : overrides) {
            if (std::string_view(o).substr(0, o.find('=')) == name) {
                replaced = true;
                break;
            }
        }
        if (!replaced) {
            env.emplace_back(entry);
        }
    }
    env.insert(env.end(), overrides.begin(), overrides.end());
    return env;
}

bool wait_exit(pid_t pid, int& status, int timeout_ms) {
    for (int waited = 0;; waited += 10) {
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) {
            return true;
        }
        if (waited >= timeout_ms) {
            return false;
        }
        ::usleep(10000);
    }
}

// Reaps the members of process group `pgid` that were reparented to us, for up to a second.
void reap_group(pid_t pgid) {
    for (int waited = 0; waited < 1000; waited += 5) {
        int status = 0;
        pid_t r = ::waitpid(-pgid, &status, WNOHANG);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return; // ECHILD: none left
        }
        if (r == 0) {
            ::kill(-pgid, SIGKILL);
            ::usleep(5000);
        }
    }
}

} // namespace

std::string find_on_path(std::string_view name) {
    auto executable = [](const std::string& path) {
        struct stat st {};
        return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
    };
    if (name.empty()) {
        return {};
    }
    if (name.find('/') != std::string_view::npos) {
        std::string path(name);
        return executable(path) ? path : std::string();
    }
    const char* path_env = std::getenv("PATH");
    std::string_view paths = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin";
    for (std::string_view dir : util::split(paths, ':')) {
        if (dir.empty()) {
            continue;
        }
        std::string candidate = std::string(dir) + "/" + std::string(name);
        if (executable(candidate)) {
            return candidate;
        }
    }
    return {};
}

util::Result<CommandOutcome> run_command(const CommandSpec& spec) {
    if (spec.argv.empty()) {
        return util::fail(util::ErrorKind::invalid_input, "empty command");
    }
    int out_pipe[2];
    int err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
        return util::fail(util::errno_error("pipe", errno));
    }
    Fd out_r(out_pipe[0]);
    Fd out_w(out_pipe[1]);
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        return util::fail(util::errno_error("pipe", errno));
    }
    Fd err_r(err_pipe[0]);
    Fd err_w(err_pipe[1]);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
    posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGXFSZ);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> argv;
    for (const auto& a : spec.argv) {
        argv.push_back(const_cast<char*>(a.c_str()));
    }
    argv.push_back(nullptr);
    std::vector<std::string> env_strings = merged_environment(spec.env_overrides);
    std::vector<char*> envp;
    for (auto& e : env_strings) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);

    // Grandchildren orphaned by a killed manager are reparented to us instead of init, so we can reap
    // them (init in containers often does not).
    ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    pid_t pid = 0;
    int rc = ::posix_spawn(&pid, spec.argv[0].c_str(), &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
        return util::fail(util::errno_error(spec.argv[0], rc));
    }
    out_w.reset();
    err_w.reset();

    CommandOutcome outcome;
    outcome.pid = pid;
    char buf[1 << 16];
    bool out_open = true;
    bool err_open = true;
    while (out_open || err_open) {
        auto now = std::chrono::steady_clock::now();
        if (now >= spec.deadline) {
            outcome.end = CommandOutcome::End::timed_out;
            break;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(spec.deadline - now).count();
        pollfd fds[3] = {{out_open ? out_r.fd : -1, POLLIN, 0},
                         {err_open ? err_r.fd : -1, POLLIN, 0},
                         {spec.cancel_fd, POLLIN, 0}};
        int n = ::poll(fds, 3, static_cast<int>(std::min<long long>(left + 1, 1 << 30)));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (spec.cancel_fd >= 0 && (fds[2].revents & POLLIN) != 0) {
            outcome.end = CommandOutcome::End::cancelled;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].revents == 0) {
                continue;
            }
            Fd& fd = i == 0 ? out_r : err_r;
            ssize_t got = ::read(fd.fd, buf, sizeof buf);
            if (got > 0) {
                std::string& sink = i == 0 ? outcome.out : outcome.err;
                std::size_t cap = i == 0 ? (64u << 20) : (1u << 20);
                if (sink.size() < cap) {
                    sink.append(buf, std::min<std::size_t>(static_cast<std::size_t>(got), cap - sink.size()));
                }
            } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
                (i == 0 ? out_open : err_open) = false;
            }
        }
    }
    int status = 0;
    bool reaped = false;
    // Both pipes closed does not mean the manager exited (`exec >&- 2>&-; sleep`): wait for it under
    // the same deadline and cancellation as the reads, never unbounded.
    while (outcome.end == CommandOutcome::End::exited && !reaped) {
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            reaped = true;
            break;
        }
        if (r < 0 && errno != EINTR) {
            return util::fail(util::errno_error("waitpid", errno));
        }
        auto now = std::chrono::steady_clock::now();
        if (now >= spec.deadline) {
            outcome.end = CommandOutcome::End::timed_out;
            break;
        }
        pollfd cancel = {spec.cancel_fd, POLLIN, 0};
        if (::poll(&cancel, 1, 10) > 0 && (cancel.revents & POLLIN) != 0) {
            outcome.end = CommandOutcome::End::cancelled;
        }
    }
    if (outcome.end != CommandOutcome::End::exited) {
        ::kill(-pid, SIGTERM);
        if (!wait_exit(pid, status, 300)) {
            ::kill(-pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
        }
        // Children of the manager that ignored SIGTERM must not outlive it; as the subreaper we inherit
        // them when their parent dies, so reap every member of the group, or they stay zombies.
        ::kill(-pid, SIGKILL);
        reap_group(pid);
        return outcome;
    }
    if (WIFEXITED(status)) {
        outcome.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        outcome.term_signal = WTERMSIG(status);
    }
    return outcome;
}

} // namespace zsyncctl::pkg
