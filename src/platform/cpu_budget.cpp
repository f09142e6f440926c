#include "platform/cpu_budget.hpp"

#include <algorithm>
#include <cmath>
#include <sched.h>
#include <unistd.h>

#include "platform/cgroup.hpp"
#include "platform/proc_status.hpp"
#include "util/strings.hpp"

namespace zsyncctl::platform {

std::optional<unsigned> parse_cpu_list_count(std::string_view text) {
    text = util::trim(text);
    if (text.empty()) {
        return std::nullopt;
    }
    unsigned count = 0;
    for (std::string_view part : util::split(text, ',')) {
        auto dash = part.find('-');
        if (dash == std::string_view::npos) {
            if (!util::parse_uint(part)) {
                return std::nullopt;
            }
            ++count;
            continue;
        }
        auto lo = util::parse_uint(part.substr(0, dash));
        auto hi = util::parse_uint(part.substr(dash + 1));
        if (!lo || !hi || *hi < *lo || *hi - *lo > 65536) {
            return std::nullopt;
        }
        count += static_cast<unsigned>(*hi - *lo + 1);
    }
    return count;
}

std::optional<double> parse_cgroup2_cpu_max(std::string_view text) {
    auto fields = util::split(util::trim(text), ' ');
    if (fields.empty() || fields.size() > 2 || fields[0] == "max") {
        return std::nullopt;
    }
    auto quota = util::parse_uint(fields[0]);
    std::uint64_t period = 100000;
    if (fields.size() == 2) {
        auto p = util::parse_uint(fields[1]);
        if (!p) {
            return std::nullopt;
        }
        period = *p;
    }
    if (!quota || *quota == 0 || period == 0) {
        return std::nullopt;
    }
    return static_cast<double>(*quota) / static_cast<double>(period);
}

std::optional<double> parse_cgroup1_quota(std::string_view quota_us, std::string_view period_us) {
    auto quota = util::parse_int(util::trim(quota_us));
    auto period = util::parse_int(util::trim(period_us));
    if (!quota || !period || *quota <= 0 || *period <= 0) {
        return std::nullopt;
    }
    return static_cast<double>(*quota) / static_cast<double>(*period);
}

std::optional<unsigned> affinity_cpu_count() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) != 0) {
        return std::nullopt;
    }
    return static_cast<unsigned>(CPU_COUNT(&set));
}

CpuBudget read_cpu_budget(const util::Root& root) {
    CpuBudget budget;
    if (auto text = root.read("/sys/devices/system/cpu/online", 4096); text) {
        if (auto n = parse_cpu_list_count(*text)) {
            budget.online = *n;
        }
    } else if (root.is_host()) {
        long n = ::sysconf(_SC_NPROCESSORS_ONLN);
        budget.online = n > 0 ? static_cast<unsigned>(n) : 1;
    }
    if (root.is_host()) {
        budget.affinity = affinity_cpu_count();
        if (budget.affinity) {
            budget.affinity_source = "sched_getaffinity";
        }
    } else if (auto text = root.read("/proc/self/status", 65536)) {
        if (auto list = parse_proc_status(*text).cpus_allowed_list) {
            if (auto n = parse_cpu_list_count(*list)) {
                budget.affinity = *n;
                budget.affinity_source = "/proc/self/status";
            }
        }
    }
    if (auto dir = find_cgroup_dir(root, "cpu")) {
        budget.cgroup_version = dir->v2 ? 2 : 1;
        budget.cgroup_dir = dir->dir;
        bool leaf = true;
        for (const std::string& d : cgroup_dirs_upward(*dir)) {
            std::optional<double> q;
            std::string source;
            if (dir->v2) {
                source = d + "/cpu.max";
                if (auto text = root.read(source, 4096)) {
                    q = parse_cgroup2_cpu_max(*text);
                }
            } else {
                source = d + "/cpu.cfs_quota_us";
                auto quota = root.read(source, 4096);
                auto period = root.read(d + "/cpu.cfs_period_us", 4096);
                if (quota && period) {
                    q = parse_cgroup1_quota(*quota, *period);
                }
            }
            if (leaf) {
                budget.leaf_quota = q;
                leaf = false;
            }
            if (q && (!budget.quota || *q < *budget.quota)) {
                budget.quota = q;
                budget.quota_source = source;
            }
        }
    }
    unsigned effective = std::max(1u, budget.online);
    if (budget.affinity && *budget.affinity > 0) {
        effective = std::min(effective, *budget.affinity);
    }
    if (budget.quota) {
        effective = std::min(effective, std::max(1u, static_cast<unsigned>(std::ceil(*budget.quota))));
    }
    budget.effective = std::max(1u, effective);
    return budget;
}

} // namespace zsyncctl::platform
