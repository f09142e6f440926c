#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <memory>
#include <optional>
#include <string>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <vector>

#include "cli/completion.hpp"
#include "cli/context.hpp"
#include "cli/progress_renderer.hpp"
#include "pkg/install/install.hpp"
#include "pkg/install/install_choice.hpp"
#include "pkg/install/install_plan.hpp"
#include "pkg/install/process_runner.hpp"
#include "platform/executable.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

struct InstallArgs {
    std::vector<std::string> names;
    std::string manager;
    bool dry_run = false;
    bool yes = false;
};

// The SIGINT/SIGTERM self-pipe: the handler only writes a byte; the runner reads it and forwards the
// signal to the manager's process group. SIGWINCH has its own pipe: the runner gives the manager's
// terminal the new size.
int g_interrupt_pipe[2] = {-1, -1};
int g_resize_pipe[2] = {-1, -1};

extern "C" void on_interrupt_signal(int) {
    int saved = errno;
    char byte = 1;
    [[maybe_unused]] auto n = ::write(g_interrupt_pipe[1], &byte, 1);
    errno = saved;
}

extern "C" void on_resize_signal(int) {
    int saved = errno;
    char byte = 1;
    [[maybe_unused]] auto n = ::write(g_resize_pipe[1], &byte, 1);
    errno = saved;
}

// Installs the interrupt and resize handlers for the duration of a run and restores the previous ones.
class InterruptScope {
public:
    InterruptScope() {
        if (::pipe2(g_interrupt_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
            g_interrupt_pipe[0] = g_interrupt_pipe[1] = -1;
            return;
        }
        struct sigaction sa {};
        sa.sa_handler = on_interrupt_signal;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGINT, &sa, &m_old_int);
        ::sigaction(SIGTERM, &sa, &m_old_term);
        m_installed = true;
        if (::pipe2(g_resize_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
            g_resize_pipe[0] = g_resize_pipe[1] = -1;
            return;
        }
        struct sigaction winch {};
        winch.sa_handler = on_resize_signal;
        winch.sa_flags = SA_RESTART;
        sigemptyset(&winch.sa_mask);
        ::sigaction(SIGWINCH, &winch, &m_old_winch);
        m_resize_installed = true;
    }
    ~InterruptScope() {
        if (m_installed) {
            ::sigaction(SIGINT, &m_old_int, nullptr);
            ::sigaction(SIGTERM, &m_old_term, nullptr);
        }
        if (m_resize_installed) {
            ::sigaction(SIGWINCH, &m_old_winch, nullptr);
        }
        for (int* pipe : {g_interrupt_pipe, g_resize_pipe}) {
            for (int i = 0; i < 2; ++i) {
                if (pipe[i] >= 0) {
                    ::close(pipe[i]);
                    pipe[i] = -1;
                }
            }
        }
    }
    InterruptScope(const InterruptScope&) = delete;
    InterruptScope& operator=(const InterruptScope&) = delete;
    int fd() const { return g_interrupt_pipe[0]; }
    int resize_fd() const { return g_resize_pipe[0]; }

private:
    struct sigaction m_old_int {};
    struct sigaction m_old_term {};
    struct sigaction m_old_winch {};
    bool m_installed = false;
    bool m_resize_installed = false;
};

// Puts the terminal on `fd` in character mode while a manager's question is open: keys go to the manager
// one by one, unechoed (the manager's own terminal echoes them), but Ctrl-C still signals us, so an
// interrupt works the same during a question. The saved mode comes back on end() and in the destructor.
class CharacterMode {
public:
    explicit CharacterMode(int fd) : m_fd(fd) {}
    ~CharacterMode() { end(); }
    CharacterMode(const CharacterMode&) = delete;
    CharacterMode& operator=(const CharacterMode&) = delete;

    void begin() {
        if (m_active || ::tcgetattr(m_fd, &m_saved) != 0) {
            return;
        }
        termios raw = m_saved;
        raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ECHONL | IEXTEN);
        raw.c_iflag &= ~static_cast<tcflag_t>(ICRNL | INLCR | IGNCR | IXON);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        // TCSAFLUSH drops keys typed before the question, so a stray Enter does not answer it.
        m_active = ::tcsetattr(m_fd, TCSAFLUSH, &raw) == 0;
    }

