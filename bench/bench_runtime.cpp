// Runtime benchmarks against boost::asio::thread_pool, measured in the same process with the same worker
// count. Prints one line per measurement and a ratio (> 1.0 means ours is faster).
//   bench_runtime [--workers N] [--tasks N] [--rounds N] [--awaits N] [--only ours|asio]
//                 [--mode await|submit|spawn]
// --only runs one side's --mode once (await: --awaits tasks, submit/spawn: --tasks tasks) and nothing else,
// so counts taken from outside (strace -c -f, bench/malloc_count.c, callgrind) divide by that task count.
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>
#include <vector>

#include "bench_support.hpp"
#include "core/config.hpp"
#include "core/runtime.hpp"
#include "core/thread_pool.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace zsyncctl;

struct Options {
    std::size_t workers = 2;
    std::size_t tasks = 200000;
    std::size_t rounds = 6;
    std::size_t awaits = 20000;
    std::string only;           // "ours" or "asio": run one side only (for profiling with perf/strace)
    std::string mode = "await"; // with --only: which measurement
};

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds (user + system) of the whole process so far: the pool that is not measured sleeps, so the
// difference around one measurement is that side's CPU, which load from other processes inflates far
// less than it inflates wall time.
double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Runs `measure()` (which returns wall seconds for `n` tasks); appends tasks/s to `rate` and CPU
// nanoseconds per task to `cpu`.
template <typename Measure>
void timed(std::size_t n, std::vector<double>& rate, std::vector<double>& cpu, Measure measure) {
    double c0 = cpu_seconds();
    double wall = measure();
    cpu.push_back((cpu_seconds() - c0) * 1e9 / static_cast<double>(n));
    rate.push_back(static_cast<double>(n) / wall);
}

// Raw pool: N fire-and-forget tasks, the last one to finish releases the submitter.
double ours_submit(core::ThreadPool& pool, std::size_t n) {
    std::atomic<std::size_t> left{n};
    std::promise<void> done;
    auto start = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
        auto r = pool.submit([&] {
            if (left.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                done.set_value();
            }
        });
        if (!r) {
            std::fprintf(stderr, "submit failed: %s\n", r.error().message.c_str());
            std::exit(1);
        }
    }
    done.get_future().wait();
    return seconds_since(start);
}

double asio_submit(boost::asio::thread_pool& pool, std::size_t n) {
    std::atomic<std::size_t> left{n};
    std::promise<void> done;
    auto start = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
        boost::asio::post(pool, [&] {
            if (left.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                done.set_value();
            }
        });
    }
    done.get_future().wait();
    return seconds_since(start);
}

// Tasks with results: spawn N, then await every future in order.
double ours_spawn(core::Runtime& rt, std::size_t n) {
    std::vector<core::Future<std::size_t>> futures;
    futures.reserve(n);
    auto start = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
        futures.push_back(rt.spawn([i] { return i; }));
    }
    std::size_t sum = 0;
    for (auto& f : futures) {
        auto r = f.wait();
        if (!r) {
            std::fprintf(stderr, "task failed: %s\n", r.error().message.c_str());
            std::exit(1);
        }
        sum += *r;
    }
    double t = seconds_since(start);
    if (sum != n * (n - 1) / 2) {
        std::fprintf(stderr, "wrong sum\n");
        std::exit(1);
    }
    return t;
}

double asio_spawn(boost::asio::thread_pool& pool, std::size_t n) {
    std::vector<std::future<std::size_t>> futures;
    futures.reserve(n);
    auto start = Clock::now();
    for (std::size_t i = 0; i < n; ++i) {
        futures.push_back(boost::asio::post(pool, boost::asio::use_future([i] { return i; })));
    }
    std::size_t sum = 0;
    for (auto& f : futures) {
        sum += f.get();
    }
    double t = seconds_since(start);
    if (sum != n * (n - 1) / 2) {
        std::fprintf(stderr, "wrong sum\n");
        std::exit(1);
    }
    return t;
}

// Await latency: one task at a time, submit then block on its future; median microseconds.
double ours_await(core::Runtime& rt, std::size_t n) {
    std::vector<double> samples;
    samples.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        auto start = Clock::now();
        auto r = rt.spawn([i] { return i; }).wait();
        samples.push_back(seconds_since(start) * 1e6);
        if (!r || *r != i) {
            std::fprintf(stderr, "await failed\n");
            std::exit(1);
        }
    }
    return bench::median(samples);
}

double asio_await(boost::asio::thread_pool& pool, std::size_t n) {
    std::vector<double> samples;
    samples.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        auto start = Clock::now();
        std::size_t r = boost::asio::post(pool, boost::asio::use_future([i] { return i; })).get();
        samples.push_back(seconds_since(start) * 1e6);
        if (r != i) {
            std::fprintf(stderr, "await failed\n");
            std::exit(1);
        }
    }
    return bench::median(samples);
}

