#include "cli/cli11.hpp"
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "cli/app.hpp"
#include "cli/build_info.hpp"
#include "cli/completion.hpp"
#include "cli/context.hpp"
#include "cli/doctor_json.hpp"
#include "cli/documents.hpp"
#include "cli/json.hpp"
#include "cli/json_writer.hpp"
#include "core/event_loop.hpp"
#include "doctor/doctor.hpp"
#include "pkg/detect/cache.hpp"
#include "pkg/detect/detect.hpp"
#include "pkg/detect/version_probe.hpp"
#include "platform/facts.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

using nlohmann::json;

struct DoctorFlags {
    std::vector<std::string> checks;
    bool list_checks = false;
    bool strict = false;
    bool versions = false;
};

std::string limit_text(const platform::Rlimit& r) {
    if (!r.known) {
        return "unknown";
    }
    auto one = [](const std::optional<std::uint64_t>& v) {
        return v ? std::to_string(*v) : std::string("unlimited");
    };
    return one(r.soft) + "/" + one(r.hard);
}

std::string ms_text(double ms) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3f ms", ms);
    return buffer;
}

void fact_line(const Output& out, std::string_view key, const std::string& value) {
    std::string line = "  ";
    line += key;
    line += ':';
    line.append(key.size() < 16 ? 16 - key.size() : 1, ' ');
    line += value;
    out.line(line);
}

void print_facts(const Output& out, const doctor::Report& report, bool compiled_in, const LoopFacts& loop) {
    const platform::HostFacts& f = report.facts;
    out.line(out.paint("System", Color::bold));
    std::string os = f.identity.os + " " + f.identity.arch;
    if (f.identity.kernel_arch != f.identity.arch) {
        os += " (kernel " + f.identity.kernel_arch + ")";
    }
    fact_line(out, "OS", os);
    if (f.distro) {
        const auto& d = *f.distro;
        std::string text = d.pretty_name.empty() ? d.id : d.pretty_name;
        text += " [id " + d.id;
        if (!d.id_like.empty()) {
            text += ", like " + util::join(d.id_like, " ");
        }
        text += d.version_id.empty() ? ", rolling" : ", version " + d.version_id;
        text += "]";
        if (f.virtualization.container) {
            text += " (container userland)";
        }
        fact_line(out, "Distribution", text);
    } else {
        fact_line(out, "Distribution", "unknown (no os-release)");
    }
    fact_line(out, "Kernel", f.kernel.release.empty() ? "unknown" : f.kernel.release);
    fact_line(out, "libc",
              f.libc.name.empty() ? "unknown"
                                  : f.libc.name + (f.libc.version.empty() ? "" : " " + f.libc.version));
    std::vector<std::string> virt;
    if (f.virtualization.container) {
        virt.push_back("container " + *f.virtualization.container);
    }
    if (f.virtualization.wsl) {
        virt.push_back("WSL" + std::to_string(*f.virtualization.wsl));
    }
    if (f.virtualization.vm) {
        virt.push_back("VM " + *f.virtualization.vm);
    }
    fact_line(out, "Virtualization", virt.empty() ? "none detected" : util::join(virt, ", "));

    out.line(out.paint("CPU and memory", Color::bold));
    std::string cpus = std::to_string(f.cpu.online) + " online";
    if (f.cpu.affinity) {
        cpus += ", " + std::to_string(*f.cpu.affinity) + " allowed";
    }
    if (f.cpu.quota) {
        char q[32];
        std::snprintf(q, sizeof q, "%.2g", *f.cpu.quota);
        cpus += ", quota " + std::string(q) + " (cgroup v" +
                std::to_string(f.cpu.cgroup_version.value_or(0)) + ")";
    }
    cpus += ", effective " + std::to_string(f.cpu.effective);
    fact_line(out, "CPUs", cpus);
    std::string mem =
        f.memory.total_bytes ? util::format_bytes(*f.memory.total_bytes) + " total" : std::string("unknown");
    if (f.memory.cgroup_limit) {
        mem += ", cgroup limit " + util::format_bytes(*f.memory.cgroup_limit);
    }
    fact_line(out, "Memory", mem);
    fact_line(out, "Tasks",
              f.pids.cgroup_limit ? "pids.max " + std::to_string(*f.pids.cgroup_limit) : "no pids limit");
    fact_line(out, "Limits",
              "nofile " + limit_text(f.rlimits.nofile) + ", memlock " + limit_text(f.rlimits.memlock));

    out.line(out.paint("I/O", Color::bold));
    std::string uring = f.io_uring.usable ? "usable" : "not usable";
    uring += " (" + f.io_uring.reason + ")";
    if (!compiled_in) {
        uring += "; this build has no io_uring support";
    }
    fact_line(out, "io_uring", uring);
    fact_line(out, "Event loop",
              (loop.backend.empty() ? std::string("none") : loop.backend) + " (" + loop.reason + ")");

    out.line(out.paint("Package managers", Color::bold));
    if (report.package_managers.empty()) {
        out.line("  none detected");
    }
    for (const auto& m : report.package_managers) {
        std::string value = m.path;
        if (m.version) {
            value += " (" + *m.version + ")";
        } else if (!m.version_error.empty()) {
            value += " (version unknown: " + m.version_error + ")";
        }
        fact_line(out, m.name, value);
    }
}

