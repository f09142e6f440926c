#include "platform/limits.hpp"

#include <sys/resource.h>

#include "platform/cgroup.hpp"
#include "util/strings.hpp"

namespace zsyncctl::platform {

MemoryFacts parse_meminfo(std::string_view text) {
    MemoryFacts facts;
    for (std::string_view line : util::split_lines(text)) {
        auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            continue;
        }
        std::string_view key = line.substr(0, colon);
        std::string_view rest = util::trim(line.substr(colon + 1));
        auto space = rest.find(' ');
        auto value = util::parse_uint(rest.substr(0, space));
        if (!value) {
            continue;
        }
        std::uint64_t bytes = *value;
        if (space != std::string_view::npos && util::trim(rest.substr(space)) == "kB") {
            bytes *= 1024;
        }
        if (key == "MemTotal") {
            facts.total_bytes = bytes;
        } else if (key == "MemAvailable") {
            facts.available_bytes = bytes;
        }
    }
    return facts;
}

std::optional<std::uint64_t> parse_cgroup_limit(std::string_view text) {
    text = util::trim(text);
    if (text == "max") {
        return std::nullopt;
    }
    auto value = util::parse_uint(text);
    if (!value || *value >= (std::uint64_t{1} << 62)) {
        return std::nullopt;
    }
    return value;
}

namespace {

std::optional<std::uint64_t> parse_limit_field(std::string_view field) {
    if (field == "unlimited") {
        return std::nullopt;
    }
    return util::parse_uint(field);
}

// The tightest limit along the cgroup path of `controller`, reading `v2_file` or `v1_file`.
void tightest_cgroup_limit(const util::Root& root, std::string_view controller, const char* v2_file,
                           const char* v1_file, std::optional<std::uint64_t>& limit, std::string& source) {
    auto dir = platform::find_cgroup_dir(root, controller);
    if (!dir) {
        return;
    }
    for (const std::string& d : platform::cgroup_dirs_upward(*dir)) {
        std::string path = d + "/" + (dir->v2 ? v2_file : v1_file);
        auto text = root.read(path, 4096);
        if (!text) {
            continue;
        }
        auto value = parse_cgroup_limit(*text);
        if (value && (!limit || *value < *limit)) {
            limit = value;
            source = path;
        }
    }
}

Rlimit from_getrlimit(int resource) {
    Rlimit r;
    struct rlimit lim {};
    if (::getrlimit(resource, &lim) != 0) {
        return r;
    }
    r.known = true;
    if (lim.rlim_cur != RLIM_INFINITY) {
        r.soft = static_cast<std::uint64_t>(lim.rlim_cur);
    }
    if (lim.rlim_max != RLIM_INFINITY) {
        r.hard = static_cast<std::uint64_t>(lim.rlim_max);
    }
    return r;
}

} // namespace

RlimitFacts parse_proc_limits(std::string_view text) {
    RlimitFacts facts;
    for (std::string_view line : util::split_lines(text)) {
        Rlimit* target = nullptr;
        std::string_view rest;
        for (auto [name, slot] : {std::pair<std::string_view, Rlimit*>{"Max open files", &facts.nofile},
                                  {"Max locked memory", &facts.memlock},
                                  {"Max processes", &facts.nproc}}) {
            if (line.starts_with(name)) {
                target = slot;
                rest = line.substr(name.size());
            }
        }
        if (target == nullptr) {
            continue;
        }
        std::vector<std::string_view> fields;
        for (std::string_view f : util::split(rest, ' ')) {
            if (!f.empty()) {
                fields.push_back(f);
            }
        }
        if (fields.size() < 2) {
            continue;
        }
        bool soft_ok = fields[0] == "unlimited" || util::parse_uint(fields[0]);
        bool hard_ok = fields[1] == "unlimited" || util::parse_uint(fields[1]);
        if (!soft_ok || !hard_ok) {
            continue;
        }
        target->known = true;
        target->soft = parse_limit_field(fields[0]);
        target->hard = parse_limit_field(fields[1]);
    }
    return facts;
}

MemoryFacts read_memory(const util::Root& root) {
    MemoryFacts facts;
    if (auto text = root.read("/proc/meminfo", 1u << 20)) {
        facts = parse_meminfo(*text);
    }
    tightest_cgroup_limit(root, "memory", "memory.max", "memory.limit_in_bytes", facts.cgroup_limit,
                          facts.cgroup_limit_source);
    return facts;
}

PidsFacts read_pids(const util::Root& root) {
    PidsFacts facts;
    tightest_cgroup_limit(root, "pids", "pids.max", "pids.max", facts.cgroup_limit,
                          facts.cgroup_limit_source);
    return facts;
}

RlimitFacts read_rlimits(const util::Root& root) {
    if (auto text = root.read("/proc/self/limits", 65536)) {
        RlimitFacts facts = parse_proc_limits(*text);
        facts.source = "/proc/self/limits";
        if (facts.nofile.known || facts.memlock.known || facts.nproc.known || !root.is_host()) {
            return facts;
        }
    }
    RlimitFacts facts;
    if (root.is_host()) {
        facts.nofile = from_getrlimit(RLIMIT_NOFILE);
        facts.memlock = from_getrlimit(RLIMIT_MEMLOCK);
        facts.nproc = from_getrlimit(RLIMIT_NPROC);
        facts.source = "getrlimit";
    }
    return facts;
}

} // namespace zsyncctl::platform
