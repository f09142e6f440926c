#include <doctest/doctest.h>

#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/process.hpp"
#include "core/process_internal.hpp"
#include "core/signal_monitor.hpp"
#include "core_loop_helpers.hpp"

extern char** environ;

using namespace zsyncctl;
using namespace std::chrono_literals;

namespace {

// Waits (deadline 5 s) until `done()`; true when it became true in time.
template <typename F>
bool wait_until(F done) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

struct sigaction current_disposition(int sig) {
    struct sigaction sa {};
    ::sigaction(sig, nullptr, &sa);
    return sa;
}

// Runs `sh -c script` without waiting for it; returns its pid.
pid_t start_shell(const std::string& script) {
    std::vector<std::string> args = {"/bin/sh", "-c", script};
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    pid_t pid = 0;
    REQUIRE(::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv.data(), environ) == 0);
    return pid;
}

} // namespace

TEST_CASE("SignalMonitor cancels the token on the first stop signal and remembers it") {
    struct Case {
        int sig;
        int code;
    };
    Case c{};
    SUBCASE("SIGINT") {
        c = {SIGINT, 130};
    }
    SUBCASE("SIGTERM") {
        c = {SIGTERM, 143};
    }
    SUBCASE("SIGHUP") {
        c = {SIGHUP, 129};
    }
    SUBCASE("SIGQUIT") {
        c = {SIGQUIT, 131};
    }
    test_support::LoopThread lt(core::IoBackend::epoll);
    core::CancellationToken root;
    core::CancellationToken child = root.child();
    auto monitor = core::SignalMonitor::install(*lt.loop, root);
    REQUIRE(monitor.ok());
    CHECK((*monitor)->received() == 0);
    CHECK((*monitor)->exit_code() == 0);
    REQUIRE(::raise(c.sig) == 0);
    REQUIRE(wait_until([&] { return child.is_cancelled(); }));
    CHECK(root.is_cancelled());
    CHECK((*monitor)->received() == c.sig);
    CHECK((*monitor)->exit_code() == c.code);
}

TEST_CASE("SignalMonitor escalates on the second stop signal through the command's callback") {
    test_support::LoopThread lt(core::IoBackend::epoll);
    core::CancellationToken root;
    auto monitor = core::SignalMonitor::install(*lt.loop, root);
    REQUIRE(monitor.ok());
    std::atomic<int> escalated{0};
    (*monitor)->set_escalation([&](int sig) { escalated = sig; });
    REQUIRE(::kill(::getpid(), SIGTERM) == 0);
    REQUIRE(wait_until([&] { return root.is_cancelled(); }));
    CHECK(escalated.load() == 0);
    REQUIRE(::kill(::getpid(), SIGINT) == 0);
    REQUIRE(wait_until([&] { return escalated.load() != 0; }));
    CHECK(escalated.load() == SIGINT);
    // The first signal decides the exit code.
    CHECK((*monitor)->exit_code() == 143);
}

TEST_CASE("SignalMonitor ignores SIGPIPE while installed and restores every disposition afterwards") {
    struct sigaction before_pipe = current_disposition(SIGPIPE);
    struct sigaction before_int = current_disposition(SIGINT);
    {
        test_support::LoopThread lt(core::IoBackend::epoll);
        auto monitor = core::SignalMonitor::install(*lt.loop, core::CancellationToken());
        REQUIRE(monitor.ok());
        CHECK((current_disposition(SIGPIPE).sa_handler == SIG_IGN));
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        ::close(fds[0]);
        errno = 0;
        // Without the monitor this write would kill the test process.
        CHECK(::write(fds[1], "x", 1) == -1);
        CHECK(errno == EPIPE);
        ::close(fds[1]);
    }
    CHECK((current_disposition(SIGPIPE).sa_handler == before_pipe.sa_handler));
    CHECK((current_disposition(SIGINT).sa_handler == before_int.sa_handler));
}

namespace {

// The SigIgn mask of /proc/self/status as a child spawned through the runtime sees it.
std::uint64_t child_ignored_mask(test_support::LoopThread& lt) {
    core::ProcessSpec spec;
    spec.argv = {"grep", "SigIgn", "/proc/self/status"};
    auto result = core::spawn_process(*lt.loop, std::move(spec)).wait();
    REQUIRE(result.ok());
    REQUIRE(result->success());
    auto colon = result->stdout_text.find(':');
    REQUIRE(colon != std::string::npos);
    return std::stoull(result->stdout_text.substr(colon + 1), nullptr, 16);
}

// Ignores `sig` for the scope and puts its disposition back afterwards (a failed REQUIRE included), for the
// tests that run after.
class IgnoredFor {
public:
    explicit IgnoredFor(int sig) : m_sig(sig), m_saved(current_disposition(sig)) {
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        sigemptyset(&ignore.sa_mask);
        REQUIRE(::sigaction(sig, &ignore, nullptr) == 0);
    }
    ~IgnoredFor() { ::sigaction(m_sig, &m_saved, nullptr); }
    IgnoredFor(const IgnoredFor&) = delete;
    IgnoredFor& operator=(const IgnoredFor&) = delete;

private:
    int m_sig;
    struct sigaction m_saved;
};

bool in_mask(std::uint64_t mask, int sig) {
    return ((mask >> (sig - 1)) & 1U) != 0;
}

} // namespace

