#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>

#include "core/config_validate.hpp"
#include "doctor/checks_internal.hpp"

#include "doctor/doctor.hpp"
#include "pkg/detect/paths.hpp"
#include "pkg/registry/registry.hpp"
#include "platform/io_uring_probe.hpp"
#include "util/strings.hpp"
#include <unistd.h>

namespace zsyncctl::doctor {

namespace detail {

std::string cpus_text(double cpus) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.2g", cpus);
    return buffer;
}

std::string limit_text(const std::optional<std::uint64_t>& value) {
    return value ? std::to_string(*value) : std::string("unlimited");
}

std::string raise_limit_fix(const platform::Rlimit& limit, std::string_view flag, std::uint64_t value,
                            std::string_view resource, std::uint64_t raw) {
    if (!limit.hard || *limit.hard >= raw) {
        return "ulimit -" + std::string(flag) + " " + std::to_string(value);
    }
    return std::string(::geteuid() == 0 ? "" : "sudo ") + "prlimit --pid $$ --" + std::string(resource) +
           "=" + std::to_string(raw) + ":" + std::to_string(raw);
}

bool like(const HostFacts& f, std::string_view id) {
    if (!f.distro) {
        return false;
    }
    return f.distro->id == id ||
           std::find(f.distro->id_like.begin(), f.distro->id_like.end(), id) != f.distro->id_like.end();
}

// The command that upgrades the distribution's packages (and with them the kernel).
std::string upgrade_command(const HostFacts& f) {
    if (like(f, "nixos")) {
        return "sudo nixos-rebuild switch --upgrade";
    }
    if (like(f, "debian") || like(f, "ubuntu")) {
        return "sudo apt-get update && sudo apt-get full-upgrade";
    }
    if (like(f, "fedora") || like(f, "rhel") || like(f, "centos")) {
        return "sudo dnf upgrade --refresh";
    }
    if (like(f, "arch")) {
        return "sudo pacman -Syu";
    }
    if (like(f, "alpine")) {
        return "sudo apk upgrade --available";
    }
    if (like(f, "suse") || like(f, "opensuse")) {
        return f.distro && f.distro->rolling ? "sudo zypper dup" : "sudo zypper update";
    }
    return "upgrade the kernel with your distribution's package manager";
}

void set(CheckResult& r, Status status, std::string summary, std::string fix) {
    r.status = status;
    r.summary = std::move(summary);
    r.fix = std::move(fix);
}

void ev(CheckResult& r, std::string key, std::string value) {
    r.evidence.push_back({std::move(key), std::move(value)});
}

} // namespace detail

namespace {

using namespace detail;

struct CheckDef {
    CheckInfo info;
    CheckFn run;
};

const std::vector<CheckDef>& definitions() {
    static const std::vector<CheckDef> defs{
        {{"platform.arch", "platform", "binary arch vs kernel arch (emulation)"}, check_arch},
        {{"platform.os", "platform", "distribution from os-release"}, check_os},
        {{"platform.kernel", "platform", "kernel release vs the supported minimum"}, check_kernel},
        {{"env.virt", "platform", "container, WSL, gVisor or VM"}, check_virt},
        {{"iouring.sysctl", "io_uring", "kernel.io_uring_disabled sysctl"}, check_iouring_sysctl},
        {{"iouring.setup", "io_uring",
          "io_uring can be set up here, else why not (errno, sysctl, seccomp, memlock)"},
         check_iouring_setup},
        {{"iouring.memlock", "io_uring",
          "locked-memory limit, on kernels that charge io_uring rings to it (< 5.12)"},
         check_iouring_memlock},
        {{"iouring.opcodes", "io_uring", "the kernel supports every io_uring operation zsyncctl uses"},
         check_iouring_opcodes},
        {{"reactor.create", "io", "the OS reactor (epoll/kqueue/IOCP) can be created"}, check_reactor},
        {{"limits.nofile", "limits", "open-file limit (soft/hard)"}, check_nofile},
        {{"cpu.affinity", "cpu", "CPUs this process may run on vs CPUs online"}, check_affinity},
        {{"cpu.quota", "cpu", "cgroup v1/v2 CPU quota of this process's cgroup"}, check_quota},
        {{"cpu.quota.ancestors", "cpu", "a parent cgroup tighter than the leaf"}, check_quota_ancestors},
        {{"memory.limit", "limits", "cgroup memory limit vs MemTotal"}, check_memory},
        {{"tasks.limit", "limits", "process limits (cgroup pids.max, ulimit -u)"}, check_tasks},
        {{"config.overrides", "config", "settings that differ from the defaults, with their source"},
         check_overrides},
        {{"doctor.root", "config", "--root / ZSYNCCTL_ROOT redirects the readings"}, check_root},
        {{"pkg.homebrew.arch", "packages", "a Homebrew built for another arch (Intel brew on Apple Silicon)"},
         check_homebrew_arch},
        {{"pkg.homebrew.multiple", "packages", "more than one Homebrew prefix"}, check_homebrew_multiple},
        {{"runtime.recommendation", "runtime",
          "the runtime settings recommended for this machine, and whether they are valid"},
         check_recommendation},
    };
    return defs;
}

} // namespace

