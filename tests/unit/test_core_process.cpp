#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "core/process.hpp"
#include "core/process_tree.hpp"
#include "core/runtime.hpp"
#include "core_loop_helpers.hpp"
#include "temp_dir.hpp"
#include "util/strings.hpp"

using namespace zsyncctl;
using namespace std::chrono_literals;
using namespace test_support;

namespace {

struct Mode {
    core::IoBackend backend;
    core::Reaper reaper;
};

/// Every backend with the pidfd reaper, plus epoll with the SIGCHLD scheme.
std::vector<Mode> modes() {
    std::vector<Mode> out;
    for (core::IoBackend b : backends()) {
        out.push_back({b, core::Reaper::automatic});
    }
    out.push_back({core::IoBackend::epoll, core::Reaper::sigchld});
    return out;
}

core::ProcessSpec sh(const std::string& script, core::Reaper reaper) {
    core::ProcessSpec spec;
    spec.argv = {"/bin/sh", "-c", script};
    spec.reaper = reaper;
    return spec;
}

util::Result<core::ProcessResult> await(core::Future<core::ProcessResult> f) {
    return f.wait_for(30s);
}

/// True once `pid` no longer exists or is a zombie (dead, waiting for a parent that is not us).
bool gone(pid_t pid) {
    for (int i = 0; i < 500; ++i) {
        if (::kill(pid, 0) != 0 && errno == ESRCH) {
            return true;
        }
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string line;
        if (!std::getline(stat, line)) {
            return true;
        }
        auto close = line.rfind(')');
        if (close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z') {
            return true;
        }
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

pid_t first_line_pid(const std::string& text) {
    auto lines = util::split_lines(text);
    REQUIRE_FALSE(lines.empty());
    auto pid = util::parse_int(lines.front());
    REQUIRE(pid.has_value());
    return static_cast<pid_t>(*pid);
}

std::string name_of(const Mode& m) {
    return std::string(core::to_string(m.backend)) +
           (m.reaper == core::Reaper::sigchld ? "+sigchld" : "+pidfd");
}

} // namespace

TEST_CASE("Process delivers stdout and stderr line by line and captures them") {
    for (Mode mode : modes()) {
        std::string mode_name = name_of(mode);
        CAPTURE(mode_name);
        LoopThread lt(mode.backend);
        std::vector<std::string> out_lines; // loop thread
        std::vector<std::string> err_lines;
        auto spec = sh("printf 'alpha\\nbeta\\n'; echo oops >&2; printf 'partial'; exit 3", mode.reaper);
        spec.on_stdout_line = [&](std::string_view l) {
            out_lines.emplace_back(l);
        };
        spec.on_stderr_line = [&](std::string_view l) {
            err_lines.emplace_back(l);
        };
        auto r = await(core::spawn_process(*lt.loop, std::move(spec)));
        REQUIRE(r.ok());
        CHECK(r->outcome == core::ProcessOutcome::exited);
        CHECK(r->exit_code == 3);
        CHECK_FALSE(r->success());
        CHECK(r->describe() == "exited with code 3");
        CHECK(r->stdout_text == "alpha\nbeta\npartial");
        CHECK(r->stderr_text == "oops\n");
        CHECK(r->used_pidfd == (mode.reaper == core::Reaper::automatic));
        lt.sync([&] {
            CHECK(out_lines == std::vector<std::string>{"alpha", "beta", "partial"});
            CHECK(err_lines == std::vector<std::string>{"oops"});
            CHECK(lt.loop->watch_count() == 0);
            CHECK_MESSAGE(lt.loop->timer_count() == 0, mode_name);
        });
    }
}

TEST_CASE("Process runs 100 concurrent children") {
    for (Mode mode : modes()) {
        std::string mode_name = name_of(mode);
        CAPTURE(mode_name);
        LoopThread lt(mode.backend);
        std::vector<core::Future<core::ProcessResult>> futures;
        for (int i = 0; i < 100; ++i) {
            core::ProcessSpec spec;
            spec.argv = {"/bin/sh", "-c", "echo child-$1; exit $(($1 % 7))", "sh", std::to_string(i)};
            spec.reaper = mode.reaper;
            futures.push_back(core::spawn_process(*lt.loop, std::move(spec)));
        }
        for (int i = 0; i < 100; ++i) {
            auto r = await(std::move(futures[static_cast<std::size_t>(i)]));
            REQUIRE(r.ok());
            CHECK(r->exit_code == i % 7);
            CHECK(r->stdout_text == "child-" + std::to_string(i) + "\n");
        }
        lt.sync([&] { CHECK(lt.loop->watch_count() == 0); });
    }
}

TEST_CASE("Process that hangs is killed at the deadline with its whole group") {
    for (Mode mode : modes()) {
        std::string mode_name = name_of(mode);
        CAPTURE(mode_name);
        LoopThread lt(mode.backend);
        SUBCASE("SIGTERM is enough") {
            // The grandchild prints its pid, then the child waits forever.
            auto spec = sh("sleep 30 & echo $!; wait", mode.reaper);
            spec.timeout = 300ms;
            spec.kill_grace = 5s;
            auto r = await(core::spawn_process(*lt.loop, std::move(spec)));
            REQUIRE(r.ok());
            CHECK(r->outcome == core::ProcessOutcome::timed_out);
            CHECK(r->signal == SIGTERM);
            CHECK(r->elapsed >= 300ms);
            CHECK(r->elapsed < 4s);
            CHECK(gone(first_line_pid(r->stdout_text)));
        }
        SUBCASE("SIGKILL after the grace period when SIGTERM is ignored") {
            auto spec = sh("trap '' TERM; sleep 30 & echo $!; wait; wait", mode.reaper);
            spec.timeout = 200ms;
            spec.kill_grace = 300ms;
            auto r = await(core::spawn_process(*lt.loop, std::move(spec)));
            REQUIRE(r.ok());
            CHECK(r->outcome == core::ProcessOutcome::timed_out);
            CHECK(r->signal == SIGKILL);
            CHECK(r->describe() == "timed out (killed by SIGKILL)");
            CHECK(r->elapsed >= 500ms);
            CHECK(gone(first_line_pid(r->stdout_text)));
        }
    }
}

TEST_CASE("Process writing 50 MB does not deadlock and keeps only the capture tail") {
    for (Mode mode : modes()) {
        std::string mode_name = name_of(mode);
        CAPTURE(mode_name);
        LoopThread lt(mode.backend);
        constexpr std::size_t k_total = 50U << 20;
        core::ProcessSpec spec;
        spec.argv = {"head", "-c", std::to_string(k_total), "/dev/zero"};
        spec.capture_limit = 1U << 20;
        spec.reaper = mode.reaper;
        auto r = await(core::spawn_process(*lt.loop, std::move(spec)));
        REQUIRE(r.ok());
        CHECK(r->success());
        CHECK(r->stdout_text.size() == (1U << 20));
        CHECK(r->stdout_dropped == k_total - (1U << 20));
    }
}

TEST_CASE("Process that exits before we read still delivers its output") {
    for (Mode mode : modes()) {
        std::string mode_name = name_of(mode);
        CAPTURE(mode_name);
        LoopThread lt(mode.backend);
        // Keep the loop busy so the child has exited before its pipes are registered.
        lt.loop->post([] { std::this_thread::sleep_for(300ms); });
        auto spec = sh("echo fast; echo err >&2", mode.reaper);
        auto f = core::spawn_process(*lt.loop, std::move(spec));
        auto r = await(std::move(f));
        REQUIRE(r.ok());
        CHECK(r->success());
        CHECK(r->stdout_text == "fast\n");
        CHECK(r->stderr_text == "err\n");
    }
}

TEST_CASE("Process completes when a grandchild keeps the pipe open") {
    for (Mode mode : modes()) {
        std::string mode_name = name_of(mode);
        CAPTURE(mode_name);
        LoopThread lt(mode.backend);
        auto spec = sh("sleep 30 & echo $!; echo started", mode.reaper);
        spec.drain_after_exit = 200ms;
        auto r = await(core::spawn_process(*lt.loop, std::move(spec)));
        REQUIRE(r.ok());
        CHECK(r->success());
        CHECK(r->output_cut_off);
        CHECK(r->elapsed < 5s);
        CHECK(r->stdout_text.find("started\n") != std::string::npos);
        pid_t grandchild = first_line_pid(r->stdout_text);
        ::kill(grandchild, SIGKILL);
    }
}

TEST_CASE("Process cancellation mid-run ends the child") {
    for (Mode mode : modes()) {
        std::string mode_name = name_of(mode);
        CAPTURE(mode_name);
        LoopThread lt(mode.backend);
        core::CancellationToken token;
        auto spec = sh("echo begin; sleep 30 & echo $!; wait", mode.reaper);
        spec.kill_grace = 5s;
        int lines = 0;
        spec.on_stdout_line = [&, token](std::string_view) {
            if (++lines == 2) {
                token.cancel(); // from the loop thread, as a progress callback would
            }
        };
        auto r = await(core::spawn_process(*lt.loop, std::move(spec), token));
        REQUIRE(r.ok());
        CHECK(r->outcome == core::ProcessOutcome::cancelled);
        CHECK(r->signal == SIGTERM);
        CHECK(r->elapsed < 5s);
        CHECK(util::split_lines(r->stdout_text).front() == "begin");
        CHECK(gone(static_cast<pid_t>(*util::parse_int(util::split_lines(r->stdout_text)[1]))));

        // Cancelled from another thread, and already cancelled before the start.
        core::CancellationToken other;
        auto f = core::spawn_process(*lt.loop, sh("sleep 30", mode.reaper), other);
        std::this_thread::sleep_for(50ms);
        other.cancel();
        auto r2 = await(std::move(f));
        REQUIRE(r2.ok());
        CHECK(r2->outcome == core::ProcessOutcome::cancelled);
        auto r3 = await(core::spawn_process(*lt.loop, sh("sleep 30", mode.reaper), other));
        REQUIRE(r3.ok());
        CHECK(r3->outcome == core::ProcessOutcome::cancelled);
    }
}

TEST_CASE("Process with a missing executable or directory fails with not_found") {
    for (Mode mode : modes()) {
        std::string mode_name = name_of(mode);
        CAPTURE(mode_name);
        LoopThread lt(mode.backend);
        core::ProcessSpec spec;
        spec.argv = {"zsyncctl-no-such-program-xyz", "--version"};
        auto r = await(core::spawn_process(*lt.loop, std::move(spec)));
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().kind == util::ErrorKind::not_found);
        CHECK(r.error().message.find("zsyncctl-no-such-program-xyz") != std::string::npos);

        core::ProcessSpec path_spec;
        path_spec.argv = {"/nonexistent/dir/tool"};
        auto r2 = await(core::spawn_process(*lt.loop, std::move(path_spec)));
        REQUIRE_FALSE(r2.ok());
        CHECK(r2.error().kind == util::ErrorKind::not_found);

        auto cwd_spec = sh("true", mode.reaper);
        cwd_spec.cwd = "/nonexistent/cwd";
        auto r3 = await(core::spawn_process(*lt.loop, std::move(cwd_spec)));
        REQUIRE_FALSE(r3.ok());
        CHECK(r3.error().kind == util::ErrorKind::not_found);
        CHECK(r3.error().message.find("working directory") != std::string::npos);

        core::ProcessSpec empty;
        CHECK(await(core::spawn_process(*lt.loop, std::move(empty))).error().kind ==
              util::ErrorKind::invalid_input);
        lt.sync([&] { CHECK(lt.loop->watch_count() == 0); });
    }
}

TEST_CASE("Process extra output fds are read line by line") {
    for (Mode mode : modes()) {
        std::string mode_name = name_of(mode);
        CAPTURE(mode_name);
        LoopThread lt(mode.backend);
        std::vector<std::string> fd3;
        std::vector<std::string> fd7;
        auto spec = sh("echo one >&3; echo status >&7; echo out; echo two >&3; printf last >&7", mode.reaper);
        spec.extra_outputs.push_back({3, [&](std::string_view l) {
                                          fd3.emplace_back(l);
                                      }});
        spec.extra_outputs.push_back({7, [&](std::string_view l) {
                                          fd7.emplace_back(l);
                                      }});
        auto r = await(core::spawn_process(*lt.loop, std::move(spec)));
        REQUIRE(r.ok());
        CHECK(r->success());
        CHECK(r->stdout_text == "out\n");
        CHECK(r->extra_text[3] == "one\ntwo\n");
        CHECK(r->extra_text[7] == "status\nlast");
        lt.sync([&] {
            CHECK(fd3 == std::vector<std::string>{"one", "two"});
            CHECK(fd7 == std::vector<std::string>{"status", "last"});
        });
        auto bad = sh("true", mode.reaper);
        bad.extra_outputs.push_back({1, nullptr});
        CHECK(await(core::spawn_process(*lt.loop, std::move(bad))).error().kind ==
              util::ErrorKind::invalid_input);
    }
}

TEST_CASE("Process on a terminal: the child has a controlling terminal, its size and typed input") {
    for (Mode mode : modes()) {
        std::string mode_name = name_of(mode);
        CAPTURE(mode_name);
        LoopThread lt(mode.backend);
        auto control = std::make_shared<core::ProcessControl>();
        std::vector<std::string> lines; // loop thread
        std::string raw;
        bool typed = false;
        auto spec =
            sh("[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty; "
               "(: </dev/tty) && echo ctty; stty size; echo ready; read answer; echo \"got:$answer\"; "
               "echo oops >&2",
               mode.reaper);
        spec.terminal = core::TerminalSpec{40, 100, [&](std::string_view bytes) {
                                               raw.append(bytes);
                                           }};
        spec.control = control;
        spec.on_stdout_line = [&, control](std::string_view l) {
            lines.emplace_back(l);
            if (l == "ready") {
                typed = control->pid() > 0 && control->write_terminal("yes\n");
            }
        };
        auto r = await(core::spawn_process(*lt.loop, std::move(spec)));
        REQUIRE(r.ok());
        CHECK(r->success());
        CHECK(r->stderr_text.empty());
        lt.sync([&] {
            CHECK(typed);
            // "yes" is the terminal's echo of what was typed.
            CHECK(lines ==
                  std::vector<std::string>{"all-tty", "ctty", "40 100", "ready", "yes", "got:yes", "oops"});
            CHECK(raw.find("got:yes\r\n") != std::string::npos);
            CHECK(control->pid() == 0);
            CHECK_FALSE(control->write_terminal("late"));
            CHECK_FALSE(control->signal(SIGTERM));
            CHECK(lt.loop->watch_count() == 0);
        });
    }
}

TEST_CASE("Process stop_signal and ProcessControl::signal reach the child's whole group") {
    for (Mode mode : modes()) {
        std::string mode_name = name_of(mode);
        CAPTURE(mode_name);
        LoopThread lt(mode.backend);

        SUBCASE("cancellation sends stop_signal first, and the rest of the group is killed") {
            core::CancellationToken token;
            auto spec = sh("trap 'echo got-int; exit 7' INT; sleep 30 & echo $!; wait", mode.reaper);
            spec.stop_signal = SIGINT;
            spec.kill_grace = 20s;
            spec.on_stdout_line = [token](std::string_view) {
                token.cancel();
            };
            auto r = await(core::spawn_process(*lt.loop, std::move(spec), token));
            REQUIRE(r.ok());
            CHECK(r->outcome == core::ProcessOutcome::cancelled);
            CHECK(r->exit_code == 7);
            CHECK(r->elapsed < 20s);
            CHECK(gone(first_line_pid(r->stdout_text)));
        }
        SUBCASE("a chosen signal, then SIGKILL, at the caller's moment") {
            auto control = std::make_shared<core::ProcessControl>();
            auto spec =
                sh("trap 'echo got-usr1' USR1; echo ready; while :; do sleep 0.05; done", mode.reaper);
            spec.control = control;
            std::vector<bool> sent; // loop thread
            spec.on_stdout_line = [&, control](std::string_view l) {
                sent.push_back(control->signal(l == "ready" ? SIGUSR1 : SIGKILL));
            };
            auto r = await(core::spawn_process(*lt.loop, std::move(spec)));
            REQUIRE(r.ok());
            CHECK(r->outcome == core::ProcessOutcome::killed);
            CHECK(r->signal == SIGKILL);
            CHECK(r->stdout_text == "ready\ngot-usr1\n");
            lt.sync([&] {
                CHECK(sent == std::vector<bool>{true, true});
                CHECK_FALSE(control->signal(SIGKILL));
                CHECK_FALSE(control->write_terminal("x")); // no terminal
            });
        }
    }
}

TEST_CASE("Process env overrides, cwd and stdin data reach the child") {
    for (Mode mode : modes()) {
        std::string mode_name = name_of(mode);
        CAPTURE(mode_name);
        LoopThread lt(mode.backend);
        std::filesystem::path dir =
            std::filesystem::temp_directory_path() / ("zsyncctl-proc-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        auto spec = sh("echo \"$ZSYNC_TEST_VAR|${HOME-unset}|$(pwd)\"; cat", mode.reaper);
        spec.set_env("ZSYNC_TEST_VAR", "first").set_env("ZSYNC_TEST_VAR", "value with spaces");
        spec.env_unset.push_back("HOME");
        spec.cwd = dir.string();
        spec.stdin_mode = core::StdinMode::pipe;
        spec.stdin_data = std::string(200000, 'x') + "\nend";
        auto r = await(core::spawn_process(*lt.loop, std::move(spec)));
        REQUIRE(r.ok());
        CHECK(r->success());
        auto first_nl = r->stdout_text.find('\n');
        REQUIRE(first_nl != std::string::npos);
        CHECK(r->stdout_text.substr(0, first_nl) ==
              "value with spaces|unset|" + std::filesystem::canonical(dir).string());
        CHECK(r->stdout_text.substr(first_nl + 1) == std::string(200000, 'x') + "\nend");

        // A child that does not read its stdin does not break us (EPIPE, no SIGPIPE death).
        auto ignore = sh("exec 0<&-; echo done", mode.reaper);
        ignore.stdin_mode = core::StdinMode::pipe;
        ignore.stdin_data = std::string(1U << 20, 'y');
        auto r2 = await(core::spawn_process(*lt.loop, std::move(ignore)));
        REQUIRE(r2.ok());
        CHECK(r2->stdout_text == "done\n");

        // PATH from the overrides is the one used to find argv[0].
        core::ProcessSpec via_path;
        via_path.argv = {"sh", "-c", "echo found"};
        via_path.set_env("PATH", "/nonexistent:/bin:/usr/bin");
        auto r3 = await(core::spawn_process(*lt.loop, std::move(via_path)));
        REQUIRE(r3.ok());
        CHECK(r3->stdout_text == "found\n");
        std::filesystem::remove_all(dir);
    }
}

TEST_CASE("Process on a runtime: spawned from pool threads, and killed when the runtime shuts down") {
    for (core::IoBackend backend : backends()) {
        CAPTURE(core::to_string(backend));
        core::Config config;
        config.execution_model = core::ExecutionModel::thread_pool;
        config.workers = 2;
        config.io_backend = backend;
        auto rt = core::Runtime::create(config);
        REQUIRE(rt.ok());
        core::Runtime& runtime = **rt;
        auto f = runtime.spawn([&]() -> util::Result<std::string> {
            core::ProcessSpec spec;
            spec.argv = {"echo", "from-pool"};
            auto r = core::spawn_process(runtime, std::move(spec)).wait_for(30s);
            if (!r) {
                return util::fail(std::move(r).error());
            }
            return r->stdout_text;
        });
        auto got = f.wait_for(30s);
        REQUIRE(got.ok());
        CHECK(*got == "from-pool\n");

        auto running = core::spawn_process(runtime, sh("echo $$; exec sleep 30", core::Reaper::automatic));
        std::this_thread::sleep_for(100ms);
        runtime.shutdown();
        auto r = running.wait_for(10s);
        REQUIRE_FALSE(r.ok());
        CHECK(core::runtime_errc(r.error()) == core::RuntimeErrc::RuntimeShutdown);
    }
}

TEST_CASE("Process run_process runs a child without a runtime") {
    auto r = core::run_process(sh("echo sync; exit 4", core::Reaper::automatic));
    REQUIRE(r.ok());
    CHECK(r->exit_code == 4);
    CHECK(r->stdout_text == "sync\n");
    core::ProcessSpec missing;
    missing.argv = {"zsyncctl-no-such-program-xyz"};
    auto m = core::run_process(std::move(missing));
    REQUIRE_FALSE(m.ok());
    CHECK(m.error().kind == util::ErrorKind::not_found);
    auto t = sh("sleep 30", core::Reaper::automatic);
    t.timeout = 100ms;
    auto timed = core::run_process(std::move(t));
    REQUIRE(timed.ok());
    CHECK(timed->outcome == core::ProcessOutcome::timed_out);
}

TEST_CASE("ProcessControl signal_leader reaches the child alone, not its group") {
    LoopThread lt(core::IoBackend::epoll);
    auto control = std::make_shared<core::ProcessControl>();
    auto spec = sh("trap 'echo got-int; exit 3' INT; sleep 30 >/dev/null 2>&1 & echo $!; wait",
                   core::Reaper::automatic);
    spec.control = control;
    pid_t sleeper = 0;
    spec.on_stdout_line = [&, control](std::string_view l) {
        if (sleeper == 0) {
            sleeper = static_cast<pid_t>(util::parse_int(l).value_or(0));
            control->signal_leader(SIGINT);
        }
    };
    auto r = await(core::spawn_process(*lt.loop, std::move(spec)));
    REQUIRE(r.ok());
    CHECK(r->exit_code == 3);
    REQUIRE(sleeper > 0);
    CHECK(::kill(sleeper, 0) == 0); // the rest of the group never got it
    ::kill(sleeper, SIGKILL);
    CHECK(gone(sleeper));
}

TEST_CASE("Process tree: descendants are seen, orphans adopted by a subreaper and reaped") {
    REQUIRE(core::become_subreaper());
    LoopThread lt(core::IoBackend::epoll);
    pid_t self = ::getpid();

    SUBCASE("a grandchild in a session of its own is a descendant while its parent runs") {
        std::vector<pid_t> seen;
        auto spec = sh("setsid sleep 30 >/dev/null 2>&1 & echo $!; sleep 0.3; echo check; wait",
                       core::Reaper::automatic);
        pid_t grandchild = 0;
        spec.on_stdout_line = [&](std::string_view l) {
            if (l == "check") {
                seen = core::descendants_of(self);
                ::kill(grandchild, SIGKILL);
            } else {
                grandchild = static_cast<pid_t>(util::parse_int(l).value_or(0));
            }
        };
        auto r = await(core::spawn_process(*lt.loop, std::move(spec)));
        REQUIRE(r.ok());
        REQUIRE(grandchild > 0);
        CHECK(std::find(seen.begin(), seen.end(), grandchild) != seen.end());
        CHECK(std::find(seen.begin(), seen.end(), r->pid) != seen.end());
    }
    SUBCASE("an orphan becomes our child, stays a descendant, and is reaped once it exits") {
        auto r = await(
            core::spawn_process(*lt.loop, sh("sleep 30 >/dev/null 2>&1 & echo $!", core::Reaper::automatic)));
        REQUIRE(r.ok());
        pid_t orphan = first_line_pid(r->stdout_text);
        auto left = core::descendants_of(self);
        CHECK(std::find(left.begin(), left.end(), orphan) != left.end());
        CHECK(core::process_name(orphan) == "sleep");
        ::kill(orphan, SIGKILL);
        bool reaped = false;
        for (int i = 0; i < 500 && !reaped; ++i) {
            core::reap_adopted_children();
            reaped = !std::filesystem::exists("/proc/" + std::to_string(orphan));
            std::this_thread::sleep_for(10ms);
        }
        CHECK(reaped); // not even a zombie is left
        left = core::descendants_of(self);
        CHECK(std::find(left.begin(), left.end(), orphan) == left.end());
        CHECK(core::process_name(orphan).empty());
    }
    ::prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
}

TEST_CASE("Process lock_holder names the pid holding an fcntl lock") {
    test::TempDir dir("lock");
    std::string path = (dir.path / "lock").string();
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    CHECK_FALSE(core::lock_holder(fd).has_value());
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    pid_t holder = ::fork();
    REQUIRE(holder >= 0);
    if (holder == 0) {
        // Async-signal-safe calls only: take the lock, say so, wait to be killed.
        int own = ::open(path.c_str(), O_RDWR);
        struct flock lk {};
        lk.l_type = F_WRLCK;
        lk.l_whence = SEEK_SET;
        if (own < 0 || ::fcntl(own, F_SETLK, &lk) != 0) {
            ::_exit(1);
        }
        char byte = 1;
        [[maybe_unused]] ssize_t n = ::write(ready[1], &byte, 1);
        ::pause();
        ::_exit(0);
    }
    char byte = 0;
    CHECK(::read(ready[0], &byte, 1) == 1);
    auto found = core::lock_holder(fd);
    REQUIRE(found.has_value());
    CHECK(*found == holder);
    ::kill(holder, SIGKILL);
    int status = 0;
    ::waitpid(holder, &status, 0);
    CHECK_FALSE(core::lock_holder(fd).has_value());
    ::close(fd);
    ::close(ready[0]);
    ::close(ready[1]);
}