    void end() {
        if (m_active) {
            ::tcsetattr(m_fd, TCSADRAIN, &m_saved);
            m_active = false;
        }
    }

private:
    int m_fd;
    termios m_saved{};
    bool m_active = false;
};

std::string known_managers(pkg::Operation op) {
    std::vector<std::string> ids;
    for (const auto& a : pkg::manager_actions()) {
        if (pkg::can_perform(a, op)) {
            ids.emplace_back(a.id);
        }
    }
    return util::join(ids, ", ");
}

// Shell-style quoting for display only (nothing is ever run through a shell).
std::string quoted(const std::string& arg) {
    bool plain = !arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                       "0123456789@%+=:,./-_~[]^") == std::string::npos;
    if (plain) {
        return arg;
    }
    return util::quote_posix(arg);
}

std::string display_argv(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& a : argv) {
        if (!out.empty()) {
            out += ' ';
        }
        out += quoted(util::sanitize_for_display(a));
    }
    return out;
}

// How the manager was chosen, for the text, the plan and the JSON.
struct ManagerChoice {
    std::string manager;
    std::string chosen_by;               // "option", "prefix" or "search"
    std::vector<std::string> candidates; // with "search": the managers that had every name
    bool user_picked = false;            // the user chose it from a numbered list
};

// Reads a number in 1..count from the terminal; nullopt on end of input or an empty answer.
std::optional<std::size_t> ask_number(std::size_t count) {
    for (int attempt = 0; attempt < 3; ++attempt) {
        std::fprintf(stderr, "Choose 1-%zu (empty to cancel): ", count);
        std::fflush(stderr);
        char buf[64];
        if (std::fgets(buf, sizeof buf, stdin) == nullptr) {
            return std::nullopt;
        }
        std::string_view answer = util::trim(buf);
        if (answer.empty()) {
            return std::nullopt;
        }
        auto n = util::parse_int(answer);
        if (n && *n >= 1 && static_cast<std::size_t>(*n) <= count) {
            return static_cast<std::size_t>(*n - 1);
        }
        std::fprintf(stderr, "'%s' is not one of the numbers\n", util::sanitize_for_display(answer).c_str());
    }
    return std::nullopt;
}

// No manager named: the names are looked up, as exact names, with every detected manager. One has them
// all: it is used. Several: a terminal user picks one (`ask`), anyone else gets exit 2 and the list.
std::optional<ManagerChoice> choose_by_search(Context& context, const std::vector<std::string>& names,
                                              pkg::Operation op, bool ask) {
    std::string wanted = util::join(names, " ");
    if (!context.options.json && !context.options.quiet) {
        context.out.info("looking for " + wanted + " with every package manager detected here ...");
    }
    auto found = pkg::find_managers_with(names, op, context.root(), !context.options.no_cache,
                                         std::chrono::seconds(20), context.runtime());
    if (!found) {
        raise(std::move(found).error());
    }
    std::vector<std::string> candidates;
    for (const auto& c : found->candidates) {
        candidates.push_back(c.manager);
    }
    auto describe = [&](const pkg::ManagerCandidate& c) {
        std::string text = c.manager;
        std::vector<std::string> versions;
        for (const auto& v : c.versions) {
            if (!v.empty()) {
                versions.push_back(v);
            }
        }
        if (!versions.empty()) {
            text += " (" + util::sanitize_for_display(util::join(versions, ", ")) + ")";
        }
        if (c.all_installed) {
            text += " [installed]";
        }
        return text;
    };
    if (found->candidates.empty()) {
        std::string hint = "searched: " + util::join(found->searched, ", ");
        if (!found->failures.empty()) {
            hint += "; could not search: " + util::sanitize_for_display(util::join(found->failures, "; "));
        }
        raise(util::make_error(util::ErrorKind::not_found,
                               "no detected package manager has " +
                                   std::string(names.size() == 1 ? "" : "all of ") + wanted,
                               hint));
    }
    if (found->candidates.size() == 1) {
        const auto& only = found->candidates.front();
        if (!context.options.json) {
            context.out.info("using " + only.manager + ": the only detected manager that has " + wanted +
                             " (" + describe(only) + ")");
        }
        return ManagerChoice{only.manager, "search", candidates};
    }
    if (!ask) {
        if (context.options.json) {
            nlohmann::json doc = {
                {"error", "several package managers have " + wanted},
                {"names", names},
                {"candidates", candidates},
            };
            context.out.line(doc.dump(2));
        }
        raise_usage("several package managers have " + wanted + ": " + util::join(candidates, ", "),
                    "pick one with --manager M or write M:NAME");
    }
    std::fprintf(stderr, "Several package managers have %s:\n", wanted.c_str());
    for (std::size_t i = 0; i < found->candidates.size(); ++i) {
        std::fprintf(stderr, "  %zu) %s\n", i + 1, describe(found->candidates[i]).c_str());
    }
    auto picked = ask_number(found->candidates.size());
    if (!picked) {
        return std::nullopt;
    }
    return ManagerChoice{found->candidates[*picked].manager, "search", candidates, true};
}

