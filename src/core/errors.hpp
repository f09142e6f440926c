#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace zsyncctl::core {

/// The runtime's error taxonomy (from the seed). Each maps to a util::ErrorKind and an actionable sentence.
enum class RuntimeErrc {
    AlreadyRunning,
    RuntimeShutdown,
    InvalidExecutionModel,
    ThreadPoolExhausted,
    TaskQueueFull,
    FutureAlreadyAwaited,
    CancellationRequested,
    TimeoutExpired,
    IoUringNotAvailable,
    PlatformUnsupported,
    ConfigurationError,
    SystemResourceExhausted,
};

/// The taxonomy name, e.g. "TimeoutExpired"; never fails.
std::string_view name(RuntimeErrc errc);

/// One actionable sentence: what happened, why it usually happens, and what to do about it.
std::string_view explain(RuntimeErrc errc);

/// The ErrorKind callers branch on (TimeoutExpired -> timeout, CancellationRequested -> cancelled, ...).
util::ErrorKind kind_of(RuntimeErrc errc);

/// Builds an Error carrying the taxonomy code; `detail` (may be empty) is appended to the message,
/// and the hint is the actionable sentence.
util::Error runtime_error(RuntimeErrc errc, std::string_view detail = {});

/// The taxonomy code of an error built by runtime_error(), or nullopt for other errors.
std::optional<RuntimeErrc> runtime_errc(const util::Error& error);

} // namespace zsyncctl::core
