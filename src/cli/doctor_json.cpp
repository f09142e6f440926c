#include "cli/doctor_json.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include "cli/json_writer.hpp"

namespace zsyncctl::cli {

namespace {

// Every object's keys are written in byte order: the order of nlohmann's std::map, whose bytes this
// document keeps.

void write_rlimit(JsonWriter& w, std::string_view name, const platform::Rlimit& r) {
    w.key(name);
    if (!r.known) {
        w.null();
        return;
    }
    w.begin_object();
    w.member("hard", r.hard);
    w.member("soft", r.soft);
    w.end_object();
}

void write_os(JsonWriter& w, const platform::HostFacts& f) {
    w.key("os");
    w.begin_object();
    w.member("arch", f.identity.arch);
    w.key("distro");
    w.begin_object();
    if (f.distro) {
        const auto& d = *f.distro;
        w.member("id", d.id);
        w.member("id_like", d.id_like);
        w.key("name");
        w.string_or_null(d.name);
        w.key("pretty_name");
        w.string_or_null(d.pretty_name);
        w.member("rolling", d.rolling);
        w.member("source", d.source);
        w.key("version_codename");
        w.string_or_null(d.version_codename);
        w.key("version_id");
        w.string_or_null(d.version_id);
    } else {
        for (std::string_view key : {"id", "id_like", "name", "pretty_name", "rolling", "source",
                                     "version_codename", "version_id"}) {
            w.key(key);
            if (key == "id_like") {
                w.begin_array();
                w.end_array();
            } else {
                w.null();
            }
        }
    }
    w.end_object();
    w.key("kernel");
    w.begin_object();
    w.key("release");
    w.string_or_null(f.kernel.release);
    w.key("source");
    w.string_or_null(f.kernel.source);
    w.key("version");
    if (f.kernel.version) {
        w.value(platform::to_string(*f.kernel.version));
    } else {
        w.null();
    }
    w.end_object();
    w.member("kernel_arch", f.identity.kernel_arch);
    w.key("libc");
    w.begin_object();
    w.key("name");
    w.string_or_null(f.libc.name);
    w.key("version");
    w.string_or_null(f.libc.version);
    w.end_object();
    w.member("name", f.identity.os);
    w.end_object();
}

void write_io(JsonWriter& w, const platform::HostFacts& f, bool compiled_in, const LoopFacts& loop) {
    w.key("io");
    w.begin_object();
    w.member("epoll", f.reactor.epoll);
    w.key("event_loop");
    w.begin_object();
    w.key("backend");
    w.string_or_null(loop.backend);
    w.member("reason", loop.reason);
    w.member("requested", loop.requested);
    w.member("source", loop.source);
    w.end_object();
    const auto& u = f.io_uring;
    w.key("io_uring");
    w.begin_object();
    w.member("compiled_in", compiled_in);
    w.key("errno");
    w.string_or_null(u.errno_name);
    w.member("inferred", u.inferred);
    w.member("memlock_risk", u.memlock_risk);
    w.member("missing_opcodes", u.probe.missing_opcodes);
    w.member("reason", u.reason);
    w.member("seccomp", u.evidence.seccomp_mode);
    w.member("seccomp_filters", u.evidence.seccomp_filters);
    w.member("sysctl_disabled", u.evidence.sysctl_disabled);
    w.member("usable", u.usable);
    w.end_object();
    w.member("iocp", f.reactor.iocp);
    w.member("kqueue", f.reactor.kqueue);
    w.member("reactor", f.reactor.name);
    w.end_object();
}

// The paths object of `pkg paths --json` (cli/paths_json.hpp), from doctor's (kind, path) pairs.
void write_paths(JsonWriter& w, const doctor::PackageManagerFact& m) {
    std::string_view prefix;
    for (const auto& [kind, path] : m.paths) {
        if (kind == "prefix") {
            prefix = path;
        }
    }
    auto list = [&](std::string_view kind) {
        w.key(kind);
        w.begin_array();
        for (const auto& [k, path] : m.paths) {
            if (k == kind) {
                w.value(path);
            }
        }
        w.end_array();
    };
    w.key("paths");
    w.begin_object();
    list("bin");
    list("include");
    list("keg_only");
    list("lib");
    list("pkg_config");
    w.key("prefix");
    w.string_or_null(prefix);
    w.end_object();
}

void write_facts(JsonWriter& w, const doctor::Report& report, bool compiled_in, const LoopFacts& loop) {
    const platform::HostFacts& f = report.facts;
    w.key("facts");
    w.begin_object();
    const auto& c = f.cpu;
    w.key("cpu");
    w.begin_object();
    w.member("affinity", c.affinity);
    w.member("cgroup_version", c.cgroup_version);
    w.member("effective", c.effective);
    w.member("leaf_quota", c.leaf_quota);
    w.member("online", c.online);
    w.member("quota", c.quota);
    w.key("quota_source");
    w.string_or_null(c.quota_source);
    w.end_object();
    write_io(w, f, compiled_in, loop);
    w.key("limits");
    w.begin_object();
    write_rlimit(w, "memlock", f.rlimits.memlock);
    write_rlimit(w, "nofile", f.rlimits.nofile);
    write_rlimit(w, "nproc", f.rlimits.nproc);
    w.key("source");
    w.string_or_null(f.rlimits.source);
    w.end_object();
    w.key("memory");
    w.begin_object();
    w.member("available_bytes", f.memory.available_bytes);
    w.member("cgroup_limit_bytes", f.memory.cgroup_limit);
    w.key("cgroup_limit_source");
    w.string_or_null(f.memory.cgroup_limit_source);
    w.member("total_bytes", f.memory.total_bytes);
    w.end_object();
    write_os(w, f);
    w.key("package_managers");
    w.begin_array();
    for (const auto& m : report.package_managers) {
        w.begin_object();
        w.member("kind", m.kind);
        w.member("name", m.name);
        w.member("path", m.path);
        write_paths(w, m);
        w.member("version", m.version);
        if (!m.version_error.empty()) {
            w.member("version_error", m.version_error);
        }
        w.end_object();
    }
    w.end_array();
    w.key("pids");
    w.begin_object();
    w.member("cgroup_limit", f.pids.cgroup_limit);
    w.key("cgroup_limit_source");
    w.string_or_null(f.pids.cgroup_limit_source);
    w.end_object();
    const auto& v = f.virtualization;
    w.key("virtualization");
    w.begin_object();
    w.member("container", v.container);
    w.key("container_source");
    w.string_or_null(v.container_source);
    w.member("gvisor", v.gvisor);
    w.member("vm", v.vm);
    w.member("wsl", v.wsl);
    w.end_object();
    w.end_object();
}

// A check's evidence as an object: keys in byte order, the last value of a key repeated (as assigning
// each into a map did).
void write_evidence(JsonWriter& w, const std::vector<doctor::Evidence>& evidence) {
    std::vector<const doctor::Evidence*> sorted;
    sorted.reserve(evidence.size());
    for (const auto& e : evidence) {
        sorted.push_back(&e);
    }
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const doctor::Evidence* a, const doctor::Evidence* b) { return a->key < b->key; });
    w.key("evidence");
    w.begin_object();
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        if (i + 1 < sorted.size() && sorted[i + 1]->key == sorted[i]->key) {
            continue;
        }
        w.member(sorted[i]->key, sorted[i]->value);
    }
    w.end_object();
}

} // namespace

