#include "core/cpu_budget.hpp"

#include <algorithm>
#include <cmath>
#include <sched.h>
#include <unistd.h>

#include "util/strings.hpp"

namespace zsyncctl::core {

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

namespace {

// Walks from the cgroup `path` up to the hierarchy root, keeping the tightest quota found.
void tightest_quota(const util::Root& root, const std::string& mount, std::string path, bool v2,
                    CpuBudget& budget) {
    while (true) {
        std::string dir = mount + (path == "/" ? "" : path);
        std::optional<double> q;
        std::string source;
        if (v2) {
            source = dir + "/cpu.max";
            if (auto text = root.read(source, 4096)) {
                q = parse_cgroup2_cpu_max(*text);
            }
        } else {
            source = dir + "/cpu.cfs_quota_us";
            auto quota = root.read(source, 4096);
            auto period = root.read(dir + "/cpu.cfs_period_us", 4096);
            if (quota && period) {
                q = parse_cgroup1_quota(*quota, *period);
            }
        }
        if (q && (!budget.quota || *q < *budget.quota)) {
            budget.quota = q;
            budget.quota_source = source;
        }
        if (path.empty() || path == "/") {
            return;
        }
        auto slash = path.rfind('/');
        path = slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
    }
}

} // namespace

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
        cpu_set_t set;
        CPU_ZERO(&set);
        if (::sched_getaffinity(0, sizeof set, &set) == 0) {
            budget.affinity = static_cast<unsigned>(CPU_COUNT(&set));
        }
    }
    if (auto cgroup = root.read("/proc/self/cgroup", 65536)) {
        bool v1_cpu_found = false;
        std::string v2_path;
        bool has_v2 = false;
        for (std::string_view line : util::split_lines(*cgroup)) {
            // hierarchy-ID:controller-list:cgroup-path
            auto first = line.find(':');
            auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
            if (second == std::string_view::npos) {
                continue;
            }
            std::string_view controllers = line.substr(first + 1, second - first - 1);
            std::string path(line.substr(second + 1));
            if (line.substr(0, first) == "0" && controllers.empty()) {
                has_v2 = true;
                v2_path = path;
                continue;
            }
            for (std::string_view c : util::split(controllers, ',')) {
                if (c == "cpu") {
                    // A v1 cpu controller takes precedence in hybrid mode.
                    v1_cpu_found = true;
                    std::string mount = "/sys/fs/cgroup/" + std::string(controllers);
                    if (!root.exists(mount)) {
                        mount = "/sys/fs/cgroup/cpu";
                    }
                    tightest_quota(root, mount, path, false, budget);
                    break;
                }
            }
        }
        if (!v1_cpu_found && has_v2) {
            tightest_quota(root, "/sys/fs/cgroup", v2_path, true, budget);
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

} // namespace zsyncctl::core