TEST_CASE("SignalMonitor leaves a stop signal ignored by its caller ignored, in children too") {
    IgnoredFor ignored(SIGHUP); // what nohup does before it execs us
    {
        test_support::LoopThread lt(core::IoBackend::epoll);
        core::CancellationToken root;
        auto monitor = core::SignalMonitor::install(*lt.loop, root);
        REQUIRE(monitor.ok());
        CHECK((*monitor)->ignored_by_caller(SIGHUP));
        CHECK_FALSE((*monitor)->ignored_by_caller(SIGTERM));
        CHECK_FALSE((*monitor)->ignored_by_caller(SIGPIPE));
        CHECK((current_disposition(SIGHUP).sa_handler == SIG_IGN));

        // Still alive after it (the default would have ended the test run) and nothing was received: the
        // SIGTERM after it is the first stop signal the monitor handled.
        REQUIRE(::kill(::getpid(), SIGHUP) == 0);
        REQUIRE(::raise(SIGTERM) == 0);
        REQUIRE(wait_until([&] { return root.is_cancelled(); }));
        CHECK((*monitor)->received() == SIGTERM);
        CHECK((*monitor)->exit_code() == 143);

        // A child ignores SIGHUP as the whole job should; SIGTERM, which we handle, is its default there.
        std::uint64_t mask = child_ignored_mask(lt);
        CAPTURE(mask);
        CHECK(in_mask(mask, SIGHUP));
        CHECK_FALSE(in_mask(mask, SIGTERM));
        CHECK_FALSE(in_mask(mask, SIGPIPE));
    }
    // The monitor left the caller's ignore in place.
    CHECK((current_disposition(SIGHUP).sa_handler == SIG_IGN));
}

TEST_CASE("SignalMonitor: a stop signal not ignored by its caller is at its default in children") {
    REQUIRE((current_disposition(SIGHUP).sa_handler != SIG_IGN));
    test_support::LoopThread lt(core::IoBackend::epoll);
    auto monitor = core::SignalMonitor::install(*lt.loop, core::CancellationToken());
    REQUIRE(monitor.ok());
    CHECK_FALSE((*monitor)->ignored_by_caller(SIGHUP));
    std::uint64_t mask = child_ignored_mask(lt);
    CAPTURE(mask);
    CHECK_FALSE(in_mask(mask, SIGHUP));
    CHECK_FALSE(in_mask(mask, SIGPIPE));
}

TEST_CASE("a spawned child gets SIGXFSZ at its default although zsyncctl ignores it") {
    IgnoredFor ignored(SIGXFSZ); // what main() does
    test_support::LoopThread lt(core::IoBackend::epoll);
    std::uint64_t mask = child_ignored_mask(lt);
    CAPTURE(mask);
    CHECK_FALSE(in_mask(mask, SIGXFSZ));
}

TEST_CASE("SignalMonitor allows one monitor at a time") {
    test_support::LoopThread lt(core::IoBackend::epoll);
    auto first = core::SignalMonitor::install(*lt.loop, core::CancellationToken());
    REQUIRE(first.ok());
    auto second = core::SignalMonitor::install(*lt.loop, core::CancellationToken());
    CHECK_FALSE(second.ok());
    first->reset();
    auto third = core::SignalMonitor::install(*lt.loop, core::CancellationToken());
    CHECK(third.ok());
}

TEST_CASE("SignalMonitor delivers SIGWINCH to terminal subscribers until they unsubscribe") {
    test_support::LoopThread lt(core::IoBackend::epoll);
    core::CancellationToken root;
    auto monitor = core::SignalMonitor::install(*lt.loop, root);
    REQUIRE(monitor.ok());
    std::atomic<int> resized{0};
    auto id = (*monitor)->subscribe_terminal([&](core::TerminalEvent e) {
        if (e == core::TerminalEvent::resized) {
            ++resized;
        }
    });
    REQUIRE(::raise(SIGWINCH) == 0);
    REQUIRE(wait_until([&] { return resized.load() == 1; }));
    CHECK((*monitor)->unsubscribe(id));
    CHECK_FALSE((*monitor)->unsubscribe(id));
    REQUIRE(::raise(SIGWINCH) == 0);
    // A stop signal after the resize proves the loop handled the resize byte before it.
    REQUIRE(::raise(SIGINT) == 0);
    REQUIRE(wait_until([&] { return root.is_cancelled(); }));
    CHECK(resized.load() == 1);
}

