#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <map>
#include <mutex>
#include <set>

#include "core/process_internal.hpp"

namespace zsyncctl::core::process_detail {

namespace {

/// The SIGCHLD scheme for kernels without pidfd. The handler writes a byte to the pipe of every claimed
/// slot; each loop with such children claims one slot and, when woken, calls waitpid() on its own pids
/// only (never waitpid(-1), so children of other code are left alone). Slot pipes are created once and
/// never closed, so the handler can never write to a recycled fd number; slots are lock-free so the
/// handler stays async-signal-safe.
class SigchldHub {
public:
    static constexpr std::size_t k_slots = 64;

    static SigchldHub& instance() {
        static SigchldHub hub;
        return hub;
    }

    /// Claims a slot; returns its index and the read end of its pipe, or -1 when all are taken.
    int claim(int* read_fd) {
        std::lock_guard lock(m_mutex);
        install();
        for (std::size_t i = 0; i < k_slots; ++i) {
            if (m_claimed[i]) {
                continue;
            }
            if (m_read[i] < 0) {
                int p[2];
                if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
                    return -1;
                }
                m_read[i] = p[0];
                m_write[i].store(p[1]);
            }
            m_claimed[i] = true;
            m_active[i].store(true);
            *read_fd = m_read[i];
            return static_cast<int>(i);
        }
        return -1;
    }

    void release(int slot) {
        std::lock_guard lock(m_mutex);
        auto i = static_cast<std::size_t>(slot);
        m_active[i].store(false);
        m_claimed[i] = false;
    }

private:
    SigchldHub() {
        m_read.fill(-1);
        for (std::size_t i = 0; i < k_slots; ++i) {
            m_write[i].store(-1);
            m_active[i].store(false);
        }
    }

    void install() {
        if (m_installed) {
            return;
        }
        m_installed = true;
        struct sigaction sa {};
        sa.sa_sigaction = &SigchldHub::handler;
        sa.sa_flags = SA_RESTART | SA_NOCLDSTOP | SA_SIGINFO;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGCHLD, &sa, &previous());
    }

    static struct sigaction& previous() {
        static struct sigaction prev {};
        return prev;
    }

    static void handler(int sig, siginfo_t* info, void* context) {
        int saved = errno;
        SigchldHub& hub = instance();
        for (std::size_t i = 0; i < k_slots; ++i) {
            int fd = hub.m_write[i].load();
            if (fd >= 0 && hub.m_active[i].load()) {
                char byte = 1;
                [[maybe_unused]] ssize_t r = ::write(fd, &byte, 1);
            }
        }
        const struct sigaction& prev = previous();
        if ((prev.sa_flags & SA_SIGINFO) != 0 && prev.sa_sigaction != nullptr) {
            prev.sa_sigaction(sig, info, context);
        } else if ((prev.sa_flags & SA_SIGINFO) == 0 && prev.sa_handler != SIG_DFL &&
                   prev.sa_handler != SIG_IGN && prev.sa_handler != nullptr) {
            prev.sa_handler(sig);
        }
        errno = saved;
    }

    std::mutex m_mutex;
    bool m_installed = false;
    std::array<int, k_slots> m_read{};
    std::array<bool, k_slots> m_claimed{};
    std::array<std::atomic<int>, k_slots> m_write;
    std::array<std::atomic<bool>, k_slots> m_active;
};

} // namespace

std::shared_ptr<SigchldWatcher> SigchldWatcher::for_loop(EventLoop& loop) {
    static std::mutex mutex;
    static std::map<EventLoop*, std::weak_ptr<SigchldWatcher>> registry;
    std::lock_guard lock(mutex);
    std::erase_if(registry, [](const auto& entry) { return entry.second.expired(); });
    if (auto it = registry.find(&loop); it != registry.end()) {
        return it->second.lock();
    }
    auto watcher = std::shared_ptr<SigchldWatcher>(new SigchldWatcher(loop));
    if (!watcher->init()) {
        return nullptr;
    }
    registry[&loop] = watcher;
    return watcher;
}

SigchldWatcher::~SigchldWatcher() {
    if (m_slot >= 0) {
        SigchldHub::instance().release(m_slot);
    }
}

std::uint64_t SigchldWatcher::add(util::UniqueFunction<void()> check) {
    std::uint64_t id = m_next++;
    m_checks.emplace(id, std::make_shared<util::UniqueFunction<void()>>(std::move(check)));
    return id;
}

void SigchldWatcher::remove(std::uint64_t id) {
    m_checks.erase(id);
    if (m_checks.empty() && m_watch != 0) {
        m_loop.unwatch_fd(std::exchange(m_watch, 0));
    }
}

bool SigchldWatcher::init() {
    m_slot = SigchldHub::instance().claim(&m_read_fd);
    if (m_slot < 0) {
        return false;
    }
    auto w = m_loop.watch_fd(m_read_fd, EventLoop::k_readable,
                             [self = shared_from_this()](std::uint32_t) { self->on_signal(); });
    if (!w) {
        return false;
    }
    m_watch = *w;
    return true;
}

void SigchldWatcher::on_signal() {
    char buf[64];
    while (::read(m_read_fd, buf, sizeof buf) > 0) {
    }
    // A check may remove itself (and others): run copies.
    std::vector<std::shared_ptr<util::UniqueFunction<void()>>> checks;
    checks.reserve(m_checks.size());
    for (auto& [id, check] : m_checks) {
        checks.push_back(check);
    }
    for (auto& check : checks) {
        (*check)();
    }
}

// The children spawned and not yet reaped, for the reapers and for the signal monitor's kill at exit.
namespace {

std::mutex g_live_mutex;
std::map<pid_t, bool>& live_children() {
    static std::map<pid_t, bool> children; // pid -> leads its own group
    return children;
}
// Every child started and not yet reaped (live_children() forgets one a moment before its waitpid).
std::set<pid_t>& spawned_children() {
    static std::set<pid_t> children;
    return children;
}

} // namespace

void register_live_child(pid_t pid, bool whole_group) {
    std::lock_guard lock(g_live_mutex);
    live_children()[pid] = whole_group;
    spawned_children().insert(pid);
}

void unregister_live_child(pid_t pid) {
    std::lock_guard lock(g_live_mutex);
    live_children().erase(pid);
}

void forget_spawned_child(pid_t pid) {
    std::lock_guard lock(g_live_mutex);
    spawned_children().erase(pid);
}

bool is_spawned_child(pid_t pid) {
    std::lock_guard lock(g_live_mutex);
    return spawned_children().count(pid) != 0;
}

void kill_live_children(int sig) {
    std::lock_guard lock(g_live_mutex);
    for (const auto& [pid, whole_group] : live_children()) {
        ::kill(whole_group ? -pid : pid, sig);
    }
}

} // namespace zsyncctl::core::process_detail
