#include "core/config.hpp"
#include "core/config_validate.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <optional>

#include "platform/cpu_budget.hpp"
#include "util/enum_names.hpp"

namespace zsyncctl::core {

namespace {

constexpr std::array<util::EnumName<ExecutionModel>, 4> k_execution_models{{
    {ExecutionModel::blocking, "blocking"},
    {ExecutionModel::thread_pool, "thread_pool"},
    {ExecutionModel::thread_pool, "thread-pool"},
    {ExecutionModel::automatic, "auto"},
}};

constexpr std::array<util::EnumName<IoBackend>, 5> k_io_backends{{
    {IoBackend::automatic, "auto"},
    {IoBackend::io_uring, "io_uring"},
    {IoBackend::io_uring, "io-uring"},
    {IoBackend::io_uring, "uring"},
    {IoBackend::epoll, "epoll"},
}};

} // namespace

std::string_view to_string(ExecutionModel model) {
    return util::enum_name(k_execution_models, model, "auto");
}

std::optional<ExecutionModel> parse_execution_model(std::string_view text) {
    return util::enum_parse(k_execution_models, text);
}

std::string_view to_string(IoBackend backend) {
    return util::enum_name(k_io_backends, backend, "auto");
}

std::optional<IoBackend> parse_io_backend(std::string_view text) {
    return util::enum_parse(k_io_backends, text);
}

unsigned effective_cpus() {
    static std::once_flag once;
    static unsigned cpus = 1;
    std::call_once(once, [] { cpus = platform::read_cpu_budget(util::Root()).effective; });
    return cpus;
}

Config Config::optimal() {
    Config config;
    config.execution_model = ExecutionModel::automatic;
    config.workers = std::min<std::size_t>(effective_cpus(), k_optimal_cap);
    return config;
}

Config Config::for_cli() {
    Config config;
    // A CLI spends its time waiting on children and sockets, not computing: a few workers are plenty,
    // and two whenever it may run on no more than two CPUs, whatever its quota: the affinity mask bounds
    // optimal()'s count, and the cgroup (mountinfo and the quota files, ~0.5 ms) is not read.
    const std::optional<unsigned> bound = platform::affinity_cpu_count();
    config.workers = bound && *bound <= 2 ? 2 : std::clamp<std::size_t>(optimal().workers, 2, 4);
    config.drain_timeout = std::chrono::milliseconds(500);
    config.loop_for_few_fds = true;
    config.workers_on_demand = true;
    return config;
}

std::vector<ConfigFinding> Config::validate() const {
    // The CPU count matters only to the check "more than 4x the CPUs", which 4 workers or fewer cannot
    // fail: Config::for_cli()'s runtimes are created without reading the cgroup.
    return validate_config(*this, workers > 4 ? effective_cpus() : 1);
}

std::vector<ConfigFinding> validate_config(const Config& config, unsigned cpus) {
    using S = ConfigFinding::Severity;
    std::vector<ConfigFinding> findings;
    if (config.workers > Config::k_max_workers) {
        findings.push_back(
            {S::error, "workers",
             "worker count " + std::to_string(config.workers) + " is above the limit of " +
                 std::to_string(Config::k_max_workers),
             "set workers to at most " + std::to_string(Config::k_max_workers) + " (0 picks from the CPUs)"});
    }
    if (config.execution_model == ExecutionModel::blocking && config.workers > 1) {
        findings.push_back({S::warning, "workers", "the blocking model ignores the worker count",
                            "use execution model thread_pool, or leave workers at 0"});
    }
    if (config.drain_timeout.count() < 0) {
        findings.push_back(
            {S::error, "drain_timeout", "drain timeout is negative", "set drain_timeout to 0 or more"});
    }
    if (config.execution_model == ExecutionModel::thread_pool &&
        config.workers > 4 * static_cast<std::size_t>(cpus)) {
        findings.push_back({S::warning, "workers",
                            "worker count " + std::to_string(config.workers) + " is more than 4x the " +
                                std::to_string(cpus) + " CPUs this process may use",
                            "set workers to " +
                                std::to_string(std::min<unsigned>(cpus, Config::k_optimal_cap)) +
                                " (Config::optimal())"});
    }
    if (config.queue_bound != 0 && config.queue_bound < config.resolved_workers()) {
        findings.push_back({S::warning, "queue_bound", "queue bound is smaller than the worker count",
                            "set queue_bound to 0 (unbounded) or at least the worker count"});
    }
    if (config.keep_alive) {
        findings.push_back(
            {S::warning, "keep_alive",
             "keep_alive leaves the pool running after the main task; the caller must shut it down",
             "leave keep_alive off unless the program calls Runtime::shutdown() itself"});
    }
    return findings;
}

std::size_t Config::resolved_workers() const {
    if (workers != 0) {
        return workers;
    }
    return std::min<std::size_t>(effective_cpus(), k_optimal_cap);
}

ExecutionModel Config::resolved_model() const {
    if (execution_model != ExecutionModel::automatic) {
        return execution_model;
    }
    return resolved_workers() <= 1 && effective_cpus() <= 1 ? ExecutionModel::blocking
                                                            : ExecutionModel::thread_pool;
}

} // namespace zsyncctl::core
