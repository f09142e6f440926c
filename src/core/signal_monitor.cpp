#include "core/signal_monitor.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "core/process_internal.hpp"

namespace zsyncctl::core {

namespace {

// The write end of the installed monitor's self-pipe, or -1; the only thing the handler touches.
std::atomic<int> g_write_fd{-1};
std::atomic<bool> g_installed{false};

constexpr std::array<int, 7> k_caught = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGTSTP, SIGCONT};

extern "C" void on_signal(int sig) {
    int saved = errno;
    int fd = g_write_fd.load(std::memory_order_relaxed);
    if (fd >= 0) {
        auto byte = static_cast<unsigned char>(sig);
        // A full pipe drops the byte: hundreds of signals are already waiting to be handled.
        [[maybe_unused]] ssize_t n = ::write(fd, &byte, 1);
    }
    errno = saved;
}

bool is_stop_signal(int sig) {
    return sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT;
}

} // namespace

struct SignalMonitor::State {
    int read_fd = -1;
    int write_fd = -1;
    CancellationToken token;
    std::atomic<int> received{0};
    std::atomic<int> stop_count{0};
    EventLoop::WatchId watch = 0; // loop thread

    std::mutex mutex; // guards the maps, the escalation and the saved dispositions
    // Held while callbacks run, so unsubscribe() can wait for a running one; recursive because a callback
    // may unsubscribe itself.
    std::recursive_mutex dispatch;
    SubscriptionId next_id = 1;
    std::map<SubscriptionId, std::shared_ptr<util::UniqueFunction<void(TerminalEvent)>>> subscribers;
    std::map<SubscriptionId, std::shared_ptr<util::UniqueFunction<void()>>> exit_hooks;
    std::shared_ptr<util::UniqueFunction<void(int)>> escalation;
    std::array<struct sigaction, k_caught.size()> saved{};
    std::array<bool, k_caught.size()> ignored{}; // ignored by the caller: no handler installed (set once)
    struct sigaction saved_pipe {};

    ~State() {
        if (read_fd >= 0) {
            ::close(read_fd);
        }
        if (write_fd >= 0) {
            ::close(write_fd);
        }
    }

    // Loop thread: handles every signal number waiting in the pipe.
    void drain() {
        unsigned char buf[64];
        for (;;) {
            ssize_t n = ::read(read_fd, buf, sizeof buf);
            if (n <= 0) {
                return; // EAGAIN: nothing left
            }
            for (ssize_t i = 0; i < n; ++i) {
                handle(buf[i]);
            }
        }
    }

    void handle(int sig) {
        if (is_stop_signal(sig)) {
            if (stop_count.fetch_add(1) == 0) {
                received.store(sig);
                token.cancel();
            } else {
                escalate(sig);
            }
            return;
        }
        switch (sig) {
        case SIGWINCH:
            notify(TerminalEvent::resized);
            break;
        case SIGCONT:
            notify(TerminalEvent::resumed);
            break;
        case SIGTSTP:
            // The terminal's owner puts the terminal back first; then we stop as SIGTSTP's default would.
            // raise() directs SIGSTOP at this thread, so the stop happens before it returns: with kill() to
            // the process another thread could take it and the loop thread ran on for a moment, back in
            // its poll, and read the terminal that the shell was about to own (blocked there in canonical
            // mode it never saw SIGCONT: the Ctrl-Z/fg race of issue 14).
            notify(TerminalEvent::suspending);
            ::raise(SIGSTOP);
            break;
        default:
            break;
        }
    }

    void notify(TerminalEvent event) {
        std::lock_guard<std::recursive_mutex> running(dispatch);
        std::vector<std::shared_ptr<util::UniqueFunction<void(TerminalEvent)>>> callbacks;
        {
            std::lock_guard<std::mutex> lock(mutex);
            for (auto& [id, cb] : subscribers) {
                callbacks.push_back(cb);
            }
        }
        for (auto& cb : callbacks) {
            (*cb)(event);
        }
    }

    void escalate(int sig) {
        std::shared_ptr<util::UniqueFunction<void(int)>> custom;
        {
            std::lock_guard<std::mutex> lock(mutex);
            custom = escalation;
        }
        if (custom) {
            std::lock_guard<std::recursive_mutex> running(dispatch);
            (*custom)(sig);
            return;
        }
        run_exit_hooks();
        // No child outlives an exit at once: the first signal asked them to stop, now they are killed.
        process_detail::kill_live_children(SIGKILL);
        int code = signal_exit_code(received.load());
        ::_exit(code != 0 ? code : signal_exit_code(sig));
    }

    void run_exit_hooks() {
        std::lock_guard<std::recursive_mutex> running(dispatch);
        std::vector<std::shared_ptr<util::UniqueFunction<void()>>> hooks;
        {
            std::lock_guard<std::mutex> lock(mutex);
            for (auto it = exit_hooks.rbegin(); it != exit_hooks.rend(); ++it) {
                hooks.push_back(it->second);
            }
            exit_hooks.clear();
        }
        for (auto& hook : hooks) {
            (*hook)();
        }
    }
};