// Chooses the manager: --manager wins, then a manager:name prefix (all prefixes must agree), then a search.
// nullopt: the user declined to choose.
std::optional<ManagerChoice> choose_manager(Context& context, const InstallArgs& args,
                                            const std::vector<pkg::PackageRequest>& reqs, pkg::Operation op,
                                            bool ask) {
    std::optional<std::string> from_prefix;
    for (const auto& r : reqs) {
        if (r.manager) {
            if (from_prefix && *from_prefix != *r.manager) {
                raise_usage("the names ask for different managers (" + *from_prefix + " and " + *r.manager +
                                ")",
                            "run one command per manager");
            }
            from_prefix = r.manager;
        }
    }
    if (!args.manager.empty()) {
        if (pkg::find_manager_actions(args.manager) == nullptr) {
            raise_usage("unknown package manager '" + util::sanitize_for_display(args.manager) + "'",
                        "managers that can " + std::string(pkg::to_string(op)) + ": " + known_managers(op));
        }
        if (from_prefix && *from_prefix != args.manager) {
            context.out.warning("--manager " + args.manager + " wins over the '" + *from_prefix +
                                ":' prefix");
        }
        return ManagerChoice{args.manager, "option", {}};
    }
    if (from_prefix) {
        return ManagerChoice{*from_prefix, "prefix", {}};
    }
    std::vector<std::string> names;
    for (const auto& r : reqs) {
        names.push_back(r.name);
    }
    return choose_by_search(context, names, op, ask);
}

std::optional<std::string> sudo_path() {
    auto found = platform::find_executable("sudo", platform::path_env());
    if (!found) {
        return std::nullopt;
    }
    return *found;
}

std::string timestamp() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
    return buf;
}

struct LogFile {
    std::string path;
    std::FILE* file = nullptr;
    ~LogFile() {
        if (file != nullptr) {
            std::fclose(file);
        }
    }
};

// Opens the run's log under the cache dir; a run without one still works (the log is a convenience).
std::unique_ptr<LogFile> open_log(const pkg::InstallPlan& plan) {
    auto log = std::make_unique<LogFile>();
    auto dir = util::cache_dir();
    if (!dir) {
        return log;
    }
    std::error_code ec;
    std::filesystem::create_directories(*dir / "logs", ec);
    auto path = *dir / "logs" /
                (std::string(pkg::to_string(plan.operation)) + "-" + plan.manager + "-" + timestamp() + "-" +
                 std::to_string(::getpid()) + ".log");
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        log->file = ::fdopen(fd, "w");
        log->path = path.string();
    }
    return log;
}

bool confirm(const std::string& question) {
    std::fprintf(stderr, "%s [Y/n] ", question.c_str());
    std::fflush(stderr);
    char buf[64];
    if (std::fgets(buf, sizeof buf, stdin) == nullptr) {
        return false;
    }
    std::string_view answer = util::trim(buf);
    return answer.empty() || answer == "y" || answer == "Y" || answer == "yes";
}

