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
#include "cli/install_view.hpp"
#include "cli/json.hpp"
#include "cli/progress_renderer.hpp"
#include "cli/prompt.hpp"
#include "cli/terminal.hpp"
#include "pkg/detect/paths.hpp"
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

std::string known_managers(pkg::Operation op) {
    std::vector<std::string> ids;
    for (const pkg::Manager* m : pkg::installable_managers()) {
        if (pkg::can_perform(*m, op)) {
            ids.emplace_back(m->id);
        }
    }
    return util::join(ids, ", ");
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
            context.out.line(json_text(doc));
        }
        raise_usage("several package managers have " + wanted + ": " + util::join(candidates, ", "),
                    "pick one with --manager M or write M:NAME");
    }
    std::fprintf(stderr, "Several package managers have %s:\n", wanted.c_str());
    for (std::size_t i = 0; i < found->candidates.size(); ++i) {
        std::fprintf(stderr, "  %zu) %s\n", i + 1, describe(found->candidates[i]).c_str());
    }
    auto picked = ask_number(found->candidates.size(), context.runtime().token());
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
        if (pkg::find_installable_manager(args.manager) == nullptr) {
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

// The plan for `manager`: settings from the manager's environment variable, the root option under a
// non-host --root (a manager without one is refused: exit 2, naming the managers that have one).
pkg::InstallPlan make_plan(Context& context, const std::string& manager, pkg::Operation op,
                           const std::vector<std::string>& names, pkg::PlanOptions& plan_options) {
    if (const pkg::Manager* entry = pkg::find_manager(manager); entry != nullptr) {
        std::string env_name(entry->install.settings_env);
        const char* env = env_name.empty() ? nullptr : std::getenv(env_name.c_str());
        if (env != nullptr) {
            auto parsed = pkg::parse_manager_settings(env, env_name);
            if (!parsed) {
                raise(std::move(parsed).error());
            }
            plan_options.settings = std::move(*parsed);
        }
    }
    if (!context.root().is_host()) {
        plan_options.root = context.root().dir().string();
    } else {
        // A user's manager whose global prefix root owns (npm in /usr) needs root like a system one.
        auto detect_context = pkg::DetectContext::current(context.root());
        auto detection = pkg::detect_managers(detect_context, context.options.no_cache ? pkg::UseCache::no
                                                                                       : pkg::UseCache::yes);
        auto found = detection.find(manager);
        plan_options.prefix_owned_by_root =
            !found.empty() && pkg::prefix_owned_by_root(detect_context, *found.front());
    }
    auto plan = pkg::build_plan(manager, op, names, plan_options);
    if (!plan) {
        util::Error error = std::move(plan).error();
        if (error.kind == util::ErrorKind::unsupported) {
            error.kind = util::ErrorKind::invalid_input; // asking a manager for what it cannot do is usage
        }
        raise(std::move(error));
    }
    return std::move(*plan);
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
    pkg::InstallPlan plan = make_plan(context, manager, op, names, plan_options);
    bool user_answers = ask_user && plan.asks_on_terminal;
    auto sudo = sudo_path();
    auto elevation = pkg::decide_elevation(plan, ::geteuid(), sudo.value_or(""));

    if (args.dry_run) {
        DryRunView view{.plan = plan, .choice = *choice};
        view.argvs =
            pkg::final_argvs(plan, elevation ? *elevation : pkg::Elevation::none, plan_options.prompts);
        view.env = pkg::run_environment(plan, plan_options.prompts);
        view.elevation = !elevation ? "unavailable" : *elevation == pkg::Elevation::sudo ? "sudo" : "none";
        view.elevation_error = elevation ? std::string() : elevation.error().message;
        view.user_answers = user_answers;
        print_dry_run(context.out, context.options.json, view);
        return ExitCode::success;
    }
    if (!elevation) {
        raise(std::move(elevation).error());
    }

    // From here on the command runs on the runtime: its loop drives the manager and its signal monitor
    // turns Ctrl-C, SIGTERM and SIGHUP into the token's cancellation.
    core::Runtime& runtime = context.runtime();
    const core::CancellationToken& token = runtime.token();
    auto interrupted_before_start = [&] {
        raise(util::make_error(util::ErrorKind::interrupted, "interrupted; nothing was run"));
    };
    if (ask_user && !choice->user_picked) { // choosing from the list already was the answer
        if (!confirm(std::string(op == pkg::Operation::install ? "Install " : "Remove ") +
                         util::join(plan.names, " ") + " with " + plan.manager + "?",
                     token)) {
            if (token.is_cancelled()) {
                interrupted_before_start();
            }
            context.out.info("nothing done");
            return ExitCode::failure;
        }
    }
    if (*elevation == pkg::Elevation::sudo) {
        // Ask for the password once, up front, on the terminal; the manager then runs with sudo -n.
        auto validated = pkg::run_interactive({*sudo, "-v"});
        if (token.is_cancelled()) {
            interrupted_before_start();
        }
        if (!validated || *validated != 0) {
            raise(util::make_error(util::ErrorKind::permission_denied,
                                   plan.manager + " needs root and sudo did not grant it",
                                   "run as root: " + display_argv(plan.commands.front().argv)));
        }
    }

    RenderMode mode = context.options.json          ? RenderMode::json
                      : context.out.stderr_is_tty() ? RenderMode::bar
                                                    : RenderMode::lines;
    std::optional<pkg::LockGroupGuard> lock;
    if (!plan.lock_group.empty()) {
        if (auto dir = util::cache_dir()) {
            auto guard = pkg::LockGroupGuard::acquire(*dir / "locks", plan.lock_group, token, [&] {
                context.out.info("waiting for another zsyncctl run that holds the " + plan.lock_group +
                                 " lock");
            });
            if (!guard) {
                raise(std::move(guard).error());
            }
            lock = std::move(*guard);
        }
    }
    auto log = open_log(plan);
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
        std::fprintf(log->file, "# %s\n", display_argv(plan.commands.front().argv).c_str());
    }
    if (context.options.json && choice->chosen_by == "search") {
        nlohmann::json event = {{"event", "manager"},
                                {"manager", manager},
                                {"chosen_by", "search"},
                                {"candidates", choice->candidates}};
        context.out.line(json_text(event, JsonLayout::line));
        context.out.flush();
    }

    // A question from the manager: the bar steps aside, the terminal goes to character mode, and what the
    // manager shows goes to the terminal until the question is answered. All of it on the loop thread.
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
    // Ctrl-Z during a question gives the shell its terminal modes back; fg enters character mode again.
    core::SignalMonitor* signals = context.signals();
    core::SignalMonitor::SubscriptionId suspend_id = 0;
    if (signals != nullptr && user_answers) {
        suspend_id = signals->subscribe_terminal([&](core::TerminalEvent event) {
            if (event == core::TerminalEvent::suspending) {
                character_mode.suspend();
            } else if (event == core::TerminalEvent::resumed) {
                character_mode.resume();
            }
        });
    }
    pkg::ExecuteOptions exec;
    exec.elevation = *elevation;
    exec.loop = &context.loop();
    exec.interrupt = token;
    exec.signals = signals;
    exec.prompts = plan_options.prompts;
    if (exec.prompts == pkg::Prompts::ask_terminal) {
        exec.input_fd = STDIN_FILENO;
        if (auto size = terminal_size(STDERR_FILENO)) {
            exec.rows = size->rows;
            exec.cols = size->cols;
        }
    }
    auto outcome = pkg::execute_plan(plan, exec, callbacks);
    if (suspend_id != 0) {
        signals->unsubscribe(suspend_id);
    }
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
        print_done_event(context.out, plan, *outcome, log->path);
    }
    if (outcome->success) {
        if (!context.options.json) {
            context.out.info(std::string(op == pkg::Operation::install ? "installed " : "removed ") +
                             util::join(plan.names, " ") + " with " + plan.manager);
        }
        return ExitCode::success;
    }
    if (outcome->interrupted) {
        std::string state = outcome->last_state.empty() ? "nothing reported" : outcome->last_state;
        raise(util::make_error(util::ErrorKind::interrupted,
                               "interrupted; " + plan.manager +
                                   " was stopped (last reported: " + util::sanitize_for_display(state) + ")",
                               log->path.empty() ? std::string() : "its output is in " + log->path));
    }
    print_failure_details(context.out, context.options.json, context.options.quiet, plan, *outcome);
    std::string how = outcome->term_signal != 0
                          ? "was killed by signal " + std::to_string(outcome->term_signal)
                          : "failed with exit code " + std::to_string(outcome->exit_code);
    raise(util::make_error(util::ErrorKind::command_failed, plan.manager + " " + how,
                           log->path.empty() ? std::string() : "full output: " + log->path));
}

