#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "core/event_loop.hpp"
#include "pkg/install/install.hpp"
#include "pkg/registry/registry.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// A process that holds one of a manager's lock files.
struct LockHolder {
    pid_t pid = 0;
    std::string name; // its command name ("dpkg", "python3"), "" when it is gone
    std::string path; // the lock file on the host
};

/// The first of `locks` (absolute paths inside `root`, fcntl record locks or flock(2) locks) that a process
/// accepted by `accept(pid)` holds; nullopt when none is (a missing or non-regular file is not a lock). Never
/// fails; any thread.
std::optional<LockHolder> find_lock_holder(const util::Root& root, const std::vector<std::string_view>& locks,
                                           const std::function<bool(pid_t)>& accept);

/// The first of `locks` (absolute paths inside `root`, held while the file exists: pacman's db.lck)
/// whose live holder is accepted by `accept(pid)`: the PID written in the file, else a process that has it
/// open. nullopt when none (a file without a live holder is stale, not held). Never fails; any thread.
std::optional<LockHolder> find_presence_holder(const util::Root& root,
                                               const std::vector<std::string_view>& locks,
                                               const std::function<bool(pid_t)>& accept);

/// Waits on the calling thread, polling every 200 ms, until no process outside our own tree holds one of
/// `locks` (fcntl or flock locks) or `presence_locks` (see find_presence_holder); `on_wait(holder)` runs each
/// time the holder changes, `on_acquired()` once after a wait. Fails with interrupted when `interrupt` is
/// cancelled and timeout after `limit` (naming the holder).
util::Result<void> wait_for_locks(const util::Root& root, const std::vector<std::string_view>& locks,
                                  const std::vector<std::string_view>& presence_locks,
                                  const core::CancellationToken& interrupt, std::chrono::milliseconds limit,
                                  const std::function<void(const LockHolder&)>& on_wait,
                                  const std::function<void()>& on_acquired);

/// True when `pid` is this process or one of its descendants.
bool in_our_tree(pid_t pid);

/// The manager's repair_command with its state_root_args under a non-host `root` ("dpkg --root=DIR
/// --configure -a"); "" when it has none.
std::string repair_command(const Manager& manager, const util::Root& root);

/// Runs the manager's state_query (with `names`) and audit_command on `loop` (the caller is not the loop
/// thread), under `root` with state_root_args; unchecked when the manager has none or they cannot run.
FinalState read_final_state(core::EventLoop& loop, const Manager& manager,
                            const std::vector<std::string>& names, const util::Root& root);

} // namespace zsyncctl::pkg
