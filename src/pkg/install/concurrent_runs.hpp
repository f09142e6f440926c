#pragma once

#include <sys/types.h>

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace zsyncctl::pkg {

/// The order in which several managers may run in one command: one sequence per lock family (the
/// registry's install_lock_group: apt, dpkg and nala share "dpkg", dnf/yum/rpm "rpmdb", pacman and its
/// helpers "pacman-db"), each holding the indexes of `managers` in the order given. The managers of one
/// sequence run one after another, the sequences at the same time. An id the registry does not know is a
/// family of its own. Never fails.
std::vector<std::vector<std::size_t>> schedule_by_lock_group(const std::vector<std::string>& managers);

/// The plans of one command running at the same time (execute_plan with ExecuteOptions::concurrent), so
/// that one run's clean-up after an interrupt never stops another's processes: each run says which
/// process is its manager, and which transaction locks its manager's processes take. Thread-safe.
class ConcurrentRuns {
public:
    /// Adds a run whose manager takes `transaction_locks`; returns its id for the calls below.
    std::size_t add(const std::vector<std::string_view>& transaction_locks);
    /// Records the run's manager process while it runs (0: none runs now).
    void set_main(std::size_t id, pid_t pid);
    /// The manager processes of the other runs that run now (never `id`'s own).
    std::vector<pid_t> other_mains(std::size_t id) const;
    /// Every run's transaction locks (each once): a process of ours holding one of them is mid-
    /// transaction, whichever run it belongs to.
    std::vector<std::string_view> all_transaction_locks() const;

private:
    struct Entry {
        std::vector<std::string_view> locks;
        pid_t main = 0;
    };
    mutable std::mutex m_mutex;
    std::vector<Entry> m_runs;
};

} // namespace zsyncctl::pkg
