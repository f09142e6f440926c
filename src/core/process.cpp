#include "core/process.hpp"

#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "core/errors.hpp"
#include "core/process_internal.hpp"
#include "core/runtime.hpp"

namespace zsyncctl::core {

bool ProcessControl::signal(int sig) const {
    if (m_pid <= 0) {
        return false;
    }
    return ::kill(m_whole_group ? -m_pid : m_pid, sig) == 0;
}

bool ProcessControl::signal_leader(int sig) const {
    return m_pid > 0 && ::kill(m_pid, sig) == 0;
}

bool ProcessControl::write_terminal(std::string_view bytes) const {
    if (m_terminal_fd < 0) {
        return false;
    }
    while (!bytes.empty()) {
        ssize_t n = ::write(m_terminal_fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

bool ProcessControl::resize_terminal(unsigned short rows, unsigned short cols) const {
    if (m_terminal_fd < 0) {
        return false;
    }
    winsize size{};
    size.ws_row = rows;
    size.ws_col = cols;
    return ::ioctl(m_terminal_fd, TIOCSWINSZ, &size) == 0;
}

std::string_view to_string(ProcessOutcome outcome) {
    switch (outcome) {
    case ProcessOutcome::exited:
        return "exited";
    case ProcessOutcome::killed:
        return "killed";
    case ProcessOutcome::timed_out:
        return "timed_out";
    case ProcessOutcome::cancelled:
        return "cancelled";
    }
    return "exited";
}

std::string ProcessResult::describe() const {
    std::string how = exit_code >= 0 ? "exited with code " + std::to_string(exit_code)
                                     : "killed by " + process_detail::signal_name(signal);
    switch (outcome) {
    case ProcessOutcome::exited:
    case ProcessOutcome::killed:
        return how;
    case ProcessOutcome::timed_out:
        return "timed out (" + how + ")";
    case ProcessOutcome::cancelled:
        return "cancelled (" + how + ")";
    }
    return how;
}

Future<ProcessResult> spawn_process(EventLoop& loop, ProcessSpec spec, CancellationToken token) {
    return process_detail::start_child(loop, std::move(spec), std::move(token));
}

Future<ProcessResult> spawn_process(Runtime& runtime, ProcessSpec spec, CancellationToken token) {
    auto loop = runtime.loop();
    if (!loop) {
        return Future<ProcessResult>::ready(util::fail(std::move(loop).error()));
    }
    return spawn_process(**loop, std::move(spec), std::move(token));
}

util::Result<ProcessResult> run_process(ProcessSpec spec, CancellationToken token) {
    auto loop = EventLoop::create(IoBackend::epoll);
    if (!loop) {
        return util::fail(std::move(loop).error());
    }
    EventLoop& l = **loop;
    Future<ProcessResult> future = spawn_process(l, std::move(spec), std::move(token));
    std::optional<util::Result<ProcessResult>> outcome;
    future.on_complete([&](util::Result<ProcessResult> r) {
        outcome.emplace(std::move(r));
        l.stop();
    });
    if (!outcome) {
        if (auto ran = l.run(); !ran) {
            return util::fail(std::move(ran).error());
        }
    }
    l.close();
    if (!outcome) {
        return util::fail(runtime_error(RuntimeErrc::RuntimeShutdown, "the process loop stopped early"));
    }
    return std::move(*outcome);
}

} // namespace zsyncctl::core
