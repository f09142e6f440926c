#include "pkg/install/concurrent_runs.hpp"

#include <algorithm>

#include "pkg/registry/registry.hpp"

namespace zsyncctl::pkg {

std::vector<std::vector<std::size_t>> schedule_by_lock_group(const std::vector<std::string>& managers) {
    std::vector<std::string> families;
    std::vector<std::vector<std::size_t>> out;
    for (std::size_t i = 0; i < managers.size(); ++i) {
        const Manager* m = find_manager(managers[i]);
        std::string family = m != nullptr ? std::string(install_lock_group(*m)) : managers[i];
        auto at = std::find(families.begin(), families.end(), family);
        if (at == families.end()) {
            families.push_back(family);
            out.push_back({i});
        } else {
            out[static_cast<std::size_t>(at - families.begin())].push_back(i);
        }
    }
    return out;
}

std::size_t ConcurrentRuns::add(const std::vector<std::string_view>& transaction_locks) {
    std::lock_guard lock(m_mutex);
    m_runs.push_back({transaction_locks, 0});
    return m_runs.size() - 1;
}

void ConcurrentRuns::set_main(std::size_t id, pid_t pid) {
    std::lock_guard lock(m_mutex);
    if (id < m_runs.size()) {
        m_runs[id].main = pid;
    }
}

std::vector<pid_t> ConcurrentRuns::other_mains(std::size_t id) const {
    std::lock_guard lock(m_mutex);
    std::vector<pid_t> out;
    for (std::size_t i = 0; i < m_runs.size(); ++i) {
        if (i != id && m_runs[i].main > 0) {
            out.push_back(m_runs[i].main);
        }
    }
    return out;
}

std::vector<std::string_view> ConcurrentRuns::all_transaction_locks() const {
    std::lock_guard lock(m_mutex);
    std::vector<std::string_view> out;
    for (const auto& run : m_runs) {
        for (std::string_view l : run.locks) {
            if (std::find(out.begin(), out.end(), l) == out.end()) {
                out.push_back(l);
            }
        }
    }
    return out;
}

} // namespace zsyncctl::pkg