void print_checks(const Output& out, const doctor::Report& report) {
    using S = doctor::Status;
    out.line(out.paint("Checks", Color::bold));
    for (const auto& c : report.checks) {
        std::string mark;
        switch (c.status) {
        case S::ok:
            mark = out.paint("[✓]", Color::green);
            break;
        case S::info:
            mark = out.paint("[i]", Color::blue);
            break;
        case S::warn:
            mark = out.paint("[!]", Color::yellow);
            break;
        case S::fail:
            mark = out.paint("[✗]", Color::red);
            break;
        case S::skip:
            mark = out.paint("[-]", Color::dim);
            break;
        }
        out.line(mark + " " + c.id + ": " + c.summary);
        if (!c.fix.empty() && (c.status == S::warn || c.status == S::fail)) {
            out.line("    fix: " + c.fix);
        }
        if (out.verbosity() > 0) {
            for (const auto& e : c.evidence) {
                out.line(out.paint("    " + e.key + " = " + e.value, Color::dim));
            }
            out.line(out.paint("    took " + ms_text(c.duration_ms), Color::dim));
        }
    }
}

// -q: only the checks that warn or fail, each with its fix; nothing at all when none does.
void print_problems(const Output& out, const doctor::Report& report) {
    using S = doctor::Status;
    for (const auto& c : report.checks) {
        if (c.status != S::warn && c.status != S::fail) {
            continue;
        }
        std::string mark =
            c.status == S::warn ? out.paint("[!]", Color::yellow) : out.paint("[✗]", Color::red);
        out.line(mark + " " + c.id + ": " + c.summary);
        if (!c.fix.empty()) {
            out.line("    fix: " + c.fix);
        }
    }
}

void print_report(const Output& out, const doctor::Report& report, bool compiled_in, const LoopFacts& loop) {
    const auto& o = report.facts.overrides;
    std::vector<std::string> overrides;
    if (o.root) {
        overrides.push_back("--root " + o.root_dir);
    }
    if (o.os) {
        overrides.push_back("ZSYNCCTL_OS=" + report.facts.identity.os);
    }
    if (o.arch) {
        overrides.push_back("ZSYNCCTL_ARCH=" + report.facts.identity.arch);
    }
    if (!overrides.empty()) {
        out.line(out.paint("Note: overrides active (" + util::join(overrides, ", ") +
                               "): these readings are not the live system's.",
                           Color::yellow));
        out.line("");
    }
    print_facts(out, report, compiled_in, loop);
    out.line("");
    print_checks(out, report);
    out.line("");
    const auto& r = report.recommendation;
    out.line("Recommendation: " + std::string(core::to_string(r.execution_model)) + ", " +
             std::string(core::to_string(r.io_backend)) + ", " + std::to_string(r.threads) + " thread(s) (" +
             r.reason + ")");
    if (out.verbosity() > 0) {
        for (const auto& [name, ms] : report.facts.timings_ms) {
            out.line(out.paint("  facts." + name + " took " + ms_text(ms), Color::dim));
        }
    }
    using S = doctor::Status;
    auto plural = [](std::size_t n, const char* word) {
        return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
    };
    std::string summary =
        std::to_string(report.count(S::ok)) + " ok, " + std::to_string(report.count(S::info)) + " info, " +
        plural(report.count(S::warn), "warning") + ", " + plural(report.count(S::fail), "failure") + ", " +
        std::to_string(report.count(S::skip)) + " skipped";
    if (out.verbosity() == 0) {
        summary += "; -v for evidence";
    }
    out.line(summary);
}

