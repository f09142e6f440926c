#include "core/process_internal.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/errors.hpp"

namespace zsyncctl::core::process_detail {

namespace {

/// One running child. Lives on the loop thread (its callbacks hold it); destroyed when it has completed,
/// or when the loop drops it (the child is then killed and reaped here).
class Child : public std::enable_shared_from_this<Child> {
public:
    Child(EventLoop& loop, ProcessSpec spec) : m_loop(loop), m_spec(std::move(spec)) {}

    ~Child() {
        if (m_pid > 0 && !m_reaped) {
            // Only when the loop went away first: leave no running child and no zombie behind.
            signal_group(SIGKILL);
            unregister_live_child(m_pid);
            int status = 0;
            while (waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
            }
            forget_spawned_child(m_pid);
        }
        if (m_cancel_id != 0) {
            m_token.remove_callback(m_cancel_id);
        }
        stop_sigchld_reaper();
    }

    Future<ProcessResult> future() { return m_promise.future(); }

    /// Creates the pipes and the child, on the calling thread.
    util::Result<void> spawn() {
        const ProcessSpec& spec = m_spec;
        if (spec.argv.empty() || spec.argv.front().empty()) {
            return util::fail(util::ErrorKind::invalid_input, "cannot start a process without argv[0]");
        }
        int max_target = 2;
        for (const auto& extra : spec.extra_outputs) {
            if (extra.child_fd < 3 || extra.child_fd > 1000) {
                return util::fail(util::ErrorKind::invalid_input, "extra output fd " +
                                                                      std::to_string(extra.child_fd) +
                                                                      " must be in 3..1000");
            }
            max_target = std::max(max_target, extra.child_fd);
        }
        if (!spec.cwd.empty()) {
            struct stat st {};
            if (::stat(spec.cwd.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
                return util::fail(util::ErrorKind::not_found, "working directory '" + spec.cwd +
                                                                  "' does not exist or is not a directory");
            }
        }
        auto exe = resolve_executable(spec);
        if (!exe) {
            return util::fail(std::move(exe).error());
        }
        const int min_fd = max_target + 1;

        // The terminal: the parent holds its slave side open until the child has its own, so the master
        // never sees "no slave" (EIO) before the child runs.
        Fd slave;
        std::string slave_path;
        if (spec.terminal) {
            auto pty = open_terminal(*spec.terminal);
            if (!pty) {
                return util::fail(std::move(pty).error());
            }
            slave_path = std::move(pty->slave_path);
            slave = std::move(pty->slave);
            m_terminal = std::move(pty->master);
        }

        m_streams.resize(2 + spec.extra_outputs.size());
        m_streams[0].child_fd = 1;
        m_streams[0].on_line = std::move(m_spec.on_stdout_line);
        if (m_spec.terminal) {
            m_streams[0].terminal = true;
            m_streams[0].on_raw = std::move(m_spec.terminal->on_output);
        }
        m_streams[1].child_fd = 2;
        m_streams[1].on_line = std::move(m_spec.on_stderr_line);
        for (std::size_t i = 0; i < m_spec.extra_outputs.size(); ++i) {
            m_streams[2 + i].child_fd = m_spec.extra_outputs[i].child_fd;
            m_streams[2 + i].on_line = std::move(m_spec.extra_outputs[i].on_line);
        }
        std::vector<Fd> child_ends;
        for (OutputStream& s : m_streams) {
            if (s.terminal) {
                // Read through a duplicate so that closing the stream never closes the fd
                // ProcessControl writes to.
                s.fd = Fd(fcntl(m_terminal.get(), F_DUPFD_CLOEXEC, min_fd));
                if (s.fd.get() < 0) {
                    return util::fail(spawn_errno_error("fcntl(F_DUPFD_CLOEXEC)", errno));
                }
                s.open = true;
                child_ends.emplace_back();
                continue;
            }
            auto pipe = make_pipe(false, min_fd);
            if (!pipe) {
                return util::fail(std::move(pipe).error());
            }
            s.fd = std::move(pipe->parent);
            s.open = true;
            child_ends.push_back(std::move(pipe->child));
        }
        Fd stdin_child;
        if (spec.stdin_mode == StdinMode::pipe && !spec.terminal) {
            auto pipe = make_pipe(true, min_fd);
            if (!pipe) {
                return util::fail(std::move(pipe).error());
            }
            m_stdin = std::move(pipe->parent);
            stdin_child = std::move(pipe->child);
        }

        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        if (spec.terminal) {
            // Opened (not inherited) after setsid(), so it becomes the controlling terminal.
            posix_spawn_file_actions_addopen(&actions, 0, slave_path.c_str(), O_RDWR, 0);
            posix_spawn_file_actions_adddup2(&actions, 0, 1);
            posix_spawn_file_actions_adddup2(&actions, 0, 2);
        } else if (spec.stdin_mode == StdinMode::pipe) {
            posix_spawn_file_actions_adddup2(&actions, stdin_child.get(), 0);
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        }
        for (std::size_t i = 0; i < m_streams.size(); ++i) {
            if (!m_streams[i].terminal && !(spec.terminal && m_streams[i].child_fd == 2)) {
                posix_spawn_file_actions_adddup2(&actions, child_ends[i].get(), m_streams[i].child_fd);
            }
        }
        if (!spec.cwd.empty()) {
            posix_spawn_file_actions_addchdir_np(&actions, spec.cwd.c_str());
        }
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
        if (spec.terminal) {
            flags |= POSIX_SPAWN_SETSID; // a new session is a new process group too
        } else if (spec.group == ProcessGroup::new_group) {
            flags |= POSIX_SPAWN_SETPGROUP;
            posix_spawnattr_setpgroup(&attr, 0);
        }
        posix_spawnattr_setflags(&attr, flags);
        sigset_t none;
        sigemptyset(&none);
        posix_spawnattr_setsigmask(&attr, &none);
        sigset_t defaults;
        sigemptyset(&defaults);
        // SIGXFSZ: zsyncctl ignores it for itself (an oversized cache write is an error it reports), but a
        // manager run under `ulimit -f` gets the default a shell would give it.
        for (int sig : {SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM, SIGXFSZ}) {
            sigaddset(&defaults, sig);
        }
        // A stop signal ignored when we started (the monitor leaves it so) stays ignored in the child: nohup
        // promises the whole job immunity to SIGHUP, and a shell's background job ignores SIGINT/SIGQUIT.
        for (int sig : {SIGINT, SIGTERM, SIGQUIT, SIGHUP}) {
            if (!ignored_now(sig)) {
                sigaddset(&defaults, sig);
            }
        }
        posix_spawnattr_setsigdefault(&attr, &defaults);

        std::vector<std::string> env = build_environment(spec);
        std::vector<char*> envp;
        envp.reserve(env.size() + 1);
        for (auto& e : env) {
            envp.push_back(e.data());
        }
        envp.push_back(nullptr);
        std::vector<std::string> args = spec.argv;
        std::vector<char*> argv;
        argv.reserve(args.size() + 1);
        for (auto& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);

        m_start = Clock::now();
        pid_t pid = 0;
        int rc = posix_spawn(&pid, exe->c_str(), &actions, &attr, argv.data(), envp.data());
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
        if (rc != 0) {
            if (rc == ENOENT) {
                return util::fail(util::ErrorKind::not_found, "cannot run '" + *exe + "': no such file",
                                  "install it, or give its full path");
            }
            if (rc == EACCES) {
                return util::fail(util::ErrorKind::permission_denied,
                                  "cannot run '" + *exe + "': permission denied");
            }
            if (rc == ENOEXEC) {
                return util::fail(util::ErrorKind::invalid_input,
                                  "cannot run '" + *exe + "': not an executable");
            }
            return util::fail(spawn_errno_error("posix_spawn " + *exe, rc));
        }
        m_pid = pid;
        register_live_child(pid, whole_group());
        // child_ends and stdin_child close here, leaving the child the only writer of its pipes.
        if (spec.reaper == Reaper::automatic) {
            int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
            if (pidfd >= 0) {
                fcntl(pidfd, F_SETFD, FD_CLOEXEC);
                m_pidfd.reset(pidfd);
            }
        }
        return util::ok();
    }

    /// Registers everything with the loop; on the loop thread.
    void start(CancellationToken token) {
        auto self = shared_from_this();
        if (m_spec.control) {
            detail::ProcessControlBinder::bind(*m_spec.control, m_pid, whole_group(), m_terminal.get());
        }
        if (m_pidfd.get() >= 0) {
            auto w = m_loop.watch_fd(m_pidfd.get(), EventLoop::k_readable,
                                     [self](std::uint32_t) { self->on_child_event(); });
            if (w) {
                m_pid_watch = *w;
                m_used_pidfd = true;
            } else {
                m_pidfd.reset();
            }
        }
        if (m_pidfd.get() < 0) {
            start_sigchld_reaper();
        }
        for (std::size_t i = 0; i < m_streams.size(); ++i) {
            auto w = m_loop.watch_fd(m_streams[i].fd.get(), EventLoop::k_readable,
                                     [self, i](std::uint32_t) { self->on_readable(i); });
            if (w) {
                m_streams[i].watch = *w;
            } else {
                close_stream(i);
            }
        }
        if (m_stdin.get() >= 0) {
            if (m_spec.stdin_data.empty()) {
                m_stdin.reset();
            } else {
                auto w = m_loop.watch_fd(m_stdin.get(), EventLoop::k_writable,
                                         [self](std::uint32_t) { self->on_writable(); });
                if (w) {
                    m_stdin_watch = *w;
                } else {
                    m_stdin.reset();
                }
            }
        }
        if (m_spec.timeout.count() > 0) {
            m_timeout_timer = m_loop.add_timer(m_start + m_spec.timeout, [self] {
                self->m_timeout_timer = 0;
                self->terminate(ProcessOutcome::timed_out);
            });
        }
        m_token = std::move(token);
        std::weak_ptr<Child> weak = self;
        EventLoop* loop = &m_loop;
        m_cancel_id = m_token.on_cancel([weak, loop] {
            loop->post([weak] {
                if (auto child = weak.lock()) {
                    child->terminate(ProcessOutcome::cancelled);
                }
            });
        });
        // An exit that happened before the watches existed is still seen: pidfd/self-pipe stay readable.
        if (m_pidfd.get() < 0) {
            on_child_event();
        }
    }

private:
    void start_sigchld_reaper() {
        auto watcher = SigchldWatcher::for_loop(m_loop);
        if (!watcher) {
            schedule_reap_poll(); // every hub slot taken: poll with a timer, still only for our pid
            return;
        }
        m_sigchld = watcher;
        // The check holds the child until it is reaped, like the pidfd watch does.
        m_sigchld_check = watcher->add([self = shared_from_this()] { self->on_child_event(); });
    }

    void stop_sigchld_reaper() {
        if (auto watcher = m_sigchld.lock()) {
            m_sigchld.reset();
            watcher->remove(m_sigchld_check);
        }
    }

    void schedule_reap_poll() {
        auto self = shared_from_this();
        m_loop.add_timer(Clock::now() + std::chrono::milliseconds(20), [self] {
            self->on_child_event();
            if (!self->m_reaped) {
                self->schedule_reap_poll();
            }
        });
    }

    void on_child_event() {
        if (m_reaped) {
            return;
        }
        siginfo_t info{};
        // Peek first: while the exited child is still a zombie its pid (= the group id) cannot be
        // reused, so the rest of a terminated group can be killed safely before reaping.
        if (waitid(P_PID, static_cast<id_t>(m_pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
            info.si_pid == 0) {
            return;
        }
        if (m_terminating && whole_group()) {
            ::kill(-m_pid, SIGKILL);
        }
        unregister_live_child(m_pid); // it has exited: a zombie until the waitpid below
        int status = 0;
        pid_t r = 0;
        do {
            r = waitpid(m_pid, &status, WNOHANG);
        } while (r < 0 && errno == EINTR);
        if (r != m_pid) {
            return;
        }
        m_reaped = true;
        forget_spawned_child(m_pid);
        m_status = status;
        if (m_spec.control) {
            detail::ProcessControlBinder::clear_pid(*m_spec.control);
        }
        stop_sigchld_reaper();
        if (m_pid_watch != 0) {
            m_loop.unwatch_fd(m_pid_watch);
            m_pid_watch = 0;
        }
        m_pidfd.reset();
        if (m_grace_timer != 0) {
            m_loop.cancel_timer(m_grace_timer);
            m_grace_timer = 0;
        }
        if (m_timeout_timer != 0) {
            m_loop.cancel_timer(m_timeout_timer);
            m_timeout_timer = 0;
        }
        if (all_streams_closed()) {
            finish();
            return;
        }
        auto self = shared_from_this();
        m_drain_timer = m_loop.add_timer(Clock::now() + m_spec.drain_after_exit, [self] {
            self->m_drain_timer = 0;
            self->m_cut_off = true;
            for (std::size_t i = 0; i < self->m_streams.size(); ++i) {
                self->read_available(i, 64); // take what is already buffered
                self->close_stream(i);
            }
            self->finish();
        });
    }

    void on_readable(std::size_t i) {
        read_available(i, 16);
        if (m_reaped && all_streams_closed()) {
            finish();
        }
    }

    /// Reads up to `rounds` chunks (so one busy stream cannot starve the loop); closes on EOF or error.
    void read_available(std::size_t i, int rounds) {
        OutputStream& s = m_streams[i];
        if (!s.open) {
            return;
        }
        m_buffer.resize(k_read_chunk);
        for (int round = 0; round < rounds; ++round) {
            ssize_t n = ::read(s.fd.get(), m_buffer.data(), m_buffer.size());
            if (n > 0) {
                s.consume(std::string_view(m_buffer.data(), static_cast<std::size_t>(n)),
                          m_spec.capture_limit);
                continue;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && errno == EAGAIN) {
                return;
            }
            close_stream(i); // EOF or a read error
            return;
        }
    }

    void close_stream(std::size_t i) {
        OutputStream& s = m_streams[i];
        if (!s.open) {
            return;
        }
        s.open = false;
        if (s.watch != 0) {
            m_loop.unwatch_fd(s.watch);
            s.watch = 0;
        }
        s.fd.reset();
        s.flush_partial();
    }

    bool all_streams_closed() const {
        return std::none_of(m_streams.begin(), m_streams.end(), [](const OutputStream& s) { return s.open; });
    }

    void on_writable() {
        const std::string& data = m_spec.stdin_data;
        while (m_stdin_offset < data.size()) {
            ssize_t n =
                write_no_sigpipe(m_stdin.get(), data.data() + m_stdin_offset, data.size() - m_stdin_offset);
            if (n > 0) {
                m_stdin_offset += static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0 && errno == EAGAIN) {
                return;
            }
            break; // EPIPE: the child closed its stdin; the rest is not wanted
        }
        close_stdin();
    }

    void close_stdin() {
        if (m_stdin_watch != 0) {
            m_loop.unwatch_fd(m_stdin_watch);
            m_stdin_watch = 0;
        }
        m_stdin.reset();
    }

    bool whole_group() const { return m_spec.group == ProcessGroup::new_group || m_spec.terminal; }

    void signal_group(int sig) {
        if (m_pid <= 0 || m_reaped) {
            return;
        }
        if (whole_group()) {
            ::kill(-m_pid, sig);
        } else {
            ::kill(m_pid, sig);
        }
    }

    void terminate(ProcessOutcome why) {
        if (m_finished || m_reaped || m_terminating) {
            return;
        }
        m_terminating = true;
        m_reason = why;
        signal_group(m_spec.stop_signal);
        auto self = shared_from_this();
        m_grace_timer = m_loop.add_timer(Clock::now() + m_spec.kill_grace, [self] {
            self->m_grace_timer = 0;
            self->signal_group(SIGKILL);
        });
    }

    void finish() {
        if (m_finished) {
            return;
        }
        m_finished = true;
        close_stdin();
        if (m_spec.control) {
            detail::ProcessControlBinder::clear_pid(*m_spec.control);
            detail::ProcessControlBinder::clear_terminal(*m_spec.control);
        }
        m_terminal.reset();
        if (m_drain_timer != 0) {
            m_loop.cancel_timer(m_drain_timer);
            m_drain_timer = 0;
        }
        if (m_cancel_id != 0) {
            m_token.remove_callback(m_cancel_id);
            m_cancel_id = 0;
        }
        stop_sigchld_reaper();
        ProcessResult result;
        result.pid = m_pid;
        result.used_pidfd = m_used_pidfd;
        if (WIFEXITED(m_status)) {
            result.exit_code = WEXITSTATUS(m_status);
            result.outcome = ProcessOutcome::exited;
        } else if (WIFSIGNALED(m_status)) {
            result.signal = WTERMSIG(m_status);
            result.outcome = ProcessOutcome::killed;
        }
        if (m_terminating) {
            result.outcome = m_reason;
        }
        auto take = [&](OutputStream& s, std::string& text, std::uint64_t* dropped) {
            if (m_spec.capture_limit > 0 && s.captured.size() > m_spec.capture_limit) {
                std::size_t excess = s.captured.size() - m_spec.capture_limit;
                s.captured.erase(0, excess);
                s.dropped += excess;
            }
            text = std::move(s.captured);
            if (dropped != nullptr) {
                *dropped = s.dropped;
            }
        };
        take(m_streams[0], result.stdout_text, &result.stdout_dropped);
        take(m_streams[1], result.stderr_text, &result.stderr_dropped);
        for (std::size_t i = 2; i < m_streams.size(); ++i) {
            take(m_streams[i], result.extra_text[m_streams[i].child_fd], nullptr);
        }
        result.output_cut_off = m_cut_off;
        result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - m_start);
        m_promise.set(std::move(result));
    }

    EventLoop& m_loop;
    ProcessSpec m_spec;
    Promise<ProcessResult> m_promise;
    pid_t m_pid = 0;
    Fd m_pidfd;
    std::weak_ptr<SigchldWatcher> m_sigchld;
    std::uint64_t m_sigchld_check = 0;
    EventLoop::WatchId m_pid_watch = 0;
    std::vector<OutputStream> m_streams;
    Fd m_terminal; // the terminal's master side, for ProcessControl's writes
    Fd m_stdin;
    std::size_t m_stdin_offset = 0;
    EventLoop::WatchId m_stdin_watch = 0;
    std::string m_buffer;
    EventLoop::TimerId m_timeout_timer = 0;
    EventLoop::TimerId m_grace_timer = 0;
    EventLoop::TimerId m_drain_timer = 0;
    CancellationToken m_token;
    CancellationToken::CallbackId m_cancel_id = 0;
    Clock::time_point m_start;
    int m_status = 0;
    bool m_reaped = false;
    bool m_terminating = false;
    bool m_finished = false;
    bool m_cut_off = false;
    bool m_used_pidfd = false;
    ProcessOutcome m_reason = ProcessOutcome::exited;
};

} // namespace

Future<ProcessResult> start_child(EventLoop& loop, ProcessSpec spec, CancellationToken token) {
    auto child = std::make_shared<Child>(loop, std::move(spec));
    Future<ProcessResult> future = child->future();
    if (auto spawned = child->spawn(); !spawned) {
        return Future<ProcessResult>::ready(util::fail(std::move(spawned).error()));
    }
    if (loop.in_loop_thread()) {
        child->start(std::move(token));
        return future;
    }
    // If the loop is closed the task is dropped, which kills and reaps the child and fails the future.
    loop.post(
        [child = std::move(child), token = std::move(token)]() mutable { child->start(std::move(token)); });
    return future;
}

} // namespace zsyncctl::core::process_detail