const std::vector<CheckInfo>& check_catalog() {
    static const std::vector<CheckInfo> catalog = [] {
        std::vector<CheckInfo> list;
        for (const auto& d : definitions()) {
            list.push_back(d.info);
        }
        return list;
    }();
    return catalog;
}

void add_package_managers(const pkg::DetectContext& context, const pkg::Detection& detection,
                          DoctorOptions& options) {
    for (const auto& d : detection.managers) {
        PackageManagerFact fact;
        fact.name = std::string(d.manager->id);
        fact.path = d.executable.empty() ? d.prefix : d.executable;
        fact.kind = std::string(pkg::to_string(d.manager->kind));
        pkg::ManagerPaths paths = pkg::resolve_paths(context, d);
        if (!paths.prefix.empty()) {
            fact.paths.emplace_back("prefix", paths.prefix);
        }
        for (const auto& [label, dirs] :
             {std::pair{"bin", &paths.bin}, std::pair{"lib", &paths.lib},
              std::pair{"include", &paths.include}, std::pair{"pkg_config", &paths.pkg_config},
              std::pair{"keg_only", &paths.keg_only}}) {
            for (const auto& dir : *dirs) {
                fact.paths.emplace_back(label, dir);
            }
        }
        options.package_managers.push_back(std::move(fact));
    }
    options.homebrew = detection.homebrew;
}

Recommendation recommend(const HostFacts& facts, const DoctorOptions& options) {
    Recommendation rec;
    // Config::optimal() with the workers from these facts: calling it would read the CPU budget from the
    // host a second time, outside this run's memo (and not from a --root image).
    core::Config config;
    config.execution_model = core::ExecutionModel::automatic;
    std::size_t workers =
        std::min<std::size_t>(std::max(1u, facts.cpu.effective), core::Config::k_optimal_cap);
    std::string reason = std::to_string(facts.cpu.effective) + " effective CPU(s)";
    if (facts.pids.cgroup_limit && *facts.pids.cgroup_limit / 4 < workers) {
        workers = std::max<std::size_t>(1, *facts.pids.cgroup_limit / 4);
        reason += ", capped by pids.max " + std::to_string(*facts.pids.cgroup_limit);
    }
    config.workers = workers;
    config.execution_model =
        workers <= 1 ? core::ExecutionModel::blocking : core::ExecutionModel::thread_pool;
    bool uring = facts.io_uring.usable && options.io_uring_compiled_in;
    config.io_backend = uring ? core::IoBackend::io_uring : core::IoBackend::epoll;
    reason += uring ? "; io_uring usable"
                    : (options.io_uring_compiled_in ? "; io_uring not usable" : "; built without io_uring");
    rec.execution_model = config.execution_model;
    rec.io_backend = config.io_backend;
    rec.threads = workers;
    rec.reason = reason;
    rec.findings = core::validate_config(config, std::max(1u, facts.cpu.effective));
    return rec;
}

util::Result<void> validate_check_ids(const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
        bool known = std::any_of(definitions().begin(), definitions().end(),
                                 [&](const CheckDef& d) { return d.info.id == id; });
        if (!known) {
            std::vector<std::string> valid;
            for (const auto& d : definitions()) {
                valid.emplace_back(d.info.id);
            }
            return util::fail(util::ErrorKind::invalid_input,
                              "unknown check '" + util::sanitize_for_display(id) + "'",
                              "valid checks: " + util::join(valid, ", "));
        }
    }
    return util::ok();
}

util::Result<Report> run_doctor(HostFacts facts, const DoctorOptions& options) {
    if (auto valid = validate_check_ids(options.only); !valid) {
        return util::fail(valid.error());
    }
    auto start = std::chrono::steady_clock::now();
    Report report;
    report.facts = std::move(facts);
    report.package_managers = options.package_managers;
    report.recommendation = recommend(report.facts, options);
    CheckInput input{report.facts, options, report.recommendation};
    for (const auto& def : definitions()) {
        if (!options.only.empty() &&
            std::find(options.only.begin(), options.only.end(), def.info.id) == options.only.end()) {
            continue;
        }
        CheckResult result;
        result.id = std::string(def.info.id);
        result.category = std::string(def.info.category);
        auto check_start = std::chrono::steady_clock::now();
        try {
            def.run(input, result);
        } catch (const std::exception& e) {
            result.status = Status::fail;
            result.summary = std::string("the check itself failed: ") + e.what();
            result.fix = "please report this with `zsyncctl doctor -v --json`";
        } catch (...) {
            result.status = Status::fail;
            result.summary = "the check itself failed with an unknown exception";
            result.fix = "please report this with `zsyncctl doctor -v --json`";
        }
        result.duration_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - check_start).count();
        report.checks.push_back(std::move(result));
    }
    report.duration_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return report;
}

} // namespace zsyncctl::doctor
