#include "core/runtime.hpp"

namespace zsyncctl::core {

Runtime::Runtime(Config config) : m_config(std::move(config)) {}

util::Result<std::unique_ptr<Runtime>> Runtime::create(Config config) {
    std::string problems;
    for (const ConfigFinding& f : config.validate()) {
        if (f.severity == ConfigFinding::Severity::error) {
            problems += problems.empty() ? "" : "; ";
            problems += f.field + ": " + f.message + " (fix: " + f.fix + ")";
        }
    }
    if (!problems.empty()) {
        return util::fail(runtime_error(RuntimeErrc::ConfigurationError, problems));
    }
    std::unique_ptr<Runtime> runtime(new Runtime(std::move(config)));
    if (runtime->m_config.resolved_model() == ExecutionModel::thread_pool) {
        auto pool = ThreadPool::create(runtime->m_config.resolved_workers(), runtime->m_config.queue_bound);
        if (!pool) {
            return util::fail(std::move(pool).error());
        }
        runtime->m_pool = std::move(*pool);
    }
    return runtime;
}

Runtime::~Runtime() {
    shutdown();
}

ShutdownReport Runtime::shutdown() {
    if (m_shut_down.exchange(true)) {
        return {};
    }
    m_token.cancel();
    m_timers.stop();
    if (m_pool) {
        return m_pool->shutdown(m_config.drain_timeout);
    }
    return {};
}

} // namespace zsyncctl::core