util::Result<std::unique_ptr<SignalMonitor>> SignalMonitor::install(EventLoop& loop,
                                                                    CancellationToken token) {
    if (g_installed.exchange(true)) {
        return util::fail(util::ErrorKind::invalid_input, "a signal monitor is already installed",
                          "install one monitor per process (the cli does it for every command)");
    }
    auto state = std::make_shared<State>();
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        g_installed = false;
        return util::fail(util::errno_error("cannot create the signal pipe", errno));
    }
    state->read_fd = fds[0];
    state->write_fd = fds[1];
    state->token = std::move(token);
    g_write_fd.store(state->write_fd);

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART; // blocking calls elsewhere go on; the loop handles the signal
    sigemptyset(&sa.sa_mask);
    for (std::size_t i = 0; i < k_caught.size(); ++i) {
        // A signal ignored when we started stays ignored (nohup's SIGHUP, the SIGINT and SIGQUIT a shell
        // ignores for a background job): no handler, so neither we nor the children we exec act on it.
        ::sigaction(k_caught[i], nullptr, &state->saved[i]);
        if (state->saved[i].sa_handler == SIG_IGN && (state->saved[i].sa_flags & SA_SIGINFO) == 0) {
            state->ignored[i] = true;
            continue;
        }
        ::sigaction(k_caught[i], &sa, nullptr);
    }
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGPIPE, &ignore, &state->saved_pipe);

    EventLoop* target = &loop;
    bool posted = loop.post([state, target] {
        auto watched = target->watch_fd(state->read_fd, EventLoop::k_readable,
                                        [state](std::uint32_t) { state->drain(); });
        if (watched) {
            state->watch = *watched;
        }
    });
    auto monitor = std::unique_ptr<SignalMonitor>(new SignalMonitor(state, loop));
    if (!posted) {
        return util::fail(util::ErrorKind::io, "cannot watch the signal pipe: the event loop is closed");
    }
    return monitor;
}

SignalMonitor::SignalMonitor(std::shared_ptr<State> state, EventLoop& loop)
    : m_state(std::move(state)), m_loop(loop) {}

SignalMonitor::~SignalMonitor() {
    for (std::size_t i = 0; i < k_caught.size(); ++i) {
        if (!m_state->ignored[i]) {
            ::sigaction(k_caught[i], &m_state->saved[i], nullptr);
        }
    }
    ::sigaction(SIGPIPE, &m_state->saved_pipe, nullptr);
    g_write_fd.store(-1);
    // The watch (which holds the state and its fds) goes on the loop thread; a closed loop already
    // dropped it.
    m_loop.post([state = m_state, target = &m_loop] {
        if (state->watch != 0) {
            target->unwatch_fd(state->watch);
            state->watch = 0;
        }
    });
    g_installed = false;
}

int SignalMonitor::received() const {
    return m_state->received.load();
}

bool SignalMonitor::ignored_by_caller(int sig) const {
    for (std::size_t i = 0; i < k_caught.size(); ++i) {
        if (k_caught[i] == sig) {
            return m_state->ignored[i];
        }
    }
    return false;
}

int SignalMonitor::exit_code() const {
    return signal_exit_code(received());
}

void SignalMonitor::set_escalation(util::UniqueFunction<void(int)> escalate) {
    std::shared_ptr<util::UniqueFunction<void(int)>> fn;
    if (escalate) {
        fn = std::make_shared<util::UniqueFunction<void(int)>>(std::move(escalate));
    }
    std::lock_guard<std::mutex> lock(m_state->mutex);
    m_state->escalation = std::move(fn);
}

SignalMonitor::SubscriptionId SignalMonitor::add_exit_hook(util::UniqueFunction<void()> hook) {
    std::lock_guard<std::mutex> lock(m_state->mutex);
    SubscriptionId id = m_state->next_id++;
    m_state->exit_hooks.emplace(id, std::make_shared<util::UniqueFunction<void()>>(std::move(hook)));
    return id;
}

SignalMonitor::SubscriptionId
SignalMonitor::subscribe_terminal(util::UniqueFunction<void(TerminalEvent)> callback) {
    std::lock_guard<std::mutex> lock(m_state->mutex);
    SubscriptionId id = m_state->next_id++;
    m_state->subscribers.emplace(
        id, std::make_shared<util::UniqueFunction<void(TerminalEvent)>>(std::move(callback)));
    return id;
}

bool SignalMonitor::unsubscribe(SubscriptionId id) {
    bool found = false;
    {
        std::lock_guard<std::mutex> lock(m_state->mutex);
        found = m_state->subscribers.erase(id) + m_state->exit_hooks.erase(id) > 0;
    }
    // Waits for a callback that is running right now (a no-op on the loop thread, which holds it already).
    std::lock_guard<std::recursive_mutex> wait(m_state->dispatch);
    return found;
}

void SignalMonitor::run_exit_hooks() {
    m_state->run_exit_hooks();
}

} // namespace zsyncctl::core