// What EventLoop::create gives for a requested backend, for the loop a command runs on (LoopUse::few_fds,
// as Context::runtime creates it: no process, no thread): made once per process and backend (a loop's ring
// is set up and torn down only to be described; serve answers every /v1/doctor from this), under a lock
// because serve's pool threads build doctor documents concurrently. Describing a server's loop instead (an
// 8192-entry completion queue, mapped and unmapped) was ~0.3 ms of every doctor run here (strace -T).
struct LoopChoice {
    std::string error;    // non-empty: the loop cannot be created
    std::string backend;  // what was created
    std::string fallback; // why automatic selection fell back to epoll
};

const LoopChoice& loop_choice(core::IoBackend backend) {
    static std::mutex mutex;
    static std::map<core::IoBackend, LoopChoice> made;
    std::lock_guard<std::mutex> lock(mutex);
    auto found = made.find(backend);
    if (found != made.end()) {
        return found->second;
    }
    LoopChoice choice;
    auto created = core::EventLoop::create(backend, core::LoopUse::few_fds);
    if (!created) {
        choice.error = created.error().message;
    } else {
        choice.backend = std::string(core::to_string((*created)->backend()));
        choice.fallback = (*created)->fallback_reason();
    }
    return made.emplace(backend, std::move(choice)).first->second;
}

void describe_loop(core::IoBackend backend, const std::string& source, bool compiled_in, LoopFacts& loop) {
    // The selection the runtime makes (the same probe, EventLoop::create), without starting a runtime:
    // that would read the CPU budget again outside doctor's one snapshot of the machine.
    const LoopChoice& created = loop_choice(backend);
    if (!created.error.empty()) {
        loop.reason = "cannot be created: " + created.error;
        return;
    }
    loop.backend = created.backend;
    if (source != "default") {
        loop.reason = "forced by " + source;
    } else if (!created.fallback.empty()) {
        loop.reason = "auto: io_uring not usable: " + created.fallback;
    } else if (!compiled_in) {
        loop.reason = "auto: this build has no io_uring support";
    } else {
        loop.reason = "auto: io_uring works here";
    }
}

struct DoctorRun {
    doctor::Report report;
    doctor::DoctorOptions options;
    LoopFacts loop;
};

// One run of the checks over one snapshot of the machine; raises on an unknown check id.
DoctorRun gather_doctor(const DoctorRequest& request) {
    doctor::DoctorOptions options;
    options.only = request.checks;
    options.io_uring_compiled_in = build_info().io_uring;
    options.requested_backend = request.io_backend;
    LoopFacts loop;
    loop.requested = std::string(core::to_string(options.requested_backend));
    // `auto` is the default whoever says it: only another value is an override.
    if (options.requested_backend != core::IoBackend::automatic) {
        loop.source = request.io_backend_source;
        options.requested_backend_source = loop.source;
    }
    // Validate the selection before gathering anything.
    if (auto valid = doctor::validate_check_ids(options.only); !valid) {
        raise(valid.error());
    }
    // One snapshot of the machine: every file is read once per run (the memo). Detection reuses a
    // valid cache that other commands wrote (a full detection stats every manager's name in every
    // PATH directory, ~1200 calls here) but never writes one: doctor writes nothing.
    const util::Root root = request.root.with_memo();
    {
        auto detect_context = pkg::DetectContext::current(root);
        std::optional<pkg::Detection> cached;
        if (request.use_cache) {
            if (auto file = pkg::cache_file_for(detect_context)) {
                cached = pkg::load_cache(*file, detect_context);
            }
        }
        auto detection = cached ? std::move(*cached) : pkg::detect_uncached(detect_context);
        doctor::add_package_managers(detect_context, detection, options);
        if (request.versions && request.runtime != nullptr && !detection.managers.empty()) {
            // The only place doctor spawns processes, and only when asked.
            auto versions = pkg::probe_versions(*request.runtime, detect_context, detection.managers,
                                                std::chrono::seconds(5));
            for (std::size_t i = 0; i < versions.size() && i < options.package_managers.size(); ++i) {
                options.package_managers[i].version = versions[i].version;
                if (versions[i].error) {
                    options.package_managers[i].version_error = versions[i].error->message;
                }
            }
        }
    }
    describe_loop(request.io_backend, loop.source, options.io_uring_compiled_in, loop);
    auto report = doctor::run_doctor(platform::gather_host_facts(root), options);
    if (!report) {
        raise(report.error());
    }
    return DoctorRun{std::move(*report), std::move(options), std::move(loop)};
}

} // namespace