void register_operation(CLI::App& pkg, Context& context, pkg::Operation op) {
    const bool install = op == pkg::Operation::install;
    auto* cmd = pkg.add_subcommand(install ? "install" : "remove",
                                   install ? "Install packages with a package manager, with progress"
                                           : "Remove packages with a package manager, with progress");
    auto args = std::make_shared<InstallArgs>();
    complete_with(
        cmd->add_option("names", args->names, "Package names; MANAGER:NAME picks the manager (apt:curl)")
            ->required(),
        "install-names");
    complete_with(cmd->add_option("-m,--manager", args->manager,
                                  "The package manager to use (wins over MANAGER:NAME; without either, the "
                                  "names are searched for)")
                      ->option_text("M"),
                  install ? "install-managers" : "remove-managers");
    cmd->add_flag("-n,--dry-run", args->dry_run,
                  "Print the plan (manager, exact argv, root, lock) and run nothing");
    cmd->add_flag(
        "-y,--yes", args->yes,
        "Ask nothing: no confirmation, no choice of manager, the manager's questions get its defaults");
    cmd->footer(
        "Exit status: 0 done, 1 the manager failed (its exit code is in the message and the JSON),\n"
        "2 usage or refused package name (or a manager without a root option under --root),\n"
        "130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP (the manager gets SIGINT and is waited for).\n"
        "With --json: one {\"event\":\"progress\",...} object per line, then {\"event\":\"done\",...}.\n"
        "apt: ZSYNCCTL_APT_OPTIONS adds -o settings. --root DIR: apt, dnf, yum, zypper, pacman, apk and "
        "xbps\n"
        "operate on DIR with their root option; other managers are refused. On a terminal\n"
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
