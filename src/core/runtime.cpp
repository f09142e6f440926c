#include "core/runtime.hpp"

#include <system_error>

namespace zsyncctl::core {

Runtime::Runtime(Config config) : m_config(std::move(config)), m_timers([this] { return loop(); }) {}

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
        auto pool = ThreadPool::create(runtime->m_config.resolved_workers(), runtime->m_config.queue_bound,
                                       runtime->m_config.workers_on_demand ? WorkerStart::on_demand
                                                                           : WorkerStart::all_at_once);
        if (!pool) {
            return util::fail(std::move(pool).error());
        }
        runtime->m_pool = std::move(*pool);
    }
    return runtime;
}

std::unique_ptr<EventLoop> Runtime::stop_loop() {
    std::unique_ptr<EventLoop> loop;
    std::thread thread;
    {
        std::lock_guard lock(m_loop_mutex);
        loop = std::move(m_loop);
        thread = std::move(m_loop_thread);
    }
    if (!loop) {
        return nullptr;
    }
    loop->close();
    if (thread.joinable()) {
        if (thread.get_id() == std::this_thread::get_id()) {
            // shutdown() from a loop callback: the loop thread cannot join itself; let it finish alone.
            thread.detach();
            (void)loop.release(); // still running this very callback; leaked deliberately at exit
            return nullptr;
        }
        thread.join();
    }
    return loop;
}

Runtime::~Runtime() {
    shutdown();
}

util::Result<EventLoop*> Runtime::loop() {
    std::lock_guard lock(m_loop_mutex);
    if (m_loop) {
        return m_loop.get();
    }
    if (m_shut_down.load()) {
        return util::fail(runtime_error(RuntimeErrc::RuntimeShutdown, "no event loop after shutdown"));
    }
    auto created = EventLoop::create(m_config.io_backend,
                                     m_config.loop_for_few_fds ? LoopUse::few_fds : LoopUse::other_thread);
    if (!created) {
        return util::fail(std::move(created).error());
    }
    EventLoop* loop = created->get();
    try {
        m_loop_thread = std::thread([loop] {
            // A failing wait (never seen in practice) ends the thread; later posts then just queue.
            (void)loop->run();
        });
    } catch (const std::system_error& e) {
        return util::fail(
            runtime_error(RuntimeErrc::ThreadPoolExhausted, std::string("loop thread: ") + e.what()));
    }
    m_loop = std::move(*created);
    return loop;
}

ShutdownReport Runtime::shutdown() {
    if (m_shut_down.exchange(true)) {
        return {};
    }
    m_token.cancel();
    m_timers.stop();
    // The loop stops first (nothing more runs on it) but goes away last: a pool task that ends now may be
    // inside post() to it, from a future's continuation (serve reports a finished request on its loop),
    // past the closed check and about to wake it. Destroying the loop before the pool's workers are joined
    // closed the wake descriptor under that write (TSan, serve_info.sh: a drained SIGTERM).
    std::unique_ptr<EventLoop> loop = stop_loop();
    ShutdownReport report;
    if (m_pool) {
        report = m_pool->shutdown(m_config.drain_timeout);
    }
    if (report.detached_workers > 0) {
        (void)loop.release(); // a worker left running may still post to it: kept until the process exits
    }
    return report;
}

} // namespace zsyncctl::core
