// Spawning and reaping N `true` processes: all in flight at once through the runtime's loop
// (core::spawn_process) vs one after another, with a plain posix_spawn+waitpid loop (the obvious
// baseline) and with core::run_process (our blocking API, a private epoll loop per child). Every mode runs
// once per repetition, interleaved, in the same process. Prints median ms and ratios sequential/concurrent
// (> 1 means the concurrent runtime is faster).
//   bench_spawn [--children N] [--reps N]
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "core/config.hpp"
#include "core/process.hpp"
#include "core/runtime.hpp"
#include "platform/io_uring_probe.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;
using namespace zsyncctl;

struct Options {
    std::size_t children = 200;
    std::size_t reps = 7;
};

double ms_since(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

core::ProcessSpec true_spec() {
    core::ProcessSpec spec;
    spec.argv = {"true"};
    return spec;
}

// `true` looked up in PATH once, so the baseline does not pay posix_spawnp's execve per PATH entry.
std::string find_true() {
    const char* path = std::getenv("PATH");
    std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
    std::size_t from = 0;
    while (from <= dirs.size()) {
        std::size_t colon = dirs.find(':', from);
        std::string dir = dirs.substr(from, colon == std::string::npos ? std::string::npos : colon - from);
        std::string candidate = (dir.empty() ? std::string(".") : dir) + "/true";
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate;
        }
        if (colon == std::string::npos) {
            break;
        }
        from = colon + 1;
    }
    bench::die("`true` not found in PATH");
}

double sequential_posix_spawn(const std::string& exe, std::size_t n) {
    char arg0[] = "true";
    char* argv[] = {arg0, nullptr};
    auto start = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
        pid_t pid = 0;
        int rc = posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv, environ);
        if (rc != 0) {
            bench::die("posix_spawn: " + std::to_string(rc));
        }
        int status = 0;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            bench::die("waitpid: child did not exit 0");
        }
    }
    return ms_since(start);
}

double sequential_run_process(std::size_t n) {
    auto start = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
        auto r = core::run_process(true_spec());
        if (!r || !r->success()) {
            bench::die("run_process: " + (r ? r->describe() : r.error().message));
        }
    }
    return ms_since(start);
}

double concurrent_runtime(core::Runtime& rt, std::size_t n) {
    std::vector<core::Future<core::ProcessResult>> running;
    running.reserve(n);
    auto start = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
        running.push_back(core::spawn_process(rt, true_spec()));
    }
    for (auto& f : running) {
        auto r = f.wait_for(std::chrono::seconds(60));
        if (!r || !r->success()) {
            bench::die("spawn_process: " + (r ? r->describe() : r.error().message));
        }
    }
    return ms_since(start);
}

std::unique_ptr<core::Runtime> make_runtime(core::IoBackend backend) {
    core::Config config;
    config.execution_model = core::ExecutionModel::thread_pool;
    config.io_backend = backend;
    auto rt = core::Runtime::create(config);
    if (!rt) {
        bench::die(rt.error().message);
    }
    auto loop = (*rt)->loop(); // created outside the timed part
    if (!loop) {
        bench::die(loop.error().message);
    }
    return std::move(*rt);
}

// Each child costs the parent 3 fds while it runs (stdout and stderr read ends, a pidfd) and 2 more
// briefly while spawning; leave room for the loop and stdio.
void ensure_fd_limit(std::size_t children) {
    const rlim_t need = static_cast<rlim_t>(children) * 5 + 64;
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        bench::die("getrlimit(RLIMIT_NOFILE) failed");
    }
    if (limit.rlim_cur >= need) {
        std::printf("fd limit: soft %llu >= %llu needed for %zu children at once; unchanged\n",
                    static_cast<unsigned long long>(limit.rlim_cur), static_cast<unsigned long long>(need),
                    children);
        return;
    }
    const rlim_t old = limit.rlim_cur;
    limit.rlim_cur = std::min(need, limit.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < need) {
        bench::die("fd limit too low for " + std::to_string(children) + " children and cannot be raised");
    }
    std::printf("fd limit: raised the soft limit from %llu to %llu for %zu children at once\n",
                static_cast<unsigned long long>(old), static_cast<unsigned long long>(limit.rlim_cur),
                children);
}

Options parse(int argc, char** argv) {
    Options o;
    bench::parse_options(argc, argv, "bench_spawn [--children N] [--reps N]",
                         {{"--children", &o.children}, {"--reps", &o.reps}});
    return o;
}

} // namespace

int main(int argc, char** argv) {
    bench::g_program = "bench_spawn";
    Options o = parse(argc, argv);
    std::printf(
        "bench_spawn: %zu x `true`, %zu repetitions, median ms (ratio = sequential / concurrent, > 1: "
        "concurrent is faster)\n",
        o.children, o.reps);
    ensure_fd_limit(o.children);

    struct Mode {
        std::string name;
        std::unique_ptr<core::Runtime> runtime; // concurrent modes only
        std::vector<double> ms;
    };
    std::vector<Mode> modes;
    const std::string exe = find_true();
    std::printf("baseline runs %s directly (looked up in PATH once); core:: looks `true` up per child\n",
                exe.c_str());
    modes.push_back({"sequential posix_spawn+waitpid", nullptr, {}});
    modes.push_back({"sequential core::run_process", nullptr, {}});
    modes.push_back({"concurrent spawn_process (epoll)", make_runtime(core::IoBackend::epoll), {}});
    platform::IoUringProbe probe = platform::probe_io_uring();
    if (probe.usable) {
        modes.push_back({"concurrent spawn_process (io_uring)", make_runtime(core::IoBackend::io_uring), {}});
    } else {
        std::printf("io_uring: not usable (%s); only the epoll loop is measured\n", probe.reason.c_str());
    }

    // One warm-up pass (page cache, PATH lookup, the loops' first allocations), then interleaved reps so
    // the machine's load drifts over every mode alike.
    for (std::size_t rep = 0; rep <= o.reps; ++rep) {
        for (Mode& m : modes) {
            double ms = 0;
            if (m.runtime) {
                ms = concurrent_runtime(*m.runtime, o.children);
            } else if (m.name.find("posix") != std::string::npos) {
                ms = sequential_posix_spawn(exe, o.children);
            } else {
                ms = sequential_run_process(o.children);
            }
            if (rep > 0) {
                m.ms.push_back(ms);
            }
        }
    }

    for (const Mode& m : modes) {
        std::printf("%-38s median %8.1f ms  (min %.1f, max %.1f)\n", m.name.c_str(), bench::median(m.ms),
                    *std::min_element(m.ms.begin(), m.ms.end()), *std::max_element(m.ms.begin(), m.ms.end()));
    }
    for (std::size_t c = 2; c < modes.size(); ++c) {
        for (std::size_t s = 0; s < 2; ++s) {
            std::printf("ratio %s / %s: %.2fx\n", modes[s].name.c_str(), modes[c].name.c_str(),
                        bench::median(modes[s].ms) / bench::median(modes[c].ms));
        }
    }
    for (Mode& m : modes) {
        if (m.runtime) {
            m.runtime->shutdown();
        }
    }
    return 0;
}