Options parse(int argc, char** argv) {
    Options o;
    o.workers = core::Config::optimal().resolved_workers();
    bench::parse_options(
        argc, argv,
        "bench_runtime [--workers N] [--tasks N] [--rounds N] [--awaits N] [--only ours|asio] "
        "[--mode await|submit|spawn]",
        {{"--workers", &o.workers}, {"--tasks", &o.tasks}, {"--rounds", &o.rounds}, {"--awaits", &o.awaits}},
        [&o](const std::string& key, const char* value) {
            if (key == "--only") {
                o.only = value;
                return true;
            }
            if (key == "--mode") {
                o.mode = value;
                return true;
            }
            return false;
        });
    return o;
}

void report(const char* what, const char* unit, double ours, double theirs, bool lower_is_better) {
    double ratio = lower_is_better ? theirs / ours : ours / theirs;
    std::printf("%-34s ours %10.2f %-8s asio %10.2f %-8s ratio %.2fx %s\n", what, ours, unit, theirs, unit,
                ratio, ratio >= 1.0 ? "(goal >= 1.0x met)" : "(goal >= 1.0x MISSED)");
}

} // namespace

int main(int argc, char** argv) {
    bench::g_program = "bench_runtime";
    Options o = parse(argc, argv);
    std::printf("bench_runtime: %zu workers, %zu tasks x %zu rounds, %zu awaits (medians; ratio > 1 = ours "
                "faster)\n",
                o.workers, o.tasks, o.rounds, o.awaits);

    core::Config config = core::Config::optimal();
    config.execution_model = core::ExecutionModel::thread_pool;
    config.workers = o.workers;
    config.queue_bound = 0;
    auto rt = core::Runtime::create(config);
    if (!rt) {
        std::fprintf(stderr, "bench_runtime: %s\n", rt.error().message.c_str());
        return 1;
    }
    boost::asio::thread_pool asio_pool(o.workers);
    core::ThreadPool& pool = *(*rt)->pool();

    bool run_ours = o.only != "asio";
    if (!o.only.empty()) {
        // Profiling mode: one side's one measurement only, so perf/strace see nothing else.
        if (o.mode == "submit") {
            double t = run_ours ? ours_submit(pool, o.tasks) : asio_submit(asio_pool, o.tasks);
            std::printf("%s submit+complete: %zu tasks, %.1f ktask/s\n", o.only.c_str(), o.tasks,
                        o.tasks / t / 1e3);
        } else if (o.mode == "spawn") {
            double t = run_ours ? ours_spawn(**rt, o.tasks) : asio_spawn(asio_pool, o.tasks);
            std::printf("%s spawn+await-all: %zu tasks, %.1f ktask/s\n", o.only.c_str(), o.tasks,
                        o.tasks / t / 1e3);
        } else if (o.mode == "await") {
            double v = run_ours ? ours_await(**rt, o.awaits) : asio_await(asio_pool, o.awaits);
            std::printf("%s future await latency (median): %.2f us over %zu awaits\n", o.only.c_str(), v,
                        o.awaits);
        } else {
            bench::die("--mode is await, submit or spawn");
        }
    } else {
        // Interleave ours and theirs round by round so machine noise hits both alike.
        std::vector<double> os, as, osp, asp, ol, al, osc, asc, ospc, aspc;
        auto ours = [&] {
            timed(o.tasks, os, osc, [&] { return ours_submit(pool, o.tasks); });
            timed(o.tasks, osp, ospc, [&] { return ours_spawn(**rt, o.tasks); });
            ol.push_back(ours_await(**rt, o.awaits / o.rounds));
        };
        auto theirs = [&] {
            timed(o.tasks, as, asc, [&] { return asio_submit(asio_pool, o.tasks); });
            timed(o.tasks, asp, aspc, [&] { return asio_spawn(asio_pool, o.tasks); });
            al.push_back(asio_await(asio_pool, o.awaits / o.rounds));
        };
        for (std::size_t r = 0; r < o.rounds; ++r) {
            // Alternate who goes first, so neither always runs right after the other's burst.
            if (r % 2 == 0) {
                ours();
                theirs();
            } else {
                theirs();
                ours();
            }
        }
        report("submit+complete throughput", "ktask/s", bench::median(os) / 1e3, bench::median(as) / 1e3,
               false);
        report("spawn+await-all throughput", "ktask/s", bench::median(osp) / 1e3, bench::median(asp) / 1e3,
               false);
        report("future await latency (median)", "us", bench::median(ol), bench::median(al), true);
        report("submit+complete CPU per task", "ns", bench::median(osc), bench::median(asc), true);
        report("spawn+await-all CPU per task", "ns", bench::median(ospc), bench::median(aspc), true);
    }

    asio_pool.join();
    (*rt)->shutdown();
    return 0;
}
