#include "cli/cli11.hpp"
#include <nlohmann/json.hpp>

#include <array>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include "cli/completion.hpp"
#include "cli/context.hpp"
#include "cli/exit_code.hpp"
#include "cli/install_consent.hpp"
#include "cli/install_run.hpp"
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
#include "pkg/install/run_files.hpp"
#include "pkg/install/simulation.hpp"
#include "util/fs.hpp"
#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

struct InstallArgs {
    std::vector<std::string> names;
    std::string manager;
    RunConsent consent;
};

} // namespace

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
        // As root, never into a user manager's prefix another user controls (sudo -E keeps the user's
        // NPM_CONFIG_PREFIX, GEM_HOME or CARGO_HOME): root's files would land in their tree, and they could
        // redirect root's writes through it.
        const pkg::Manager* entry = pkg::find_manager(manager);
        if (::geteuid() == 0 && !found.empty() && entry != nullptr &&
            entry->install_privilege == pkg::InstallPrivilege::user && !found.front()->prefix.empty() &&
            !util::root_may_trust(found.front()->prefix)) {
            raise_usage(manager + "'s prefix " + util::sanitize_terminal(found.front()->prefix) +
                            " is a location another user controls: as root, zsyncctl changes nothing there",
                        "run zsyncctl as the user who owns it, or give root a prefix of its own (sudo "
                        "without -E); pkg upgrade --all: pick the other managers with --manager");
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
    return std::move(*plan);
}

namespace {

// A simulation that changes nothing: "already installed" / "not installed, nothing removed" / "up to date"
// (or the JSON done event); exit 0.
ExitCode report_unchanged(Context& context, const pkg::InstallPlan& plan, const pkg::SimulationResult& sim,
                          JsonState& json) {
    static constexpr std::array<const char*, 4> k_results = {"already_installed", "not_installed",
                                                             "up_to_date", "refreshed"};
    if (context.options.json) {
        print_unchanged_done_event(context.out, plan, k_results.at(static_cast<std::size_t>(plan.operation)),
                                   sim.messages);
        json.finished = true;
        return ExitCode::success;
    }
    std::string are = plan.names.size() == 1 ? " is" : " are";
    switch (plan.operation) {
    case pkg::Operation::install:
        context.out.info(util::join(plan.names, " ") + are + " already installed (" + plan.manager +
                         "); nothing to do");
        break;
    case pkg::Operation::remove:
        context.out.info(util::join(plan.names, " ") + are + " not installed (" + plan.manager +
                         "), nothing removed");
        break;
    case pkg::Operation::upgrade:
        context.out.info(plan.names.empty() ? "nothing to upgrade with " + plan.manager
                                            : util::join(plan.names, " ") + are + " up to date (" +
                                                  plan.manager + "); nothing to do");
        break;
    case pkg::Operation::refresh:
        break;
    }
    return ExitCode::success;
}

// What a successful run says: "installed zs-hello with apt", "upgraded 3 packages with apt".
std::string done_text(const pkg::InstallPlan& plan, const pkg::Transaction* transaction) {
    switch (plan.operation) {
    case pkg::Operation::install:
        return "installed " + util::join(plan.names, " ") + " with " + plan.manager;
    case pkg::Operation::remove:
        return "removed " + util::join(plan.names, " ") + " with " + plan.manager;
    case pkg::Operation::refresh:
        return "refreshed " + plan.manager + "'s package metadata";
    case pkg::Operation::upgrade:
        break;
    }
    if (transaction != nullptr) {
        std::size_t n = transaction->upgrade.size();
        return "upgraded " + std::to_string(n) + " package" + (n == 1 ? "" : "s") + " with " + plan.manager;
    }
    return "upgraded " + pkg::plan_subject(plan) + " with " + plan.manager;
}

ExitCode run_operation(Context& context, const InstallArgs& args, pkg::Operation op, JsonState& json) {
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
    // --yes: nobody is asked and the managers' non-interactive defaults apply. Without a terminal (or with
    // --json) and without --yes, nothing that changes the system runs: nobody could agree to it.
    bool on_terminal = ::isatty(STDIN_FILENO) == 1 && context.out.stderr_is_tty() && !context.options.json;
    bool ask_user = on_terminal && !args.consent.yes;
    // A manager named by prefix or option is checked now, before any search: "rpm:curl" is a usage error.
    for (const auto& r : requests) {
        const std::string& named = !args.manager.empty() ? args.manager : r.manager.value_or("");
        if (named.empty()) {
            continue;
        }
        if (const pkg::Manager* m = pkg::find_manager(named); m != nullptr) {
            auto probe = pkg::build_plan(named, op, {r.name});
            if (!probe && probe.error().kind == util::ErrorKind::unsupported) {
                util::Error error = std::move(probe).error();
                error.kind = util::ErrorKind::invalid_input;
                raise(std::move(error));
            }
            if (!r.arch.empty() && m->install.arch_separator.empty()) {
                raise_usage(named + " does not take NAME:ARCH ('" + util::sanitize_for_display(r.name) + "')",
                            "managers that do: " + pkg::managers_with_arch_qualifier(op));
            }
        }
    }
    auto choice =
        choose_manager(context, args.manager, requests, op, ask_user && !args.consent.dry_run, json);
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
    return run_plan(context, *choice, plan, plan_options, {args.consent.yes, args.consent.dry_run, ask_user},
                    json);
}

} // namespace

