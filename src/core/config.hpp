#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zsyncctl::core {

/// How tasks run: inline on the caller (`blocking`), on a worker pool (`thread_pool`), or chosen from
/// the CPU budget (`automatic`, spelled "auto").
enum class ExecutionModel { blocking, thread_pool, automatic };

/// Which event-loop backend to use; `automatic` probes io_uring and falls back to epoll.
enum class IoBackend { automatic, io_uring, epoll };

/// "blocking" / "thread_pool" / "auto".
std::string_view to_string(ExecutionModel model);
/// Parses "blocking", "thread_pool" (or "thread-pool"), "auto"; nullopt otherwise.
std::optional<ExecutionModel> parse_execution_model(std::string_view text);
/// "auto" / "io_uring" / "epoll".
std::string_view to_string(IoBackend backend);
/// Parses "auto", "io_uring" (or "io-uring", "uring"), "epoll"; nullopt otherwise.
std::optional<IoBackend> parse_io_backend(std::string_view text);

/// One problem found by Config::validate(): an error makes the runtime refuse the config.
struct ConfigFinding {
    enum class Severity { error, warning };
    Severity severity = Severity::error;
    std::string field;
    std::string message;
    std::string fix;
};

/// The runtime's configuration. Plain data; validate() before use (Runtime::create does).
struct Config {
    static constexpr std::size_t k_max_workers = 256;
    static constexpr std::size_t k_optimal_cap = 16;

    ExecutionModel execution_model = ExecutionModel::automatic;
    std::size_t workers = 0;     // 0: from the CPU budget
    std::size_t queue_bound = 0; // 0: unbounded
    bool keep_alive = false;     // true: run() leaves the pool running (the caller shuts it down)
    std::chrono::milliseconds drain_timeout{2000};
    IoBackend io_backend = IoBackend::automatic;
    /// The event loop watches a handful of fds (a command's signal pipe and children): set up as
    /// LoopUse::few_fds (see event_loop.hpp). False: sized for a server's thousands of connections.
    bool loop_for_few_fds = false;
    /// Workers start as tasks need them (WorkerStart::on_demand, thread_pool.hpp), up to the count; false:
    /// all at creation.
    bool workers_on_demand = false;

    /// Workers from the CPUs this process may really use (affinity and cgroup quota), capped at 16.
    static Config optimal();
    /// For a CLI command: like optimal(), but a small pool whose workers start on demand, a short drain so
    /// exit is prompt, and a loop for a few fds (`zsyncctl serve` sets both back to a server's).
    static Config for_cli();

    /// Every error and warning in this config; empty when it is fine.
    std::vector<ConfigFinding> validate() const;

    /// The worker count that will be used (resolves 0 from the CPU budget).
    std::size_t resolved_workers() const;
    /// The model that will be used (resolves automatic: blocking on a single CPU, else thread_pool).
    ExecutionModel resolved_model() const;
};

/// The effective CPU count of this process on the host (cached after the first call).
unsigned effective_cpus();

} // namespace zsyncctl::core