TEST_CASE("SignalMonitor tells subscribers before Ctrl-Z stops the process and after SIGCONT") {
    test_support::LoopThread lt(core::IoBackend::epoll);
    auto monitor = core::SignalMonitor::install(*lt.loop, core::CancellationToken());
    REQUIRE(monitor.ok());
    std::mutex m;
    std::vector<core::TerminalEvent> events;
    (*monitor)->subscribe_terminal([&](core::TerminalEvent e) {
        std::lock_guard<std::mutex> lock(m);
        events.push_back(e);
    });
    // Something outside must continue us: a stopped process cannot send itself SIGCONT.
    pid_t helper = start_shell("sleep 0.3; kill -CONT " + std::to_string(::getpid()));
    REQUIRE(::raise(SIGTSTP) == 0);
    REQUIRE(wait_until([&] {
        std::lock_guard<std::mutex> lock(m);
        return events.size() >= 2;
    }));
    int status = 0;
    REQUIRE(::waitpid(helper, &status, 0) == helper);
    std::lock_guard<std::mutex> lock(m);
    CHECK(events[0] == core::TerminalEvent::suspending);
    CHECK(events[1] == core::TerminalEvent::resumed);
}

TEST_CASE("SignalMonitor exit hooks run once, newest first") {
    test_support::LoopThread lt(core::IoBackend::epoll);
    auto monitor = core::SignalMonitor::install(*lt.loop, core::CancellationToken());
    REQUIRE(monitor.ok());
    std::string order;
    (*monitor)->add_exit_hook([&] { order += "a"; });
    auto removed = (*monitor)->add_exit_hook([&] { order += "x"; });
    (*monitor)->add_exit_hook([&] { order += "b"; });
    CHECK((*monitor)->unsubscribe(removed));
    (*monitor)->run_exit_hooks();
    (*monitor)->run_exit_hooks();
    CHECK(order == "ba");
}

TEST_CASE("SignalMonitor: a SIGINT ends and reaps a child spawned under the root token") {
    for (core::IoBackend backend : test_support::backends()) {
        CAPTURE(backend);
        test_support::LoopThread lt(backend);
        core::CancellationToken root;
        auto monitor = core::SignalMonitor::install(*lt.loop, root);
        REQUIRE(monitor.ok());
        core::ProcessSpec spec;
        spec.argv = {"/bin/sh", "-c", "exec sleep 30"};
        auto control = std::make_shared<core::ProcessControl>();
        spec.control = control;
        auto started = std::chrono::steady_clock::now();
        auto future = core::spawn_process(*lt.loop, std::move(spec), root.child());
        pid_t pid = 0;
        REQUIRE(wait_until([&] {
            lt.sync([&] { pid = control->pid(); });
            return pid != 0;
        }));
        REQUIRE(::raise(SIGINT) == 0);
        auto result = future.wait();
        REQUIRE(result.ok());
        CHECK(result->outcome == core::ProcessOutcome::cancelled);
        CHECK(std::chrono::steady_clock::now() - started < 10s);
        // Reaped by the runtime: it is no longer our child (waitpid fails with ECHILD).
        CHECK(::waitpid(pid, nullptr, WNOHANG) == -1);
        CHECK((*monitor)->exit_code() == 130);
    }
}

TEST_CASE(
    "SignalMonitor's default escalation kills every live child: kill_live_children reaches their groups") {
    test_support::LoopThread lt(core::IoBackend::epoll);
    core::ProcessSpec spec;
    // Ignores the polite signals, like a manager that would outlive an exit at once.
    spec.argv = {"/bin/sh", "-c", "trap '' TERM INT; /bin/sleep 30 & wait; wait"};
    auto control = std::make_shared<core::ProcessControl>();
    spec.control = control;
    auto future = core::spawn_process(*lt.loop, std::move(spec));
    pid_t pid = 0;
    REQUIRE(wait_until([&] {
        lt.sync([&] { pid = control->pid(); });
        return pid != 0;
    }));
    core::process_detail::kill_live_children(SIGKILL);
    auto result = future.wait();
    REQUIRE(result.ok());
    CHECK(result->outcome == core::ProcessOutcome::killed);
    CHECK(result->signal == SIGKILL);
    // Reaped children are forgotten: nothing is signalled twice (a recycled pid is never hit).
    core::process_detail::kill_live_children(SIGKILL);
}