ExitCode run_plan(Context& context, const ManagerChoice& choice, const pkg::InstallPlan& plan,
                  const pkg::PlanOptions& plan_options, const RunConsent& consent, JsonState& json) {
    bool ask_user = consent.ask_user;
    bool user_answers = ask_user && plan.asks_on_terminal;

    if (consent.dry_run) {
        json.finished = true; // the dry run prints its own document, failures included
        return install_dry_run(context, plan, choice, plan_options, user_answers);
    }
    auto sudo = sudo_path();
    auto elevation = pkg::decide_elevation(plan, ::geteuid(), sudo.value_or(""));
    if (!elevation) {
        raise(context.rerun_as_root(std::move(elevation).error()));
    }

    // 3. What the manager would really do, from its own simulation (unprivileged, changes nothing).
    core::Runtime& runtime = context.runtime();
    const core::CancellationToken& token = runtime.token();
    std::optional<pkg::SimulationResult> sim = simulate(context, plan);
    std::vector<std::string> taken_along;
    if (sim) {
        if (!sim->resolved) {
            raise(unresolved_error(plan, *sim));
        }
        if (sim->transaction.empty()) { // nothing to agree to and nothing to run
            return report_unchanged(context, plan, *sim, json);
        }
        taken_along = removed_beyond(sim->transaction, plan.names);
    }

    // 4. Consent: --yes, or the user's answer on a terminal; never the manager's yes-flag on their behalf.
    // A refresh changes no package: it needs none.
    bool needs_consent = plan.operation != pkg::Operation::refresh;
    if (needs_consent && !consent.yes && !ask_user) {
        refuse_without_consent(context, plan, taken_along);
    }
    bool must_confirm = needs_consent && ask_user && (!choice.user_picked || !taken_along.empty());
    if (must_confirm && !ask_consent(context, plan, sim ? &*sim : nullptr, taken_along)) {
        context.out.info("nothing done");
        return ExitCode::failure;
    }
    if (*elevation == pkg::Elevation::sudo) {
        // Ask for the password once, up front, on the terminal; the manager then runs with sudo -n.
        auto validated = pkg::run_interactive({*sudo, "-v"});
        if (token.is_cancelled()) {
            raise(util::make_error(util::ErrorKind::interrupted, "interrupted; nothing was run"));
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
        // The lock lives in a runtime directory, never in the cache: a root-owned or read-only cache (or
        // none, HOME unset) must not stop an install.
        pkg::LockDir locks = pkg::lock_dir();
        if (!locks.warning.empty()) {
            context.out.warning(locks.warning);
        }
        if (!locks.path.empty()) {
            auto guard = pkg::LockGroupGuard::acquire(
                locks.path, pkg::lock_group_name(plan.lock_group, context.root().dir()), token, [&] {
                    context.out.info("waiting for another zsyncctl run that holds the " + plan.lock_group +
                                     " lock");
                });
            if (!guard) {
                raise(std::move(guard).error());
            }
            lock = std::move(*guard);
        }
    }
    // 5. What the user agreed to is what runs: the question may have been open for a while (and the lock
    // waited for), so the manager simulates once more; a different transaction is asked again.
    if (must_confirm && sim) {
        Recheck recheck = recheck_consent(context, plan, *sim);
        if (recheck == Recheck::declined) {
            context.out.info("nothing done");
            return ExitCode::failure;
        }
        if (recheck == Recheck::nothing_to_do) {
            return report_unchanged(context, plan, *sim, json);
        }
    }
    // The log is optional: a run without one still works, and says why there is none.
    auto log = std::make_unique<pkg::RunLog>(pkg::RunLog::open(pkg::to_string(plan.operation), plan.manager));
    if (!log->error().empty()) {
        context.out.warning(log->error());
    }
    ProgressRenderer renderer(context.out, mode);
    renderer.set_operation(pkg::to_string(plan.operation));
    pkg::ExecuteCallbacks callbacks;
    callbacks.on_progress = [&](const pkg::ProgressUpdate& u) {
        renderer.update(u);
    };
    callbacks.on_line = [&](pkg::OutputStream stream, std::string_view line) {
        const char* tag = stream == pkg::OutputStream::out   ? "out"
                          : stream == pkg::OutputStream::err ? "err"
                                                             : "status";
        log->line("[" + std::string(tag) + "] " + std::string(line));
    };
    // Each command named in the log as it starts (pacman's refresh runs two).
    callbacks.on_command = [&](std::size_t i) {
        log->line("# " + display_argv(plan.commands.at(i).argv));
    };
    if (context.options.json && choice.chosen_by == "search") {
        nlohmann::json event = {{"event", "manager"},
                                {"manager", plan.manager},
                                {"chosen_by", "search"},
                                {"candidates", choice.candidates}};
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
    json.events_started = context.options.json;
    callbacks.on_notice = [&](const pkg::RunNotice& notice) {
        std::string text = describe_notice(notice, plan);
        if (context.options.json) {
            context.out.info(text); // stderr: the JSON stream stays clean
        } else {
            renderer.note(text);
        }
        log->line("# " + text);
    };
    pkg::ExecuteOptions exec;
    exec.root = &context.root();
    // Confirming a stop mid-transaction needs someone at a terminal; a script's second signal is refused.
    exec.confirm_stop = ::isatty(STDIN_FILENO) == 1 && context.out.stderr_is_tty() ? pkg::ConfirmStop::yes
                                                                                   : pkg::ConfirmStop::no;
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
    // The bar turns on a timer while the manager is silent (apt reading its lists, a whole npm run); the
    // ticks run on the loop thread, like the callbacks above, and stop before the renderer is used here.
    std::optional<core::TimerService::TimerId> ticker;
    if (mode == RenderMode::bar) {
        if (auto id = context.runtime().timers().schedule_every(std::chrono::milliseconds(100),
                                                                [&renderer] { renderer.tick(); })) {
            ticker = *id;
        }
    }
    auto outcome = pkg::execute_plan(plan, exec, callbacks);
    if (ticker) {
        context.runtime().timers().cancel(*ticker);
    }
    if (suspend_id != 0) {
        signals->unsubscribe(suspend_id);
    }
    character_mode.end();
    if (!log->path().empty() && !log->error().empty()) { // a log without a path was reported above
        context.out.warning(log->error());
    }
    if (!outcome) {
        renderer.finish();
        raise(std::move(outcome).error());
    }
    renderer.update(outcome->final_update);
    renderer.finish();

    if (context.options.json) {
        print_done_event(context.out, plan, *outcome, log->path());
        json.finished = true;
    }
    for (const std::string& notice : outcome->notices) {
        context.out.warning(util::sanitize_for_display(notice));
    }
    if (outcome->success) {
        if (!context.options.json) {
            context.out.info(done_text(plan, sim ? &sim->transaction : nullptr));
        }
        return ExitCode::success;
    }
    if (outcome->interrupted) {
        raise(util::make_error(util::ErrorKind::interrupted, describe_interruption(plan, *outcome),
                               log->path().empty() ? std::string() : "its output is in " + log->path()));
    }
    if (outcome->final_state.checked && !outcome->final_state.audit_clean) {
        context.out.warning("the package database needs repair: run `" + outcome->final_state.repair_command +
                            "`");
    }
    // Lines mode already printed most of the manager's output: the "last output" block adds only the rest.
    std::erase_if(outcome->last_lines,
                  [&renderer](const std::string& line) { return renderer.printed(line); });
    print_failure_details(context.out, context.options.json, context.options.quiet, plan, *outcome);
    std::string how = outcome->term_signal != 0
                          ? "was killed by signal " + std::to_string(outcome->term_signal)
                          : "failed with exit code " + std::to_string(outcome->exit_code);
    raise(util::make_error(util::ErrorKind::command_failed, plan.manager + " " + how,
                           log->path().empty() ? std::string() : "full output: " + log->path()));
}

void print_json_error(Context& context, const util::Error& error, pkg::Operation op, const JsonState& json) {
    int code = to_int(exit_code_for(error.kind));
    if (!json.events_started) {
        nlohmann::json doc = json.error_extra;
        doc["error"] = error.message;
        if (!error.hint.empty()) {
            doc["hint"] = error.hint;
        }
        doc["kind"] = std::string(util::to_string(error.kind));
        doc["exit_code"] = code;
        context.out.line(json_text(doc));
    } else {
        nlohmann::json event = {{"event", "error"}, {"message", error.message}};
        context.out.line(json_text(event, JsonLayout::line));
        nlohmann::json done = {{"event", "done"},
                               {"operation", std::string(pkg::to_string(op))},
                               {"exit_code", code},
                               {"success", false},
                               {"interrupted", code >= 128}};
        context.out.line(json_text(done, JsonLayout::line));
    }
    context.out.flush();
}

std::string managers_that_can_text(pkg::Operation op) {
    std::vector<std::string> ids;
    for (const pkg::Manager* m : pkg::installable_managers()) {
        if (pkg::can_perform(*m, op)) {
            ids.emplace_back(m->id);
        }
    }
    return util::join(ids, ", ");
}

void add_run_flags(CLI::App& cmd, RunConsent& consent) {
    cmd.add_flag("-n,--dry-run", consent.dry_run,
                 "Print the plan (manager, exact argv, root, lock) and the manager's own simulation; change "
                 "nothing (exit 1 when the manager or a package is missing)");
    cmd.add_flag("-y,--yes", consent.yes,
                 "Agree to what the manager will do and ask nothing: no confirmation, no choice of manager, "
                 "the manager's questions get its defaults (required without a terminal or with --json)");
}

void set_run_action(CLI::App& cmd, Context& context, pkg::Operation op,
                    std::function<ExitCode(JsonState&)> run) {
    cmd.final_callback([&context, op, run = std::move(run)] {
        context.set_action([&context, op, run] {
            JsonState json;
            try {
                return run(json);
            } catch (const CommandError& e) {
                if (context.options.json && !json.finished && !context.out.reader_gone()) {
                    print_json_error(context, e.error, op, json);
                }
                throw;
            }
        });
    });
}

namespace {

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
    add_run_flags(*cmd, args->consent);
    cmd->footer(
        "Before anything changes, the manager's simulation (apt-get -s, dnf --assumeno, pacman --print,\n"
        "zypper --dry-run) shows what it would install, upgrade and remove; on a terminal you confirm it\n"
        "(default No when a removal takes other packages along); without a terminal, --yes is required.\n"
        "Exit status: 0 done (or nothing to do), 1 the manager failed or cannot resolve the names,\n"
        "2 usage, refused package name, no consent (no terminal and no --yes), a manager that cannot\n"
        "install by name (dpkg:, nala:, rpm:) or one without a root option under --root,\n"
        "130/143/129 interrupted by SIGINT/SIGTERM/SIGHUP (the manager gets SIGINT and is waited for).\n"
        "With --json: one {\"event\":\"progress\",...} object per line, then {\"event\":\"done\",...}\n"
        "(a failure: an \"error\" event first; before the run: one {\"error\":...} object).\n"
        "apt: ZSYNCCTL_APT_OPTIONS adds -o settings. --root DIR: apt, dnf, yum, zypper, pacman, apk and "
        "xbps\n"
        "operate on DIR with their root option; other managers are refused. On a terminal\n"
        "without --yes, dpkg's and debconf's questions are handed to you.");
    set_run_action(*cmd, context, op,
                   [&context, args, op](JsonState& json) { return run_operation(context, *args, op, json); });
}

} // namespace

void register_pkg_install(CLI::App& pkg, Context& context) {
    register_operation(pkg, context, pkg::Operation::install);
}

void register_pkg_remove(CLI::App& pkg, Context& context) {
    register_operation(pkg, context, pkg::Operation::remove);
}

} // namespace zsyncctl::cli
