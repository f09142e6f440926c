#include "cli/context.hpp"

#include "platform/host.hpp"
#include "util/sanitize.hpp"
#include "util/strings.hpp"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdio_ext.h>
#include <unistd.h>

#include "cli/terminal.hpp"
#include "core/errors.hpp"

namespace zsyncctl::cli {

void raise(util::Error error) {
    throw CommandError{std::move(error)};
}

void raise_usage(std::string message, std::string hint) {
    throw CommandError{util::make_error(util::ErrorKind::invalid_input, std::move(message), std::move(hint))};
}

ExitCode exit_code_for(util::ErrorKind kind) {
    switch (kind) {
    case util::ErrorKind::invalid_input:
        return ExitCode::usage;
    case util::ErrorKind::interrupted:
        return ExitCode::interrupted;
    default:
        return ExitCode::failure;
    }
}

const util::Root& Context::root() {
    if (!m_root) {
        auto root = util::Root::from_option_or_env(options.root);
        if (!root) {
            raise(std::move(root).error()); // invalid_input: a missing or non-directory DIR is usage (exit 2)
        }
        m_root = std::move(*root);
    }
    return *m_root;
}

void Context::check_overrides() const {
    if (const char* os = std::getenv("ZSYNCCTL_OS"); os != nullptr && os[0] != '\0') {
        if (!platform::is_known_os(platform::normalize_os(os))) {
            raise_usage("unknown OS in ZSYNCCTL_OS: '" + util::sanitize_for_display(os) + "'",
                        "use one of: linux, macos, windows, freebsd, openbsd, netbsd (or unset it)");
        }
    }
    if (const char* arch = std::getenv("ZSYNCCTL_ARCH"); arch != nullptr && arch[0] != '\0') {
        if (!platform::is_known_arch(platform::normalize_arch(arch))) {
            raise_usage(
                "unknown architecture in ZSYNCCTL_ARCH: '" + util::sanitize_for_display(arch) + "'",
                "use one of: x86_64, arm64, x86, arm, riscv64, ppc64le, s390x, loongarch64 (or unset it)");
        }
    }
}

core::IoBackend Context::io_backend() const {
    std::string value = options.io_backend;
    if (value.empty()) {
        const char* env = std::getenv("ZSYNCCTL_IO_BACKEND");
        value = env != nullptr && env[0] != '\0' ? env : "auto";
    }
    auto backend = core::parse_io_backend(value);
    if (!backend) {
        raise_usage("unknown I/O backend '" + value + "'", "use one of: auto, io_uring, epoll");
    }
    return *backend;
}

core::Runtime& Context::server_runtime() {
    if (m_runtime && m_runtime->config().loop_for_few_fds) {
        raise(util::make_error(util::ErrorKind::internal,
                               "the runtime was created for a command before the server asked for it"));
    }
    m_server_loop = true;
    return runtime();
}

core::Runtime& Context::runtime() {
    if (!m_runtime) {
        core::Config config = core::Config::for_cli();
        config.io_backend = io_backend();
        config.loop_for_few_fds = !m_server_loop;
        config.workers_on_demand = !m_server_loop;
        auto created = core::Runtime::create(config);
        if (!created) {
            raise(std::move(created).error());
        }
        m_runtime = std::move(*created);
        // One owner of the signals for every command that runs anything: the loop drives it.
        if (auto loop = m_runtime->loop()) {
            if (auto monitor = core::SignalMonitor::install(**loop, m_runtime->token())) {
                m_signals = std::move(*monitor);
                m_signals->add_exit_hook([] { restore_terminal(); });
            }
        }
        out.on_reader_gone([token = m_runtime->token()] { token.cancel(); });
        watch_stdout_reader();
    }
    return *m_runtime;
}

void Context::watch_stdout_reader() {
    auto loop = m_runtime->loop();
    if (!out.stdout_is_pipe() || !loop) {
        return;
    }
    // Interest in "readable" on the write end of a pipe never fires, but the error condition (no reader
    // left) is always reported: the reader leaving is seen at once, not only at the next write.
    core::EventLoop* target = *loop;
    auto id = std::make_shared<core::EventLoop::WatchId>(0);
    target->post([this, target, id] {
        auto watched = target->watch_fd(
            STDOUT_FILENO, core::EventLoop::k_readable, [this, target, id](std::uint32_t revents) {
                if ((revents & (core::EventLoop::k_error | core::EventLoop::k_hangup)) == 0) {
                    return;
                }
                target->unwatch_fd(*id);
                out.reader_left();
            });
        if (watched) {
            *id = *watched;
        }
    });
}

core::EventLoop& Context::loop() {
    auto loop = runtime().loop();
    if (!loop) {
        raise(std::move(loop).error());
    }
    return **loop;
}

void Context::shutdown() {
    out.flush();
    if (out.reader_gone()) {
        // What stdio still holds can never be delivered; dropped now, exit() cannot meet EPIPE (or SIGPIPE,
        // which is no longer ignored once the monitor is gone).
        __fpurge(stdout);
    }
    m_signals.reset();
    if (m_runtime) {
        m_runtime->shutdown();
        m_runtime.reset();
    }
}

util::Error Context::rerun_as_root(util::Error error) const {
    if (error.kind != util::ErrorKind::permission_denied || ::geteuid() == 0) {
        return error;
    }
    std::string line = "zsyncctl";
    for (const std::string& arg : arguments) {
        bool plain =
            !arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                  "0123456789-_./=:,+@%") == std::string::npos;
        line += ' ' + (plain ? arg : util::quote_posix(arg));
    }
    error.hint = "run it as root: " + util::sanitize_terminal(line);
    return error;
}

} // namespace zsyncctl::cli