std::string doctor_report_text(const doctor::Report& report, bool compiled_in, const LoopFacts& loop) {
    std::string out;
    out.reserve(8192);
    JsonWriter w(out);
    w.begin_object();
    w.key("checks");
    w.begin_array();
    for (const auto& c : report.checks) {
        w.begin_object();
        w.member("category", c.category);
        w.member("duration_ms", c.duration_ms);
        write_evidence(w, c.evidence);
        w.key("fix");
        w.string_or_null(c.fix);
        w.member("id", c.id);
        w.member("status", doctor::to_string(c.status));
        w.member("summary", c.summary);
        w.end_object();
    }
    w.end_array();
    write_facts(w, report, compiled_in, loop);
    const auto& o = report.facts.overrides;
    w.key("overrides");
    w.begin_object();
    w.key("arch");
    o.arch ? w.value(report.facts.identity.arch) : w.null();
    w.key("os");
    o.os ? w.value(report.facts.identity.os) : w.null();
    w.key("root");
    o.root ? w.value(o.root_dir) : w.null();
    w.end_object();
    const auto& r = report.recommendation;
    w.key("recommendation");
    w.begin_object();
    w.member("execution_model", core::to_string(r.execution_model));
    w.key("findings");
    w.begin_array();
    for (const auto& f : r.findings) {
        w.begin_object();
        w.member("field", f.field);
        w.member("fix", f.fix);
        w.member("message", f.message);
        w.member("severity", f.severity == core::ConfigFinding::Severity::error ? "error" : "warning");
        w.end_object();
    }
    w.end_array();
    w.member("io_backend", core::to_string(r.io_backend));
    w.member("reason", r.reason);
    w.member("threads", r.threads);
    w.end_object();
    w.member("schema_version", k_doctor_schema_version);
    using S = doctor::Status;
    w.key("summary");
    w.begin_object();
    w.member("duration_ms", report.duration_ms);
    w.member("fail", report.count(S::fail));
    w.member("info", report.count(S::info));
    w.member("ok", report.count(S::ok));
    w.member("skip", report.count(S::skip));
    w.member("warn", report.count(S::warn));
    w.end_object();
    w.end_object();
    return out;
}

} // namespace zsyncctl::cli
