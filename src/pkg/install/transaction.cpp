#include "pkg/install/transaction.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <thread>

#include "core/process.hpp"
#include "core/process_tree.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

std::optional<LockHolder> find_lock_holder(const util::Root& root, const std::vector<std::string_view>& locks,
                                           const std::function<bool(pid_t)>& accept) {
    for (std::string_view lock : locks) {
        // Read-only and non-blocking: a lock file is only asked who holds it, never written or waited on.
        auto fd = root.open_file(lock, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (!fd) {
            continue;
        }
        struct stat st {};
        std::optional<pid_t> pid;
        if (::fstat(*fd, &st) == 0 && S_ISREG(st.st_mode)) {
            pid = core::lock_holder(*fd);
            if (!pid) {
                pid = core::flock_holder(st.st_dev, st.st_ino); // apk locks with flock(2)
            }
        }
        ::close(*fd);
        if (pid && accept(*pid)) {
            return LockHolder{*pid, core::process_name(*pid), root.resolve(lock).string()};
        }
    }
    return std::nullopt;
}

std::optional<LockHolder> find_presence_holder(const util::Root& root,
                                               const std::vector<std::string_view>& locks,
                                               const std::function<bool(pid_t)>& accept) {
    for (std::string_view lock : locks) {
        auto fd = root.open_file(lock, O_RDONLY | O_NONBLOCK | O_NOCTTY);
        if (!fd) {
            continue; // no file: not held
        }
        struct stat st {};
        std::vector<pid_t> holders;
        if (::fstat(*fd, &st) == 0 && S_ISREG(st.st_mode)) {
            char buf[32] = {};
            ssize_t n = ::read(*fd, buf, sizeof buf - 1);
            auto written =
                n > 0 ? util::parse_int(util::trim(std::string_view(buf, static_cast<std::size_t>(n))))
                      : std::nullopt;
            if (written && *written > 0 && ::kill(static_cast<pid_t>(*written), 0) == 0) {
                holders.push_back(static_cast<pid_t>(*written));
            } else {
                holders = core::processes_with_file_open(st.st_dev, st.st_ino);
                std::erase(holders, ::getpid()); // our own look at it
            }
        }
        ::close(*fd);
        for (pid_t pid : holders) {
            if (accept(pid)) {
                return LockHolder{pid, core::process_name(pid), root.resolve(lock).string()};
            }
        }
    }
    return std::nullopt;
}

bool in_our_tree(pid_t pid) {
    if (pid == ::getpid()) {
        return true;
    }
    for (pid_t p : core::descendants_of(::getpid())) {
        if (p == pid) {
            return true;
        }
    }
    return false;
}

util::Result<void> wait_for_locks(const util::Root& root, const std::vector<std::string_view>& locks,
                                  const std::vector<std::string_view>& presence_locks,
                                  const core::CancellationToken& interrupt, std::chrono::milliseconds limit,
                                  const std::function<void(const LockHolder&)>& on_wait,
                                  const std::function<void()>& on_acquired) {
    if (locks.empty() && presence_locks.empty()) {
        return util::ok();
    }
    auto foreign = [](pid_t pid) {
        return !in_our_tree(pid);
    };
    auto deadline = std::chrono::steady_clock::now() + limit;
    pid_t announced = 0;
    auto find = [&] {
        auto held = find_lock_holder(root, locks, foreign);
        return held ? held : find_presence_holder(root, presence_locks, foreign);
    };
    while (auto holder = find()) {
        if (holder->pid != announced && on_wait) {
            on_wait(*holder);
        }
        announced = holder->pid;
        if (interrupt.is_cancelled()) {
            return util::fail(util::ErrorKind::interrupted,
                              "interrupted while waiting for " + holder->path + " (held by PID " +
                                  std::to_string(holder->pid) + "); nothing was run");
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            auto seconds = std::chrono::duration_cast<std::chrono::seconds>(limit).count();
            return util::fail(util::ErrorKind::timeout,
                              holder->path + " is still held by PID " + std::to_string(holder->pid) + " (" +
                                  util::sanitize_for_display(holder->name) + ") after " +
                                  std::to_string(seconds) + " s; nothing was run",
                              "try again when it has finished");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (announced != 0 && on_acquired) {
        on_acquired();
    }
    if (interrupt.is_cancelled()) {
        return util::fail(util::ErrorKind::interrupted, "interrupted; nothing was run");
    }
    return util::ok();
}

namespace {

std::vector<std::string> expand_root(const std::vector<std::string_view>& args, const util::Root& root) {
    std::vector<std::string> out;
    std::string dir = root.dir().string();
    for (std::string_view a : args) {
        std::string arg;
        std::size_t at = 0;
        for (std::size_t found = a.find("{root}"); found != std::string_view::npos;
             found = a.find("{root}", at)) {
            arg.append(a.substr(at, found - at)).append(dir);
            at = found + 6;
        }
        arg.append(a.substr(at));
        out.push_back(std::move(arg));
    }
    return out;
}

/// Runs `argv` to its end (30 s at most) and returns its stdout, or nullopt when it could not run.
std::optional<core::ProcessResult> run_quietly(core::EventLoop& loop, std::vector<std::string> argv) {
    core::ProcessSpec spec;
    spec.argv = std::move(argv);
    spec.set_env("LC_ALL", "C");
    spec.timeout = std::chrono::seconds(30);
    spec.capture_limit = 1U << 20;
    auto result = core::spawn_process(loop, std::move(spec)).wait();
    if (!result) {
        return std::nullopt;
    }
    return std::move(*result);
}

} // namespace

namespace {

/// `base` with the manager's state_root_args (expanded for a non-host `root`) after argv[0].
std::vector<std::string> with_root_args(const InstallFacts& facts, const std::vector<std::string_view>& base,
                                        const util::Root& root) {
    std::vector<std::string> argv{std::string(base.front())};
    if (!root.is_host()) {
        auto extra = expand_root(facts.state_root_args, root);
        argv.insert(argv.end(), extra.begin(), extra.end());
    }
    for (std::size_t i = 1; i < base.size(); ++i) {
        argv.emplace_back(base[i]);
    }
    return argv;
}

} // namespace

std::string repair_command(const Manager& manager, const util::Root& root) {
    if (manager.install.repair_command.empty()) {
        return {};
    }
    return util::join(with_root_args(manager.install, util::split(manager.install.repair_command, ' '), root),
                      " ");
}

FinalState read_final_state(core::EventLoop& loop, const Manager& manager,
                            const std::vector<std::string>& names, const util::Root& root) {
    FinalState state;
    const InstallFacts& facts = manager.install;
    if (facts.state_query.empty()) {
        return state;
    }
    auto with_root = [&](const std::vector<std::string_view>& base) {
        return with_root_args(facts, base, root);
    };
    auto query = with_root(facts.state_query);
    for (const std::string& name : names) {
        query.push_back(name.substr(0, name.find('='))); // "name=version": the package is "name"
    }
    auto queried = run_quietly(loop, query);
    // dpkg-query exits 1 when a name is unknown; anything else is a database it could not read.
    if (!queried || queried->outcome != core::ProcessOutcome::exited || queried->exit_code > 1) {
        return state;
    }
    for (const std::string& name : names) {
        std::string bare = name.substr(0, name.find('='));
        std::string found = "not-installed";
        for (std::string_view line : util::split_lines(queried->stdout_text)) {
            auto tab = line.find('\t');
            if (tab == std::string_view::npos || line.substr(0, tab) != bare.substr(0, bare.find(':'))) {
                continue;
            }
            std::string_view status = util::trim(line.substr(tab + 1));
            auto space = status.rfind(' ');
            found = std::string(space == std::string_view::npos ? status : status.substr(space + 1));
        }
        state.packages.emplace_back(bare, found);
    }
    state.checked = true;
    if (!facts.audit_command.empty()) {
        auto audit = run_quietly(loop, with_root(facts.audit_command));
        if (!audit || audit->outcome != core::ProcessOutcome::exited || audit->exit_code > 1) {
            state.checked = false; // a database that cannot be audited is no report of its state
            return state;
        }
        std::string_view text = util::trim(audit->stdout_text);
        state.audit_clean = audit->success() && text.empty();
        state.audit_output = std::string(text.substr(0, 2000));
    }
    state.repair_command = repair_command(manager, root);
    return state;
}

} // namespace zsyncctl::pkg
