#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>

#include "core/config.hpp"
#include "core/errors.hpp"
#include "platform/cpu_budget.hpp"

using namespace zsyncctl;

TEST_CASE("Config optimal is within the CPU budget and the cap") {
    auto config = core::Config::optimal();
    CHECK(config.workers >= 1);
    CHECK(config.workers <= core::Config::k_optimal_cap);
    CHECK(config.workers <= core::effective_cpus());
    CHECK(config.validate().empty());
}

TEST_CASE("Config for_cli gives optimal()'s workers clamped to 2..4, with or without reading the cgroup") {
    // for_cli() skips the cgroup when the affinity mask already bounds the answer; the answer must be the
    // one the full budget gives.
    const auto cli = core::Config::for_cli();
    const std::size_t expected = std::clamp<std::size_t>(core::Config::optimal().workers, 2, 4);
    CHECK(cli.workers == expected);
    CHECK(cli.drain_timeout == std::chrono::milliseconds(500));
    CHECK(cli.execution_model == core::ExecutionModel::automatic);
    CHECK(cli.resolved_model() == core::ExecutionModel::thread_pool);
    CHECK(cli.validate().empty());
    CHECK(cli.loop_for_few_fds); // a command's loop and pool
    CHECK(cli.workers_on_demand);
    CHECK_FALSE(core::Config{}.loop_for_few_fds); // the default: a server's
    CHECK_FALSE(core::Config{}.workers_on_demand);
    // Five or more workers are checked against the real CPU count.
    core::Config many;
    many.execution_model = core::ExecutionModel::thread_pool;
    many.workers = 4 * core::effective_cpus() + 1;
    bool over = false;
    for (const auto& f : many.validate()) {
        over |= f.field == "workers" && f.severity == core::ConfigFinding::Severity::warning;
    }
    CHECK(over);
}

TEST_CASE("Config validate reports structured findings") {
    core::Config config;
    config.workers = 1000;
    config.keep_alive = true;
    auto findings = config.validate();
    bool error = false;
    bool warning = false;
    for (auto& f : findings) {
        CHECK_FALSE(f.fix.empty());
        error |= f.severity == core::ConfigFinding::Severity::error && f.field == "workers";
        warning |= f.severity == core::ConfigFinding::Severity::warning && f.field == "keep_alive";
    }
    CHECK(error);
    CHECK(warning);
}

TEST_CASE("Config parses execution models and I/O backends") {
    CHECK(core::parse_execution_model("auto") == core::ExecutionModel::automatic);
    CHECK(core::parse_execution_model("thread_pool") == core::ExecutionModel::thread_pool);
    CHECK_FALSE(core::parse_execution_model("threads").has_value());
    CHECK(core::parse_io_backend("epoll") == core::IoBackend::epoll);
    CHECK_FALSE(core::parse_io_backend("kqueue").has_value());
    CHECK(core::to_string(core::IoBackend::io_uring) == "io_uring");
}

TEST_CASE("cpu budget parsers") {
    SUBCASE("cpu lists") {
        CHECK(platform::parse_cpu_list_count("0-3,8,10-11\n") == 7u);
        CHECK(platform::parse_cpu_list_count("0") == 1u);
        CHECK_FALSE(platform::parse_cpu_list_count("3-1").has_value());
        CHECK_FALSE(platform::parse_cpu_list_count("x").has_value());
    }
    SUBCASE("cgroup v2 cpu.max") {
        CHECK(platform::parse_cgroup2_cpu_max("max 100000\n") == std::nullopt);
        CHECK(platform::parse_cgroup2_cpu_max("150000 100000") == doctest::Approx(1.5));
        CHECK_FALSE(platform::parse_cgroup2_cpu_max("garbage").has_value());
        CHECK_FALSE(platform::parse_cgroup2_cpu_max("100 0").has_value());
    }
    SUBCASE("cgroup v1 quota") {
        CHECK(platform::parse_cgroup1_quota("-1", "100000") == std::nullopt);
        CHECK(platform::parse_cgroup1_quota("50000\n", "100000\n") == doctest::Approx(0.5));
    }
}

TEST_CASE("errors taxonomy gives every code a name and an actionable sentence") {
    using E = core::RuntimeErrc;
    for (E e : {E::AlreadyRunning, E::RuntimeShutdown, E::InvalidExecutionModel, E::ThreadPoolExhausted,
                E::TaskQueueFull, E::FutureAlreadyAwaited, E::CancellationRequested, E::TimeoutExpired,
                E::IoUringNotAvailable, E::PlatformUnsupported, E::ConfigurationError,
                E::SystemResourceExhausted}) {
        auto error = core::runtime_error(e, "detail");
        CHECK_FALSE(core::explain(e).empty());
        CHECK(error.hint == core::explain(e));
        CHECK(core::runtime_errc(error) == e);
        CHECK(error.message.find("detail") != std::string::npos);
    }
    CHECK(core::kind_of(E::TimeoutExpired) == util::ErrorKind::timeout);
    CHECK(core::kind_of(E::CancellationRequested) == util::ErrorKind::cancelled);
}