ExitCode run_operation(Context& context, const InstallArgs& args, pkg::Operation op) {
    // 1. Every name is checked before anything else happens.
    if (args.names.empty()) {
        raise_usage("no package names given");
    }
    std::vector<pkg::PackageRequest> requests;
    for (const std::string& text : args.names) {
        auto r = pkg::parse_package_request(text);
        if (!r) {
            raise(std::move(r).error());
        }
        requests.push_back(std::move(*r));
    }
    // A terminal user is asked (which manager, confirmation) and answers the manager's own questions;
    // --yes, --json or no terminal: nobody is asked and the managers' non-interactive defaults apply.
    bool on_terminal = ::isatty(STDIN_FILENO) == 1 && context.out.stderr_is_tty() && !context.options.json;
    bool ask_user = on_terminal && !args.yes;
    auto choice = choose_manager(context, args, requests, op, ask_user && !args.dry_run);
    if (!choice) {
        context.out.info("nothing done");
        return ExitCode::failure;
    }
    const std::string& manager = choice->manager;
    std::vector<std::string> names;
    for (const auto& r : requests) {
        names.push_back(r.name);
    }

    // 2. The plan.
    pkg::PlanOptions plan_options;
    plan_options.prompts = ask_user ? pkg::Prompts::ask_terminal : pkg::Prompts::answer_defaults;
    if (manager == "apt") {
        if (const char* env = std::getenv("ZSYNCCTL_APT_OPTIONS"); env != nullptr) {
            auto parsed = pkg::parse_apt_options(env);
            if (!parsed) {
                raise(std::move(parsed).error());
            }
            plan_options.apt_options = std::move(*parsed);
        }
        if (!context.root().is_host()) {
            auto root_opts = pkg::apt_root_options(context.root().dir().string());
            plan_options.apt_options.insert(plan_options.apt_options.begin(), root_opts.begin(),
                                            root_opts.end());
        }
    }
    auto plan = pkg::build_plan(manager, op, names, plan_options);
    if (!plan) {
        util::Error error = std::move(plan).error();
        if (error.kind == util::ErrorKind::unsupported) {
            error.kind = util::ErrorKind::invalid_input; // asking a manager for what it cannot do is usage
        }
        raise(std::move(error));
    }
    if (manager == "apt" && !context.root().is_host()) {
        // dpkg runs with --force-not-root inside a root we own: no privileges needed.
        plan->needs_root = false;
    }
    auto sudo = sudo_path();
    auto elevation = pkg::decide_elevation(*plan, ::geteuid(), sudo.value_or(""));

    if (args.dry_run) {
        auto argvs =
            pkg::final_argvs(*plan, elevation ? *elevation : pkg::Elevation::none, plan_options.prompts);
        std::string elevation_text = !elevation                           ? "unavailable"
                                     : *elevation == pkg::Elevation::sudo ? "sudo"
                                                                          : "none";
        if (context.options.json) {
            nlohmann::json commands = nlohmann::json::array();
            for (const auto& a : argvs) {
                commands.push_back(a);
            }
            nlohmann::json env = nlohmann::json::object();
            for (const auto& [k, v] : pkg::run_environment(*plan, plan_options.prompts)) {
                env[k] = v;
            }
            nlohmann::json doc = {
                {"manager", plan->manager},
                {"operation", std::string(pkg::to_string(op))},
                {"names", plan->names},
                {"argv", argvs.front()},
                {"commands", commands},
                {"needs_root", plan->needs_root},
                {"elevation", elevation_text},
                {"lock_group", plan->lock_group},
                {"progress", std::string(pkg::to_string(plan->progress))},
                {"env", env},
                {"chosen_by", choice->chosen_by},
                {"prompts", ask_user && manager == "apt" ? "terminal" : "defaults"},
            };
            if (choice->chosen_by == "search") {
                doc["candidates"] = choice->candidates;
            }
            if (!elevation) {
                doc["error"] = elevation.error().message;
            }
            context.out.line(doc.dump(2));
        } else {
            context.out.line("manager:    " + plan->manager + " (chosen by " + choice->chosen_by + ")");
            context.out.line("operation:  " + std::string(pkg::to_string(op)) + " " +
                             util::join(plan->names, " "));
            for (const auto& a : argvs) {
                context.out.line("command:    " + display_argv(a));
            }
            context.out.line(std::string("needs root: ") + (plan->needs_root ? "yes" : "no") +
                             (elevation_text == "sudo" ? " (through sudo)" : ""));
            context.out.line("lock group: " + plan->lock_group);
            context.out.line("progress:   " + std::string(pkg::to_string(plan->progress)));
            context.out.line(std::string("questions:  ") + (ask_user && manager == "apt"
                                                                ? "asked on this terminal"
                                                                : "answered with the manager's defaults"));
            if (!elevation) {
                context.out.line("note:       " + elevation.error().message);
            }
        }
        return ExitCode::success;
    }
    if (!elevation) {
        raise(std::move(elevation).error());
    }

    if (ask_user && !choice->user_picked) { // choosing from the list already was the answer
        if (!confirm(std::string(op == pkg::Operation::install ? "Install " : "Remove ") +
                     util::join(plan->names, " ") + " with " + plan->manager + "?")) {
            context.out.info("nothing done");
            return ExitCode::failure;
        }
    }
    if (*elevation == pkg::Elevation::sudo) {
        // Ask for the password once, up front, on the terminal; the manager then runs with sudo -n.
        auto validated = pkg::run_interactive({*sudo, "-v"});
        if (!validated || *validated != 0) {
            raise(util::make_error(util::ErrorKind::permission_denied,
                                   plan->manager + " needs root and sudo did not grant it",
                                   "run as root: " + display_argv(plan->commands.front().argv)));
        }
    }

    RenderMode mode = context.options.json          ? RenderMode::json
                      : context.out.stderr_is_tty() ? RenderMode::bar
                                                    : RenderMode::lines;
    InterruptScope interrupts;
    std::optional<pkg::LockGroupGuard> lock;
    if (!plan->lock_group.empty()) {
        if (auto dir = util::cache_dir()) {
            auto guard = pkg::LockGroupGuard::acquire(*dir / "locks", plan->lock_group, interrupts.fd(), [&] {
                context.out.info("waiting for another zsyncctl run that holds the " + plan->lock_group +
                                 " lock");
            });
            if (!guard) {
                raise(std::move(guard).error());
            }
            lock = std::move(*guard);
        }
    }
    auto log = open_log(*plan);
    ProgressRenderer renderer(context.out, mode);
    pkg::ExecuteCallbacks callbacks;
    callbacks.on_progress = [&](const pkg::ProgressUpdate& u) {
        renderer.update(u);
    };
    callbacks.on_line = [&](pkg::OutputStream stream, std::string_view line) {
        if (log->file != nullptr) {
            const char* tag = stream == pkg::OutputStream::out   ? "out"
                              : stream == pkg::OutputStream::err ? "err"
                                                                 : "status";
            std::fprintf(log->file, "[%s] %.*s\n", tag, static_cast<int>(line.size()), line.data());
        }
    };
    if (log->file != nullptr) {
        std::fprintf(log->file, "# %s\n", display_argv(plan->commands.front().argv).c_str());
    }
    if (context.options.json && choice->chosen_by == "search") {
        nlohmann::json event = {{"event", "manager"},
                                {"manager", manager},
                                {"chosen_by", "search"},
                                {"candidates", choice->candidates}};
        context.out.line(event.dump());
        std::fflush(stdout);
    }

    // A question from the manager: the bar steps aside, the terminal goes to character mode, and what the
    // manager shows goes to the terminal until the question is answered.
    CharacterMode character_mode(STDIN_FILENO);
    bool at_line_start = true;
    callbacks.on_prompt = [&](bool open) {
        if (open) {
            renderer.pause();
            character_mode.begin();
            at_line_start = true;
            return;
        }
        character_mode.end();
        if (!at_line_start) {
            std::fputs("\r\n", stderr);
        }
        renderer.resume();
    };
    callbacks.on_terminal_output = [&](std::string_view bytes) {
        std::fwrite(bytes.data(), 1, bytes.size(), stderr);
        std::fflush(stderr);
        if (!bytes.empty()) {
            at_line_start = bytes.back() == '\n';
        }
    };
    pkg::ExecuteOptions exec;
    exec.elevation = *elevation;
    exec.interrupt_fd = interrupts.fd();
    exec.prompts = plan_options.prompts;
    exec.backend = context.io_backend();
    if (exec.prompts == pkg::Prompts::ask_terminal) {
        exec.input_fd = STDIN_FILENO;
        exec.resize_fd = interrupts.resize_fd();
        winsize ws{};
        if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
            exec.rows = ws.ws_row;
            exec.cols = ws.ws_col;
        }
    }
    auto outcome = pkg::execute_plan(*plan, exec, callbacks);
    character_mode.end();
    if (log->file != nullptr) {
        std::fflush(log->file);
    }
    if (!outcome) {
        renderer.finish();
        raise(std::move(outcome).error());
    }
    renderer.update(outcome->final_update);
    renderer.finish();

    if (context.options.json) {
        nlohmann::json done = {
            {"event", "done"},
            {"manager", plan->manager},
            {"operation", std::string(pkg::to_string(op))},
            {"exit_code", outcome->exit_code},
            {"success", outcome->success},
            {"interrupted", outcome->interrupted},
        };
        if (outcome->term_signal != 0) {
            done["signal"] = outcome->term_signal;
        }
        if (!log->path.empty()) {
            done["log"] = log->path;
        }
        if (!outcome->errors.empty()) {
            done["errors"] = outcome->errors;
        }
        context.out.line(done.dump());
        std::fflush(stdout);
    }
    if (outcome->success) {
        if (!context.options.json) {
            context.out.info(std::string(op == pkg::Operation::install ? "installed " : "removed ") +
                             util::join(plan->names, " ") + " with " + plan->manager);
        }
        return ExitCode::success;
    }
    if (outcome->interrupted) {
        std::string state = outcome->last_state.empty() ? "nothing reported" : outcome->last_state;
        raise(util::make_error(util::ErrorKind::interrupted,
                               "interrupted; " + plan->manager +
                                   " was stopped (last reported: " + util::sanitize_for_display(state) + ")",
                               log->path.empty() ? std::string() : "its output is in " + log->path));
    }
    if (!context.options.json || context.out.stderr_is_tty()) {
        for (const auto& e : outcome->errors) {
            context.out.info("  " + util::sanitize_for_display(e));
        }
    }
    if (!context.options.quiet) {
        std::size_t shown = 0;
        std::size_t skip = outcome->last_lines.size() > 10 ? outcome->last_lines.size() - 10 : 0;
        std::string tail;
        for (const auto& line : outcome->last_lines) {
            if (shown++ >= skip) {
                tail += "  | " + util::sanitize_for_display(line) + "\n";
            }
        }
        if (!tail.empty()) {
            std::fputs((plan->manager + "'s last output:\n" + tail).c_str(), stderr);
        }
    }
    std::string how = outcome->term_signal != 0
                          ? "was killed by signal " + std::to_string(outcome->term_signal)
                          : "failed with exit code " + std::to_string(outcome->exit_code);
    raise(util::make_error(util::ErrorKind::command_failed, plan->manager + " " + how,
                           log->path.empty() ? std::string() : "full output: " + log->path));
}

