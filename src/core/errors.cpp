#include "core/errors.hpp"

#include <array>

namespace zsyncctl::core {

namespace {
struct Entry {
    RuntimeErrc errc;
    std::string_view name;
    util::ErrorKind kind;
    std::string_view summary;
    std::string_view advice;
};

constexpr std::array k_entries{
    Entry{RuntimeErrc::AlreadyRunning, "AlreadyRunning", util::ErrorKind::internal,
          "the runtime is already running",
          "call Runtime::run() once per runtime; start a second runtime instead of nesting run() calls"},
    Entry{
        RuntimeErrc::RuntimeShutdown, "RuntimeShutdown", util::ErrorKind::cancelled,
        "the runtime has shut down",
        "submit work before the main task returns, or set keep_alive in the Config to keep the pool running"},
    Entry{RuntimeErrc::InvalidExecutionModel, "InvalidExecutionModel", util::ErrorKind::invalid_input,
          "the execution model is not valid for this configuration",
          "use execution model 'blocking', 'thread_pool' or 'auto'; thread_pool needs at least one worker"},
    Entry{RuntimeErrc::ThreadPoolExhausted, "ThreadPoolExhausted", util::ErrorKind::internal,
          "no worker thread could be started",
          "lower the worker count or raise the thread limit (ulimit -u, the cgroup's pids.max)"},
    Entry{RuntimeErrc::TaskQueueFull, "TaskQueueFull", util::ErrorKind::internal, "the task queue is full",
          "raise queue_bound in the Config (0 means unbounded) or wait for queued tasks before submitting "
          "more"},
    Entry{RuntimeErrc::FutureAlreadyAwaited, "FutureAlreadyAwaited", util::ErrorKind::internal,
          "the future's result was already taken",
          "await a future once; share the value after the first wait"},
    Entry{RuntimeErrc::CancellationRequested, "CancellationRequested", util::ErrorKind::cancelled,
          "the operation was cancelled", "nothing to fix if the cancellation was intended"},
    Entry{RuntimeErrc::TimeoutExpired, "TimeoutExpired", util::ErrorKind::timeout,
          "the operation did not finish before its deadline",
          "raise the timeout (e.g. --timeout) or check why it is slow"},
    Entry{RuntimeErrc::IoUringNotAvailable, "IoUringNotAvailable", util::ErrorKind::unsupported,
          "io_uring is not usable here",
          "use the epoll backend (--io-backend epoll or ZSYNCCTL_IO_BACKEND=epoll); run 'zsyncctl doctor' "
          "for the cause"},
    Entry{RuntimeErrc::PlatformUnsupported, "PlatformUnsupported", util::ErrorKind::unsupported,
          "this platform does not support the operation",
          "run 'zsyncctl doctor' to see what this platform supports"},
    Entry{RuntimeErrc::ConfigurationError, "ConfigurationError", util::ErrorKind::invalid_input,
          "the runtime configuration is invalid",
          "fix the fields named in the message; Config::validate() lists them"},
    Entry{RuntimeErrc::SystemResourceExhausted, "SystemResourceExhausted", util::ErrorKind::io,
          "a system resource ran out (file descriptors, memory or processes)",
          "raise the limit (ulimit -n for descriptors, ulimit -u for processes) or run fewer operations at "
          "once"},
};

const Entry& entry(RuntimeErrc errc) {
    for (const Entry& e : k_entries) {
        if (e.errc == errc) {
            return e;
        }
    }
    return k_entries.front();
}
} // namespace

std::string_view name(RuntimeErrc errc) {
    return entry(errc).name;
}

std::string_view explain(RuntimeErrc errc) {
    return entry(errc).advice;
}

util::ErrorKind kind_of(RuntimeErrc errc) {
    return entry(errc).kind;
}

util::Error runtime_error(RuntimeErrc errc, std::string_view detail) {
    const Entry& e = entry(errc);
    std::string message(e.summary);
    if (!detail.empty()) {
        message += ": ";
        message += detail;
    }
    return util::Error{e.kind, std::move(message), std::string(e.advice), std::string(e.name)};
}

std::optional<RuntimeErrc> runtime_errc(const util::Error& error) {
    for (const Entry& e : k_entries) {
        if (error.code == e.name) {
            return e.errc;
        }
    }
    return std::nullopt;
}

} // namespace zsyncctl::core
