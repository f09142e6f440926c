#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/exit_code.hpp"
#include "cli/output.hpp"
#include "core/runtime.hpp"
#include "core/signal_monitor.hpp"
#include "util/error.hpp"
#include "util/root.hpp"

namespace CLI {
class App;
}

namespace zsyncctl::cli {

/// Options that every command accepts (they may be given before or after the subcommand).
struct GlobalOptions {
    bool json = false;
    std::string color = "auto";
    int verbose = 0;
    bool quiet = false;
    std::optional<std::string> root;
    std::string io_backend; // empty: env ZSYNCCTL_IO_BACKEND, else auto
    bool no_cache = false;
};

/// Thrown by a command to abort with an error; caught once in cli::run, which prints it and maps its
/// kind to an exit code.
struct CommandError {
    util::Error error;
};

/// Aborts the command with `error`.
[[noreturn]] void raise(util::Error error);
/// Aborts the command with a usage error (exit 2) and an optional hint.
[[noreturn]] void raise_usage(std::string message, std::string hint = {});

/// What a command sees: the parsed global options, the output, the root, and a runtime created on first
/// use (so commands that need none, and --help/--version, start no thread). Main thread only.
class Context {
public:
    GlobalOptions options;
    Output out;
    /// The arguments the user gave (argv after the program name), for hints that repeat the command line.
    std::vector<std::string> arguments;

    /// `error` with, when it is permission_denied and we are not root, the hint to run this same command
    /// line as root ("zsyncctl ARGS", each argument shell-quoted where needed and sanitized). Never fails.
    util::Error rerun_as_root(util::Error error) const;

    /// The root that all system reads go through (--root, else ZSYNCCTL_ROOT, else /). Raises a usage
    /// error when the named DIR is missing or not a directory.
    const util::Root& root();

    /// The runtime for this command, created on first call from Config::for_cli() and the I/O backend
    /// choice, together with its loop and the signal monitor (SIGINT, SIGTERM, SIGHUP, SIGQUIT cancel
    /// runtime().token(); SIGPIPE is ignored and a reader that left cancels it too). Raises
    /// (ConfigurationError and the like) when it cannot be created.
    core::Runtime& runtime();
    /// runtime() for a command that serves many connections on its loop (`serve`): the loop is sized for
    /// them and every worker starts at once (Config::loop_for_few_fds, workers_on_demand false). Call it
    /// before anything calls runtime(); raises an internal error when a runtime with a command's loop already
    /// exists.
    core::Runtime& server_runtime();

    /// The signal monitor installed with the runtime, or nullptr (no runtime yet, or no loop).
    core::SignalMonitor* signals() { return m_signals.get(); }

    /// The exit code a stop signal asks for (130 INT, 143 TERM, 129 HUP, 131 QUIT), else 0.
    int signal_exit_code() const { return m_signals && !m_signal_handled ? m_signals->exit_code() : 0; }

    /// Says the command handled the stop signal itself (a server that drained cleanly): the command's own
    /// exit code stands and signal_exit_code() returns 0 from then on.
    void signal_handled() { m_signal_handled = true; }

    /// The runtime's event loop (for subprocesses and HTTP). Raises the loop's error, e.g.
    /// IoUringNotAvailable with the probe's reason when --io-backend io_uring cannot work here.
    core::EventLoop& loop();

    /// Refuses (usage error, exit 2) a ZSYNCCTL_OS or ZSYNCCTL_ARCH naming an OS or arch zsyncctl does not
    /// know.
    void check_overrides() const;

    /// The chosen I/O backend: --io-backend, else env ZSYNCCTL_IO_BACKEND, else auto. Raises a usage
    /// error for an unknown value.
    core::IoBackend io_backend() const;

    /// Records what to run after parsing succeeds; the last registration wins (the deepest subcommand).
    void set_action(std::function<ExitCode()> action) { m_action = std::move(action); }
    /// The recorded action, or an empty function when only the top-level app was invoked.
    const std::function<ExitCode()>& action() const { return m_action; }

    /// Flushes stdout, removes the signal monitor and shuts the runtime down (joining its threads) if one
    /// was created.
    void shutdown();

private:
    // Watches a pipe on stdout on the loop: its reader leaving cancels the root token (see Output).
    void watch_stdout_reader();

    std::optional<util::Root> m_root;
    std::unique_ptr<core::Runtime> m_runtime;
    // Declared after the runtime: destroyed before its loop.
    std::unique_ptr<core::SignalMonitor> m_signals;
    bool m_signal_handled = false;
    bool m_server_loop = false; // server_runtime() asked for a server's loop and pool
    std::function<ExitCode()> m_action;
};

/// Adds one subcommand (and its own subcommands) to `app`. Each cmd_<name>.cpp defines one.
using CommandRegistrar = void (*)(CLI::App& app, Context& context);

} // namespace zsyncctl::cli