DoctorRequest doctor_request(Context& context) {
    DoctorRequest request;
    request.root = context.root();
    request.use_cache = !context.options.no_cache;
    request.io_backend = context.io_backend();
    // `auto` is the default whoever says it: only another value is an override.
    if (request.io_backend != core::IoBackend::automatic) {
        request.io_backend_source =
            !context.options.io_backend.empty() ? "--io-backend" : "ZSYNCCTL_IO_BACKEND";
    }
    return request;
}

nlohmann::json doctor_document(const DoctorRequest& request) {
    // Serve's /v1/doctor takes a tree: the text is the one doctor --json prints, read back.
    DoctorRun run = gather_doctor(request);
    return json::parse(doctor_report_text(run.report, run.options.io_uring_compiled_in, run.loop));
}

void register_doctor(CLI::App& app, Context& context) {
    auto flags = std::make_shared<DoctorFlags>();
    auto* cmd = app.add_subcommand("doctor", "Facts about this machine and checks with fixes you can paste");
    complete_with(cmd->add_option("checks", flags->checks, "Run only these checks (see --list-checks)")
                      ->option_text("CHECK_ID..."),
                  "doctor-checks");
    cmd->add_flag("--list-checks", flags->list_checks, "List the check ids and what each one checks");
    cmd->add_flag("--strict", flags->strict, "Exit 1 on warnings too, not only on failures");
    cmd->add_flag(
        "--versions", flags->versions,
        "Also run each detected manager's version command (concurrently, 5 s deadline; under --root, "
        "read the package databases)");
    cmd->footer(
        "Exit status: 0 no check failed, 1 a check failed (or warned, with --strict), 2 usage error.\n"
        "Reads only: no network, nothing written, no process started.");
    cmd->final_callback([&context, flags] {
        context.set_action([&context, flags] {
            if (flags->list_checks) {
                if (context.options.json) {
                    json list = json::array();
                    for (const auto& c : doctor::check_catalog()) {
                        list.push_back({{"id", c.id}, {"category", c.category}, {"title", c.title}});
                    }
                    context.out.line(fast_json_text(list));
                } else {
                    for (const auto& c : doctor::check_catalog()) {
                        std::string line(c.id);
                        line.append(c.id.size() < 24 ? 24 - c.id.size() : 1, ' ');
                        line += c.title;
                        context.out.line(line);
                    }
                }
                return ExitCode::success;
            }
            DoctorRequest request = doctor_request(context);
            request.checks = flags->checks;
            request.versions = flags->versions;
            if (flags->versions) {
                request.runtime = &context.runtime();
            }
            DoctorRun run = gather_doctor(request);
            const doctor::Report* report = &run.report;
            const doctor::DoctorOptions& options = run.options;
            const LoopFacts& loop = run.loop;
            if (context.options.json) {
                context.out.line(doctor_report_text(*report, options.io_uring_compiled_in, loop));
            } else if (context.out.quiet()) {
                print_problems(context.out, *report);
            } else {
                print_report(context.out, *report, options.io_uring_compiled_in, loop);
            }
            return doctor::has_failures(*report, flags->strict ? doctor::Strict::yes : doctor::Strict::no)
                       ? ExitCode::failure
                       : ExitCode::success;
        });
    });
}

} // namespace zsyncctl::cli
