// doctor --json's writer (cli/doctor_json) against the nlohmann document it replaced: the builder below
// is the one cmd_doctor used until the writer, kept here as the reference; its dump through json_text's
// settings must equal the writer's bytes, for this machine's real report and for random ones.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "cli/doctor_json.hpp"
#include "cli/paths_json.hpp"
#include "doctor/doctor.hpp"
#include "platform/facts.hpp"
#include "random_text.hpp"
#include "util/root.hpp"

using namespace zsyncctl;
using nlohmann::json;

namespace {

template <typename T>
json opt(const std::optional<T>& value) {
    return value ? json(*value) : json(nullptr);
}

json str_or_null(const std::string& s) {
    return s.empty() ? json(nullptr) : json(s);
}

json rlimit_json(const platform::Rlimit& r) {
    if (!r.known) {
        return nullptr;
    }
    return {{"soft", opt(r.soft)}, {"hard", opt(r.hard)}};
}

json reference_facts(const doctor::Report& report, bool compiled_in, const cli::LoopFacts& loop) {
    const platform::HostFacts& f = report.facts;
    json distro = {{"id", nullptr},          {"id_like", json::array()}, {"name", nullptr},
                   {"pretty_name", nullptr}, {"version_id", nullptr},    {"version_codename", nullptr},
                   {"rolling", nullptr},     {"source", nullptr}};
    if (f.distro) {
        const auto& d = *f.distro;
        distro = {{"id", d.id},
                  {"id_like", d.id_like},
                  {"name", str_or_null(d.name)},
                  {"pretty_name", str_or_null(d.pretty_name)},
                  {"version_id", str_or_null(d.version_id)},
                  {"version_codename", str_or_null(d.version_codename)},
                  {"rolling", d.rolling},
                  {"source", d.source}};
    }
    json kernel = {
        {"release", str_or_null(f.kernel.release)},
        {"version", f.kernel.version ? json(platform::to_string(*f.kernel.version)) : json(nullptr)},
        {"source", str_or_null(f.kernel.source)}};
    json os = {{"name", f.identity.os},
               {"arch", f.identity.arch},
               {"kernel_arch", f.identity.kernel_arch},
               {"distro", std::move(distro)},
               {"kernel", std::move(kernel)},
               {"libc", {{"name", str_or_null(f.libc.name)}, {"version", str_or_null(f.libc.version)}}}};
    const auto& c = f.cpu;
    json cpu = {{"online", c.online},
                {"affinity", opt(c.affinity)},
                {"quota", opt(c.quota)},
                {"quota_source", str_or_null(c.quota_source)},
                {"leaf_quota", opt(c.leaf_quota)},
                {"cgroup_version", opt(c.cgroup_version)},
                {"effective", c.effective}};
    json memory = {{"total_bytes", opt(f.memory.total_bytes)},
                   {"available_bytes", opt(f.memory.available_bytes)},
                   {"cgroup_limit_bytes", opt(f.memory.cgroup_limit)},
                   {"cgroup_limit_source", str_or_null(f.memory.cgroup_limit_source)}};
    json pids = {{"cgroup_limit", opt(f.pids.cgroup_limit)},
                 {"cgroup_limit_source", str_or_null(f.pids.cgroup_limit_source)}};
    json limits = {{"nofile", rlimit_json(f.rlimits.nofile)},
                   {"memlock", rlimit_json(f.rlimits.memlock)},
                   {"nproc", rlimit_json(f.rlimits.nproc)},
                   {"source", str_or_null(f.rlimits.source)}};
    const auto& v = f.virtualization;
    json virt = {{"container", opt(v.container)},
                 {"container_source", str_or_null(v.container_source)},
                 {"wsl", opt(v.wsl)},
                 {"gvisor", v.gvisor},
                 {"vm", opt(v.vm)}};
    const auto& u = f.io_uring;
    json uring = {{"usable", u.usable},
                  {"reason", u.reason},
                  {"errno", str_or_null(u.errno_name)},
                  {"inferred", u.inferred},
                  {"compiled_in", compiled_in},
                  {"sysctl_disabled", opt(u.evidence.sysctl_disabled)},
                  {"seccomp", opt(u.evidence.seccomp_mode)},
                  {"seccomp_filters", opt(u.evidence.seccomp_filters)},
                  {"memlock_risk", u.memlock_risk},
                  {"missing_opcodes", u.probe.missing_opcodes}};
    json io = {{"io_uring", std::move(uring)},
               {"epoll", f.reactor.epoll},
               {"kqueue", f.reactor.kqueue},
               {"iocp", f.reactor.iocp},
               {"reactor", f.reactor.name},
               {"event_loop",
                {{"backend", str_or_null(loop.backend)},
                 {"requested", loop.requested},
                 {"source", loop.source},
                 {"reason", loop.reason}}}};
    json managers = json::array();
    for (const auto& m : report.package_managers) {
        std::string prefix;
        std::map<std::string, std::vector<std::string>> dirs;
        for (const auto& [kind, path] : m.paths) {
            if (kind == "prefix") {
                prefix = path;
            } else {
                dirs[kind].push_back(path);
            }
        }
        json paths = cli::paths_object(prefix, dirs["bin"], dirs["lib"], dirs["include"], dirs["pkg_config"],
                                       dirs["keg_only"]);
        json entry = {{"name", m.name},
                      {"path", m.path},
                      {"kind", m.kind},
                      {"paths", std::move(paths)},
                      {"version", nullptr}};
        if (m.version) {
            entry["version"] = *m.version;
        }
        if (!m.version_error.empty()) {
            entry["version_error"] = m.version_error;
        }
        managers.push_back(std::move(entry));
    }
    return {{"os", std::move(os)},         {"cpu", std::move(cpu)},
            {"memory", std::move(memory)}, {"pids", std::move(pids)},
            {"limits", std::move(limits)}, {"virtualization", std::move(virt)},
            {"io", std::move(io)},         {"package_managers", std::move(managers)}};
}

json reference_report(const doctor::Report& report, bool compiled_in, const cli::LoopFacts& loop) {
    const auto& o = report.facts.overrides;
    json doc;
    doc["schema_version"] = 2;
    doc["overrides"] = {{"root", o.root ? json(o.root_dir) : json(nullptr)},
                        {"os", o.os ? json(report.facts.identity.os) : json(nullptr)},
                        {"arch", o.arch ? json(report.facts.identity.arch) : json(nullptr)}};
    doc["facts"] = reference_facts(report, compiled_in, loop);
    json checks = json::array();
    for (const auto& c : report.checks) {
        json evidence = json::object();
        for (const auto& e : c.evidence) {
            evidence[e.key] = e.value;
        }
        checks.push_back({{"id", c.id},
                          {"category", c.category},
                          {"status", doctor::to_string(c.status)},
                          {"summary", c.summary},
                          {"fix", str_or_null(c.fix)},
                          {"evidence", std::move(evidence)},
                          {"duration_ms", c.duration_ms}});
    }
    doc["checks"] = std::move(checks);
    const auto& r = report.recommendation;
    json findings = json::array();
    for (const auto& f : r.findings) {
        findings.push_back(
            {{"severity", f.severity == core::ConfigFinding::Severity::error ? "error" : "warning"},
             {"field", f.field},
             {"message", f.message},
             {"fix", f.fix}});
    }
    doc["recommendation"] = {{"execution_model", core::to_string(r.execution_model)},
                             {"io_backend", core::to_string(r.io_backend)},
                             {"threads", r.threads},
                             {"reason", r.reason},
                             {"findings", std::move(findings)}};
    using S = doctor::Status;
    doc["summary"] = {{"ok", report.count(S::ok)},     {"info", report.count(S::info)},
                      {"warn", report.count(S::warn)}, {"fail", report.count(S::fail)},
                      {"skip", report.count(S::skip)}, {"duration_ms", report.duration_ms}};
    return doc;
}

std::string reference_text(const doctor::Report& report, bool compiled_in, const cli::LoopFacts& loop) {
    return reference_report(report, compiled_in, loop)
        .dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

doctor::Report random_report(std::mt19937& rng) {
    auto coin = [&] {
        return std::uniform_int_distribution<int>(0, 1)(rng) == 1;
    };
    auto number = [&] {
        return std::uniform_int_distribution<std::uint64_t>(0, 1ull << 40)(rng);
    };
    auto text = [&] {
        return test_support::hostile_text(rng);
    };
    auto maybe_u64 = [&] {
        return coin() ? std::optional<std::uint64_t>(number()) : std::nullopt;
    };
    auto maybe_int = [&] {
        return coin() ? std::optional<int>(static_cast<int>(number() % 5)) : std::nullopt;
    };
    auto maybe_text = [&] {
        return coin() ? std::optional<std::string>(text()) : std::nullopt;
    };
    auto real = [&] {
        static const double k_special[] = {0.0,
                                           0.5,
                                           1e-7,
                                           123.456,
                                           2.5e300,
                                           std::numeric_limits<double>::quiet_NaN(),
                                           std::numeric_limits<double>::infinity()};
        return coin() ? k_special[number() % 7] : static_cast<double>(number()) / 1000.0;
    };
    doctor::Report r;
    auto& f = r.facts;
    f.identity = {text(), text(), text(), false, false};
    f.overrides = {coin(), text(), coin(), coin()};
    if (coin()) {
        f.distro = platform::Distro{text(), {text(), text()}, text(), text(), text(),
                                    text(), text(),           coin(), text()};
    }
    f.kernel.release = text();
    f.kernel.source = text();
    if (coin()) {
        f.kernel.version = platform::KernelVersion{6, static_cast<unsigned>(number() % 20), 3};
    }
    f.libc = {text(), text(), text()};
    f.cpu.online = static_cast<unsigned>(number() % 64);
    f.cpu.affinity = coin() ? std::optional<unsigned>(2) : std::nullopt;
    f.cpu.quota = coin() ? std::optional<double>(real()) : std::nullopt;
    f.cpu.quota_source = text();
    f.cpu.leaf_quota = coin() ? std::optional<double>(real()) : std::nullopt;
    f.cpu.cgroup_version = maybe_int();
    f.cpu.effective = 3;
    f.memory = {maybe_u64(), maybe_u64(), maybe_u64(), text()};
    f.pids = {maybe_u64(), text()};
    for (platform::Rlimit* l : {&f.rlimits.nofile, &f.rlimits.memlock, &f.rlimits.nproc}) {
        *l = {coin(), maybe_u64(), maybe_u64()};
    }
    f.rlimits.source = text();
    f.virtualization = {maybe_text(), text(), maybe_int(), coin(), maybe_text(), text()};
    f.io_uring.usable = coin();
    f.io_uring.reason = text();
    f.io_uring.errno_name = text();
    f.io_uring.inferred = coin();
    f.io_uring.memlock_risk = coin();
    f.io_uring.evidence.sysctl_disabled = maybe_int();
    f.io_uring.evidence.seccomp_mode = maybe_int();
    f.io_uring.evidence.seccomp_filters = maybe_int();
    f.io_uring.probe.missing_opcodes =
        coin() ? std::vector<std::string>{text(), text()} : std::vector<std::string>{};
    f.reactor = {coin(), coin(), coin(), text(), 0, 0};
    static const char* const k_kinds[] = {"prefix",     "bin",      "lib",  "include",
                                          "pkg_config", "keg_only", "other"};
    for (int m = static_cast<int>(number() % 4); m > 0; --m) {
        doctor::PackageManagerFact fact{text(), text(), text(), {}, maybe_text(), coin() ? text() : ""};
        for (int p = static_cast<int>(number() % 8); p > 0; --p) {
            fact.paths.emplace_back(k_kinds[number() % 7], text());
        }
        r.package_managers.push_back(std::move(fact));
    }
    static const char* const k_keys[] = {"b", "a", "a_b", "A", "", "z"};
    for (int c = static_cast<int>(number() % 5); c > 0; --c) {
        doctor::CheckResult check{text(), text(), static_cast<doctor::Status>(number() % 5), text(), text(),
                                  {},     real()};
        for (int e = static_cast<int>(number() % 6); e > 0; --e) {
            check.evidence.push_back({coin() ? k_keys[number() % 6] : text(), text()});
        }
        r.checks.push_back(std::move(check));
    }
    r.recommendation.threads = number() % 32;
    r.recommendation.reason = text();
    for (int i = static_cast<int>(number() % 3); i > 0; --i) {
        r.recommendation.findings.push_back(
            {coin() ? core::ConfigFinding::Severity::error : core::ConfigFinding::Severity::warning, text(),
             text(), text()});
    }
    r.duration_ms = real();
    return r;
}

} // namespace

TEST_CASE("doctor_report_text writes the bytes of the nlohmann document it replaced") {
    SUBCASE("this machine's report") {
        doctor::DoctorOptions options;
        auto report = doctor::run_doctor(platform::gather_host_facts(util::Root()), options);
        REQUIRE(report);
        cli::LoopFacts loop;
        loop.backend = "epoll";
        loop.reason = "auto: io_uring works here";
        CHECK(cli::doctor_report_text(*report, true, loop) == reference_text(*report, true, loop));
        cli::LoopFacts none;
        none.reason = "cannot be created: x";
        CHECK(cli::doctor_report_text(*report, false, none) == reference_text(*report, false, none));
    }
    SUBCASE("2000 random reports: every optional set or not, bad UTF-8, repeated evidence keys") {
        std::mt19937 rng(20261203);
        for (int i = 0; i < 2000; ++i) {
            doctor::Report report = random_report(rng);
            cli::LoopFacts loop{test_support::hostile_text(rng), test_support::hostile_text(rng),
                                test_support::hostile_text(rng), test_support::hostile_text(rng)};
            bool compiled_in = (i % 2) == 0;
            std::string got = cli::doctor_report_text(report, compiled_in, loop);
            std::string want = reference_text(report, compiled_in, loop);
            CHECK(got == want);
            if (got != want) {
                break;
            }
        }
    }
}
