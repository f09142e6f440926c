#include "doctor/checks_internal.hpp"

#include "pkg/detect/paths.hpp"
#include "pkg/registry/registry.hpp"
#include "platform/io_uring_probe.hpp"
#include "util/strings.hpp"
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>
#include <unistd.h>

namespace zsyncctl::doctor::detail {

void check_nofile(const CheckInput& in, CheckResult& r) {
    const auto& n = in.facts.rlimits.nofile;
    if (!n.known) {
        set(r, Status::skip, "RLIMIT_NOFILE is unknown (/proc/self/limits unreadable)");
        return;
    }
    ev(r, "soft", limit_text(n.soft));
    ev(r, "hard", limit_text(n.hard));
    ev(r, "source", in.facts.rlimits.source);
    if (n.soft && *n.soft < 1024 && n.hard && *n.hard < 1024) {
        // `ulimit -n` cannot go past the hard limit; raising that takes CAP_SYS_RESOURCE. prlimit(1) run with
        // it sets both limits of the shell the fix is pasted into ($$), and what it starts inherits them.
        std::string text = "soft fd limit " + std::to_string(*n.soft) + " (hard " + limit_text(n.hard) +
                           ") is low, and only root can raise the hard limit";
        if (in.facts.virtualization.container) {
            text += " (in a container: start it with --ulimit nofile=65536:65536)";
        }
        set(r, Status::warn, text, raise_limit_fix(n, "n", 65536, "nofile", 65536));
    } else if (n.soft && *n.soft < 1024) {
        std::string target = n.hard ? std::to_string(std::min<std::uint64_t>(*n.hard, 65536)) : "65536";
        set(r, Status::warn,
            "soft fd limit " + std::to_string(*n.soft) + " (hard " + limit_text(n.hard) + ") is low",
            "ulimit -n " + target);
    } else {
        set(r, Status::ok, "fd limit " + limit_text(n.soft) + " (hard " + limit_text(n.hard) + ")");
    }
}

void check_affinity(const CheckInput& in, CheckResult& r) {
    const auto& c = in.facts.cpu;
    ev(r, "online", std::to_string(c.online));
    if (!c.affinity) {
        set(r, Status::skip, "the CPU affinity is unknown");
        return;
    }
    ev(r, "affinity", std::to_string(*c.affinity) + " (" + c.affinity_source + ")");
    if (*c.affinity < c.online) {
        set(r, Status::info,
            "pinned to " + std::to_string(*c.affinity) + " of " + std::to_string(c.online) +
                " CPUs (cpuset/taskset)");
    } else {
        set(r, Status::ok, "may run on all " + std::to_string(c.online) + " online CPUs");
    }
}

void check_quota(const CheckInput& in, CheckResult& r) {
    const auto& c = in.facts.cpu;
    if (!c.cgroup_version) {
        set(r, Status::skip, "no cgroup with a cpu controller is visible");
        return;
    }
    ev(r, "cgroup", "v" + std::to_string(*c.cgroup_version) + " " + c.cgroup_dir);
    if (!c.leaf_quota) {
        set(r, Status::ok, "no CPU quota on this process's cgroup");
        return;
    }
    ev(r, "quota", cpus_text(*c.leaf_quota) + " CPUs");
    set(r, Status::info,
        "cgroup CPU quota " + cpus_text(*c.leaf_quota) + " CPUs: using " + std::to_string(c.effective) +
            " worker thread(s) for " + std::to_string(c.online) + " online CPUs");
}

void check_quota_ancestors(const CheckInput& in, CheckResult& r) {
    const auto& c = in.facts.cpu;
    if (!c.cgroup_version) {
        set(r, Status::skip, "no cgroup with a cpu controller is visible");
        return;
    }
    if (c.quota && (!c.leaf_quota || *c.quota < *c.leaf_quota)) {
        ev(r, "tightest", cpus_text(*c.quota) + " CPUs (" + c.quota_source + ")");
        set(r, Status::info,
            "a parent cgroup limits CPU to " + cpus_text(*c.quota) +
                " although the leaf allows more: the effective limit is " + std::to_string(c.effective));
    } else {
        set(r, Status::ok, "no parent cgroup is tighter than the leaf");
    }
}

void check_memory(const CheckInput& in, CheckResult& r) {
    const auto& m = in.facts.memory;
    if (m.total_bytes) {
        ev(r, "MemTotal", util::format_bytes(*m.total_bytes));
    }
    if (m.cgroup_limit) {
        ev(r, "cgroup limit", util::format_bytes(*m.cgroup_limit) + " (" + m.cgroup_limit_source + ")");
    }
    if (!m.total_bytes && !m.cgroup_limit) {
        set(r, Status::skip, "memory size is unknown (/proc/meminfo unreadable)");
    } else if (m.cgroup_limit && *m.cgroup_limit < (std::uint64_t{256} << 20)) {
        set(r, Status::warn, "cgroup memory limit " + util::format_bytes(*m.cgroup_limit) + " is very small",
            "docker update --memory 1g <container>   (or raise memory.max of the cgroup)");
    } else if (m.cgroup_limit && (!m.total_bytes || *m.cgroup_limit < *m.total_bytes)) {
        set(r, Status::info,
            "cgroup memory limit " + util::format_bytes(*m.cgroup_limit) +
                (m.total_bytes ? " (host " + util::format_bytes(*m.total_bytes) + ")" : std::string()));
    } else {
        set(r, Status::ok, util::format_bytes(*m.total_bytes) + " of memory, no cgroup limit");
    }
}

void check_tasks(const CheckInput& in, CheckResult& r) {
    const auto& p = in.facts.pids;
    const auto& nproc = in.facts.rlimits.nproc;
    ev(r, "pids.max",
       p.cgroup_limit ? std::to_string(*p.cgroup_limit) + " (" + p.cgroup_limit_source + ")" : "max");
    ev(r, "RLIMIT_NPROC", nproc.known ? limit_text(nproc.soft) : "(unknown)");
    if (p.cgroup_limit && *p.cgroup_limit < 128) {
        set(r, Status::warn,
            "pids.max = " + std::to_string(*p.cgroup_limit) + ": thread creation may fail with EAGAIN",
            "docker update --pids-limit 4096 <container>   (or raise pids.max of the cgroup)");
    } else if (nproc.known && nproc.soft && *nproc.soft < 256) {
        set(r, Status::warn,
            "RLIMIT_NPROC " + std::to_string(*nproc.soft) + " is low: thread creation may fail",
            raise_limit_fix(nproc, "u", 4096, "nproc", 4096));
    } else {
        set(r, Status::ok,
            p.cgroup_limit ? "pids.max = " + std::to_string(*p.cgroup_limit) : "no task limit");
    }
}

} // namespace zsyncctl::doctor::detail
