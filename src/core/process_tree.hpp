#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace zsyncctl::core {

/// Makes this process a child subreaper (PR_SET_CHILD_SUBREAPER): a descendant orphaned by its parent's
/// exit (dpkg after apt, a script's background job) is reparented to us instead of init, so it stays
/// visible in descendants_of(::getpid()) and can be waited for. Lasts for the life of the process;
/// idempotent; false where the kernel has no such option.
bool become_subreaper();

/// The pids of every live descendant of `ancestor` (children, grandchildren, ...; zombies excluded), read
/// from /proc in one pass, parents before their children. Empty when there is none or /proc is unreadable.
std::vector<pid_t> descendants_of(pid_t ancestor);

/// Reaps every child of ours that has exited and that spawn_process did not start (orphans adopted as
/// subreaper), so none stays a zombie; children spawn_process started are left to it. Returns how many
/// were reaped. Any thread.
std::size_t reap_adopted_children();

/// The command name of `pid` (/proc/PID/comm, at most 15 characters), or "" when it is gone.
std::string process_name(pid_t pid);

/// The pid holding a conflicting fcntl (POSIX record) lock on the whole of the open file `fd`, as
/// F_GETLK reports it; nullopt when the file is not locked, the lock is an open file description lock
/// (no pid), or fcntl fails.
std::optional<pid_t> lock_holder(int fd);

/// The pid that holds a flock(2) lock on the file `dev`/`ino` (apk's /lib/apk/db/lock), as /proc/locks
/// lists it (FLOCK lines; waiters, shown after "->", are not holders); nullopt when none does or
/// /proc/locks is unreadable.
std::optional<pid_t> flock_holder(dev_t dev, ino_t ino);

/// The pids of the processes that have the file `dev`/`ino` open (read from /proc/PID/fd; processes we
/// may not look into are skipped). Empty when there is none or /proc is unreadable.
std::vector<pid_t> processes_with_file_open(dev_t dev, ino_t ino);

} // namespace zsyncctl::core