void register_operation(CLI::App& pkg, Context& context, pkg::Operation op) {
    const bool install = op == pkg::Operation::install;
    auto* cmd = pkg.add_subcommand(install ? "install" : "remove",
                                   install ? "Install packages with a package manager, with progress"
                                           : "Remove packages with a package manager, with progress");
    auto args = std::make_shared<InstallArgs>();
    cmd->add_option("names", args->names, "Package names; MANAGER:NAME picks the manager (apt:curl)")
        ->required();
    complete_with(cmd->add_option("-m,--manager", args->manager,
                                  "The package manager to use (wins over MANAGER:NAME; without either, the "
                                  "names are searched for)")
                      ->option_text("M"),
                  "managers");
    cmd->add_flag("-n,--dry-run", args->dry_run,
                  "Print the plan (manager, exact argv, root, lock) and run nothing");
    cmd->add_flag(
        "-y,--yes", args->yes,
        "Ask nothing: no confirmation, no choice of manager, the manager's questions get its defaults");
    cmd->footer(
        "Exit status: 0 done, 1 the manager failed (its exit code is in the message and the JSON),\n"
        "2 usage or refused package name, 130 interrupted.\n"
        "With --json: one {\"event\":\"progress\",...} object per line, then {\"event\":\"done\",...}.\n"
        "apt: ZSYNCCTL_APT_OPTIONS adds -o settings; --root DIR points apt and dpkg at DIR. On a terminal\n"
        "without --yes, dpkg's and debconf's questions are handed to you.");
    cmd->final_callback([&context, args, op] {
        context.set_action([&context, args, op] { return run_operation(context, *args, op); });
    });
}

} // namespace

void register_pkg_install(CLI::App& pkg, Context& context) {
    register_operation(pkg, context, pkg::Operation::install);
}

void register_pkg_remove(CLI::App& pkg, Context& context) {
    register_operation(pkg, context, pkg::Operation::remove);
}

} // namespace zsyncctl::cli
