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
#include "cli/exit_code.hpp"
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
#include "platform/executable.hpp"
#include "util/fs.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

// "a b c" for a few names, "a b c ... and 12 more" for many: a refusal stays one readable line.
std::string first_names(const std::vector<std::string>& names, std::size_t shown = 8) {
    if (names.size() <= shown) {
        return util::join(names, " ");
    }
    std::vector<std::string> head(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(shown));
    return util::join(head, " ") + " ... and " + std::to_string(names.size() - shown) + " more";
}

struct InstallArgs {
    std::vector<std::string> names;
    std::string manager;
    bool dry_run = false;
    bool yes = false;
};

// What a --json run has printed so far, so a failure ends it with exactly one document: an error object
// before the run, an "error" event and the "done" event once events were printed, nothing more after "done".
struct JsonState {
    bool events_started = false;
    bool finished = false;
    nlohmann::json error_extra = nlohmann::json::object();
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
                                              pkg::Operation op, bool ask, bool arch_qualified,
                                              JsonState& json) {
    std::string wanted = util::join(names, " ");
    if (!context.options.json && !context.options.quiet) {
        context.out.info("looking for " + wanted + " with every package manager detected here ...");
    }
    auto found = pkg::find_managers_with(names, op, context.root(), !context.options.no_cache,
                                         std::chrono::seconds(20), context.runtime());
    if (!found) {
        raise(std::move(found).error());
    }
    if (arch_qualified) { // "libc6:i386": only managers whose names take an architecture qualifier
        std::erase_if(found->candidates, [](const pkg::ManagerCandidate& c) {
            const pkg::Manager* m = pkg::find_manager(c.manager);
            return m == nullptr || m->install.arch_separator.empty();
        });
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
        if (op == pkg::Operation::remove) {
            raise(util::make_error(util::ErrorKind::not_found,
                                   "no detected package manager has " +
                                       std::string(names.size() == 1 ? "" : "all of ") + wanted +
                                       " installed; nothing removed",
                                   hint));
        }
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
        json.error_extra = {{"names", names}, {"candidates", candidates}};
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
                                            bool ask, JsonState& json) {
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
            bool known = pkg::find_manager(args.manager) != nullptr;
            raise_usage(known ? args.manager + " cannot " + std::string(pkg::to_string(op)) +
                                    " packages by name"
                              : "unknown package manager '" + util::sanitize_for_display(args.manager) + "'",
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
    bool arch_qualified = false;
    for (const auto& r : reqs) {
        names.push_back(r.base_name);
        arch_qualified = arch_qualified || !r.arch.empty();
    }
    return choose_by_search(context, names, op, ask, arch_qualified, json);
}

std::optional<std::string> sudo_path() {
    auto found = platform::find_executable("sudo", platform::path_env());
    if (!found) {
        return std::nullopt;
    }
    return *found;
}

// One line for a RunNotice: a lock another program holds, a transaction finishing after an interrupt,
// what a second interrupt does.
std::string describe_notice(const pkg::RunNotice& n, const pkg::InstallPlan& plan) {
    std::string who = util::sanitize_for_display(n.name.empty() ? "a process" : n.name) + " (PID " +
                      std::to_string(n.pid) + ")";
    std::string repair =
        n.repair_command.empty() ? std::string() : ", to be finished with `" + n.repair_command + "`";
    switch (n.kind) {
    case pkg::RunNotice::Kind::lock_wait:
        return "waiting for the " + plan.lock_group + " lock held by PID " + std::to_string(n.pid) + " (" +
               util::sanitize_for_display(n.name) + ") on " + util::sanitize_for_display(n.path) +
               " ... (at most " + std::to_string(n.seconds) + " s; Ctrl-C stops waiting)";
    case pkg::RunNotice::Kind::lock_acquired:
        return "the " + plan.lock_group + " lock is free; going on";
    case pkg::RunNotice::Kind::transaction_wait:
        return "interrupted: waiting for " + who +
               " to finish changing the package database (stopping it half-way would leave packages "
               "half-installed)";
    case pkg::RunNotice::Kind::confirm_stop:
        return who +
               " is still changing the package database. Stopping it now leaves packages half-installed" +
               repair + ". Press Ctrl-C again within " + std::to_string(n.seconds) +
               " s to stop anyway; otherwise zsyncctl waits for it.";
    case pkg::RunNotice::Kind::stop_refused:
        return who + " is still changing the package database: a second signal does not stop it half-way "
                     "(there is no "
                     "terminal to confirm on); waiting for it to finish";
    case pkg::RunNotice::Kind::stopping:
        return n.pid != 0 ? "stopping now: " + who + " is killed mid-transaction" + repair
                          : "stopping now: " + plan.manager + " and its processes are killed";
    }
    return {};
}

// The message of an interrupted run: what the manager did with the interrupt and, where the registry says
// how to ask, the packages' true final state ("zs-slow installed; the package database is consistent").
std::string describe_interruption(const pkg::InstallPlan& plan, const pkg::InstallOutcome& outcome) {
    const pkg::FinalState& st = outcome.final_state;
    if (!st.checked) {
        std::string state = outcome.last_state.empty() ? "nothing reported" : outcome.last_state;
        return "interrupted; " + plan.manager +
               " was stopped (last reported: " + util::sanitize_for_display(state) + ")";
    }
    std::string text = "interrupted; ";
    if (outcome.forced_stop) {
        text += plan.manager + " was killed mid-transaction at your request";
    } else if (outcome.waited_for_transaction) {
        text += plan.manager + " stopped after its transaction finished";
    } else {
        text += plan.manager + " stopped";
    }
    if (!outcome.last_state.empty()) {
        text += " (last reported: " + util::sanitize_for_display(outcome.last_state) + ")";
    }
    std::vector<std::string> states;
    for (const auto& [name, state] : st.packages) {
        states.push_back(util::sanitize_for_display(name) + " " + util::sanitize_for_display(state));
    }
    text += ": " + util::join(states, ", ");
    if (st.audit_clean) {
        text += "; the package database is consistent";
    } else {
        text += "; the package database needs repair: run `" + st.repair_command + "`";
    }
    return text;
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

// The run's own question, "[y/N]" when `default_yes` is false: an empty answer takes the default; false at
// end of input and when `token` is cancelled. Main thread.
bool ask_yes_no(const std::string& question, bool default_yes, const core::CancellationToken& token) {
    if (default_yes) {
        return confirm(question, token);
    }
    std::fprintf(stderr, "%s [y/N] ", question.c_str());
    std::fflush(stderr);
    auto answer = read_answer(token);
    if (!answer) {
        std::fputc('\n', stderr);
        return false;
    }
    std::string_view a = util::trim(*answer);
    return a == "y" || a == "Y" || a == "yes";
}

// Runs the plan's simulation; nullopt when the manager has none. A manager that is not here, or that
// cannot resolve the names, fails the command (exit 1) with the manager's own words.
std::optional<pkg::SimulationResult> simulate(Context& context, const pkg::InstallPlan& plan) {
    if (!plan.simulation) {
        return std::nullopt;
    }
    auto result =
        pkg::run_simulation(plan, context.loop(), context.runtime().token(), std::chrono::minutes(2));
    if (!result) {
        util::Error error = std::move(result).error();
        if (error.kind == util::ErrorKind::not_found) {
            error.message = plan.manager + " is not installed here (" + error.message + ")";
        }
        raise(std::move(error));
    }
    return std::move(*result);
}

// The error of a simulation that did not resolve: "apt cannot install zs-nosuch: E: Unable to locate ...".
util::Error unresolved_error(const pkg::InstallPlan& plan, const pkg::SimulationResult& sim) {
    std::string said = sim.messages.empty()
                           ? "its simulation exited with code " + std::to_string(sim.exit_code)
                           : util::sanitize_for_display(util::join(sim.messages, "; "));
    return util::make_error(util::ErrorKind::command_failed,
                            plan.manager + " cannot " + std::string(pkg::to_string(plan.operation)) + " " +
                                util::join(plan.names, " ") + ": " + said,
                            "nothing was changed; simulated with: " + display_argv(plan.simulation->argv));
}

// The dry run: the plan and the simulation; exit 1 when the manager is missing or cannot resolve the names.
ExitCode dry_run(Context& context, const pkg::InstallPlan& plan, const ManagerChoice& choice,
                 const pkg::PlanOptions& plan_options, bool user_answers, JsonState& json) {
    auto sudo = sudo_path();
    auto elevation = pkg::decide_elevation(plan, ::geteuid(), sudo.value_or(""));
    DryRunView view{.plan = plan, .choice = choice};
    view.argvs = pkg::final_argvs(plan, elevation ? *elevation : pkg::Elevation::none, plan_options.prompts);
    view.env = pkg::run_environment(plan, plan_options.prompts);
    view.elevation = !elevation ? "unavailable" : *elevation == pkg::Elevation::sudo ? "sudo" : "none";
    view.elevation_error = elevation ? std::string() : elevation.error().message;
    view.user_answers = user_answers;
    std::optional<pkg::SimulationResult> sim;
    ExitCode code = ExitCode::success;
    if (plan.simulation) {
        auto ran =
            pkg::run_simulation(plan, context.loop(), context.runtime().token(), std::chrono::minutes(2));
        if (!ran) {
            if (ran.error().kind == util::ErrorKind::interrupted) {
                raise(std::move(ran).error());
            }
            view.simulation_error =
                ran.error().kind == util::ErrorKind::not_found
                    ? plan.manager + " is not installed here (" + ran.error().message + ")"
                    : ran.error().message;
        } else {
            sim = std::move(*ran);
            view.simulation = &*sim;
            if (!sim->resolved) {
                view.simulation_error = unresolved_error(plan, *sim).message;
            }
        }
    } else if (!platform::find_executable(plan.commands.front().argv.front(), platform::path_env())) {
        view.simulation_error = plan.manager + " is not installed here (no " +
                                util::sanitize_for_display(plan.commands.front().argv.front()) + " on PATH)";
    }
    if (!view.simulation_error.empty()) {
        code = ExitCode::failure;
    }
    print_dry_run(context.out, context.options.json, view);
    json.finished = true;
    if (code != ExitCode::success) {
        context.out.error(util::make_error(util::ErrorKind::command_failed, view.simulation_error));
    }
    return code;
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
    bool ask_user = on_terminal && !args.yes;
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
    auto choice = choose_manager(context, args, requests, op, ask_user && !args.dry_run, json);
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

    if (args.dry_run) {
        return dry_run(context, plan, *choice, plan_options, user_answers, json);
    }
    auto sudo = sudo_path();
    auto elevation = pkg::decide_elevation(plan, ::geteuid(), sudo.value_or(""));
    if (!elevation) {
        raise(std::move(elevation).error());
    }

    // 3. What the manager would really do, from its own simulation (unprivileged, changes nothing).
    core::Runtime& runtime = context.runtime();
    const core::CancellationToken& token = runtime.token();
    auto interrupted_before_start = [&] {
        raise(util::make_error(util::ErrorKind::interrupted, "interrupted; nothing was run"));
    };
    std::optional<pkg::SimulationResult> sim = simulate(context, plan);
    std::vector<std::string> taken_along;
    if (sim) {
        if (!sim->resolved) {
            raise(unresolved_error(plan, *sim));
        }
        if (sim->transaction.empty()) { // nothing to agree to and nothing to run
            bool install = op == pkg::Operation::install;
            std::string what = util::join(plan.names, " ");
            if (context.options.json) {
                print_unchanged_done_event(context.out, plan, install ? "already_installed" : "not_installed",
                                           sim->messages);
                json.finished = true;
            } else {
                context.out.info(what + (install
                                             ? (plan.names.size() == 1 ? " is" : " are") +
                                                   std::string(" already installed (") + plan.manager +
                                                   "); nothing to do"
                                             : std::string(plan.names.size() == 1 ? " is" : " are") +
                                                   " not installed (" + plan.manager + "), nothing removed"));
            }
            return ExitCode::success;
        }
        taken_along = removed_beyond(sim->transaction, plan.names);
    }

    // 4. Consent: --yes, or the user's answer on a terminal; never the manager's yes-flag on their behalf.
    std::string verb = op == pkg::Operation::install ? "install" : "remove";
    if (!args.yes && !ask_user) {
        std::string why = context.options.json ? "--json asks nothing" : "there is no terminal to ask on";
        std::string extra = taken_along.empty()
                                ? std::string()
                                : " (it would also remove " + std::to_string(taken_along.size()) +
                                      " other package" + (taken_along.size() == 1 ? "" : "s") + ": " +
                                      util::sanitize_for_display(first_names(taken_along)) + ")";
        raise_usage("refusing to " + verb + " " + util::join(plan.names, " ") + " with " + plan.manager +
                        " without confirmation: " + why + extra,
                    "pass --yes to agree to what " + plan.manager + " will do; see it first with --dry-run");
    }
    bool must_confirm = ask_user && (!choice->user_picked || !taken_along.empty());
    if (must_confirm) {
        bool default_yes = taken_along.empty() && (sim || op == pkg::Operation::install);
        if (sim) {
            std::fprintf(stderr, "%s will:\n", plan.manager.c_str());
            for (const auto& line : transaction_lines(sim->transaction)) {
                std::fprintf(stderr, "%s\n", line.c_str());
            }
            if (!taken_along.empty()) {
                std::fprintf(stderr, "This also removes %zu package%s you did not name: %s\n",
                             taken_along.size(), taken_along.size() == 1 ? "" : "s",
                             util::sanitize_for_display(util::join(taken_along, " ")).c_str());
            }
        } else {
            std::fprintf(stderr, "%s cannot show what it will do beforehand.\n", plan.manager.c_str());
        }
        std::string question = std::string(op == pkg::Operation::install ? "Install " : "Remove ") +
                               util::join(plan.names, " ") + " with " + plan.manager + "?";
        if (!ask_yes_no(question, default_yes, token)) {
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
        // The lock lives in a runtime directory, never in the cache: a root-owned or read-only cache (or
        // none, HOME unset) must not stop an install.
        pkg::LockDir locks = pkg::lock_dir();
        if (!locks.warning.empty()) {
            context.out.warning(locks.warning);
        }
        if (!locks.path.empty()) {
            auto guard = pkg::LockGroupGuard::acquire(locks.path, plan.lock_group, token, [&] {
                context.out.info("waiting for another zsyncctl run that holds the " + plan.lock_group +
                                 " lock");
            });
            if (!guard) {
                raise(std::move(guard).error());
            }
            lock = std::move(*guard);
        }
    }
    // The log is optional: a run without one still works, and says why there is none.
    auto log = std::make_unique<pkg::RunLog>(pkg::RunLog::open(pkg::to_string(plan.operation), plan.manager));
    if (!log->error().empty()) {
        context.out.warning(log->error());
    }
    ProgressRenderer renderer(context.out, mode);
    renderer.set_operation(pkg::to_string(op));
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
    log->line("# " + display_argv(plan.commands.front().argv));
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
    if (outcome->success) {
        if (!context.options.json) {
            context.out.info(std::string(op == pkg::Operation::install ? "installed " : "removed ") +
                             util::join(plan.names, " ") + " with " + plan.manager);
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

// The one document that ends a failed --json run: before the run an error object, once events were
// printed an "error" event and the "done" event.
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
                  "Print the plan (manager, exact argv, root, lock) and the manager's own simulation; change "
                  "nothing (exit 1 when the manager or a package is missing)");
    cmd->add_flag("-y,--yes", args->yes,
                  "Agree to what the manager will do and ask nothing: no confirmation, no choice of manager, "
                  "the manager's questions get its defaults (required without a terminal or with --json)");
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
    cmd->final_callback([&context, args, op] {
        context.set_action([&context, args, op] {
            JsonState json;
            try {
                return run_operation(context, *args, op, json);
            } catch (const CommandError& e) {
                if (context.options.json && !json.finished && !context.out.reader_gone()) {
                    print_json_error(context, e.error, op, json);
                }
                throw;
            }
        });
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
