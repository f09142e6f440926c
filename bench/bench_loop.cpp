// Event-loop latency, io_uring vs epoll in the same run: wake-up latency (another thread post()s to a loop
// blocked in its wait; time from post() to the callback) and timer lateness (how long after its deadline an
// add_timer callback runs, and the same through TimerService scheduled from another thread). Prints median
// and p99 in microseconds per backend and the ratio epoll / io_uring (> 1: io_uring is quicker). io_uring is
// measured only when platform::probe_io_uring() says it is usable.
//   bench_loop [--samples N] [--timer-samples N]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_support.hpp"
#include "core/event_loop.hpp"
#include "core/timer_service.hpp"
#include "platform/io_uring_probe.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace zsyncctl;
using namespace std::chrono_literals;

struct Options {
    std::size_t samples = 10000;
    std::size_t timer_samples = 1000; // per timer length; the 10 ms series takes timer_samples / 4
};

double us(Clock::duration d) {
    return std::chrono::duration<double, std::micro>(d).count();
}

struct Stats {
    double median = 0;
    double p99 = 0;
};

Stats stats(const std::vector<double>& v) {
    return {bench::median(v), bench::percentile(v, 99)};
}

// A loop running on its own thread for one measurement.
struct LoopThread {
    std::unique_ptr<core::EventLoop> loop;
    std::thread thread;
    explicit LoopThread(core::IoBackend backend) {
        auto created = core::EventLoop::create(backend);
        if (!created) {
            bench::die(created.error().message);
        }
        loop = std::move(*created);
        thread = std::thread([this] {
            if (auto ran = loop->run(); !ran) {
                bench::die(ran.error().message);
            }
        });
    }
    ~LoopThread() {
        loop->close();
        thread.join();
    }
};

// One-shot flag with a deadline (a stuck loop ends the bench instead of hanging it).
struct Flag {
    std::mutex m;
    std::condition_variable cv;
    bool set = false;
    void raise() {
        std::lock_guard lock(m);
        set = true;
        cv.notify_all();
    }
    void wait() {
        std::unique_lock lock(m);
        if (!cv.wait_for(lock, 30s, [&] { return set; })) {
            bench::die("timed out waiting for the loop");
        }
        set = false;
    }
};

std::vector<double> wake_latency(core::IoBackend backend, std::size_t n) {
    LoopThread lt(backend);
    std::vector<double> out;
    out.reserve(n);
    std::atomic<std::int64_t> ran_at{0};
    for (std::size_t i = 0; i < n; ++i) {
        std::this_thread::sleep_for(100us); // the loop goes back to blocking in its wait
        ran_at.store(0);
        const Clock::time_point posted = Clock::now();
        lt.loop->post([&ran_at] { ran_at.store(Clock::now().time_since_epoch().count()); });
        const Clock::time_point limit = posted + 30s;
        while (ran_at.load() == 0) {
            if (Clock::now() > limit) {
                bench::die("a posted task never ran");
            }
            std::this_thread::yield();
        }
        out.push_back(us(Clock::time_point(Clock::duration(ran_at.load())) - posted));
    }
    return out;
}

// A chain of add_timer callbacks on the loop thread, each armed `length` ahead by the previous one.
std::vector<double> timer_lateness(core::IoBackend backend, Clock::duration length, std::size_t n) {
    LoopThread lt(backend);
    struct Chain {
        core::EventLoop* loop = nullptr;
        Clock::duration length{};
        std::size_t n = 0;
        Clock::time_point deadline;
        std::vector<double> late;
        Flag done;
        void arm() {
            deadline = Clock::now() + length;
            loop->add_timer(deadline, [this] {
                late.push_back(us(Clock::now() - deadline));
                if (late.size() == n) {
                    done.raise();
                } else {
                    arm();
                }
            });
        }
    };
    Chain chain;
    chain.loop = lt.loop.get();
    chain.length = length;
    chain.n = n;
    chain.late.reserve(n);
    lt.loop->post([&chain] { chain.arm(); });
    chain.done.wait();
    return chain.late;
}

// TimerService::schedule_at from this (non-loop) thread: the facade's post + arm + fire.
std::vector<double> service_lateness(core::IoBackend backend, Clock::duration length, std::size_t n) {
    LoopThread lt(backend);
    core::TimerService timers(*lt.loop);
    std::vector<double> out;
    out.reserve(n);
    Flag done;
    for (std::size_t i = 0; i < n; ++i) {
        const Clock::time_point deadline = Clock::now() + length;
        double late = 0;
        auto id = timers.schedule_at(deadline, [&] {
            late = us(Clock::now() - deadline);
            done.raise();
        });
        if (!id) {
            bench::die(id.error().message);
        }
        done.wait();
        out.push_back(late);
    }
    return out;
}

void report(const char* what, const std::vector<core::IoBackend>& backends,
            const std::vector<std::vector<double>>& series) {
    std::printf("%s\n", what);
    std::vector<Stats> s;
    for (std::size_t i = 0; i < backends.size(); ++i) {
        s.push_back(stats(series[i]));
        std::printf("  %-9s n=%-6zu median %9.1f us   p99 %9.1f us\n", core::to_string(backends[i]).data(),
                    series[i].size(), s.back().median, s.back().p99);
    }
    if (s.size() == 2) {
        std::printf("  ratio epoll/io_uring: median %.2fx, p99 %.2fx\n", s[0].median / s[1].median,
                    s[0].p99 / s[1].p99);
    }
}

} // namespace

int main(int argc, char** argv) {
    bench::g_program = "bench_loop";
    Options o;
    bench::parse_options(argc, argv, "bench_loop [--samples N] [--timer-samples N]",
                         {{"--samples", &o.samples}, {"--timer-samples", &o.timer_samples}});
    std::vector<core::IoBackend> backends{core::IoBackend::epoll};
    platform::IoUringProbe probe = platform::probe_io_uring();
    if (probe.usable) {
        backends.push_back(core::IoBackend::io_uring);
    } else {
        std::printf("io_uring: not usable (%s); only epoll is measured\n", probe.reason.c_str());
    }
    std::printf("bench_loop: median and p99 in us; ratio epoll/io_uring > 1 means io_uring is quicker\n");

    // Backends alternate within each figure, so load drift on this shared machine hits both alike.
    auto measure = [&](auto&& one) {
        std::vector<std::vector<double>> series(backends.size());
        for (std::size_t half = 0; half < 2; ++half) {
            for (std::size_t b = 0; b < backends.size(); ++b) {
                auto part = one(backends[b]);
                series[b].insert(series[b].end(), part.begin(), part.end());
            }
        }
        return series;
    };
    report("wake-up latency: post() from another thread to a loop blocked in its wait -> callback runs",
           backends, measure([&](core::IoBackend b) { return wake_latency(b, o.samples / 2); }));
    report("timer lateness: add_timer 1 ms (chained on the loop thread)", backends,
           measure([&](core::IoBackend b) { return timer_lateness(b, 1ms, o.timer_samples / 2); }));
    report("timer lateness: add_timer 10 ms (chained on the loop thread)", backends,
           measure([&](core::IoBackend b) {
               return timer_lateness(b, 10ms, std::max<std::size_t>(o.timer_samples / 8, 1));
           }));
    report("timer lateness: TimerService 1 ms, scheduled from another thread", backends,
           measure([&](core::IoBackend b) { return service_lateness(b, 1ms, o.timer_samples / 2); }));
    return 0;
}
