#include "cli/install_consent.hpp"

#include <array>
#include <cstdio>
#include <unistd.h>

#include "cli/prompt.hpp"
#include "platform/executable.hpp"
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

std::string question_for(const pkg::InstallPlan& plan) {
    static constexpr std::array<const char*, 4> k_verbs = {"Install ", "Remove ", "Upgrade ", "Refresh "};
    std::string verb = k_verbs.at(static_cast<std::size_t>(plan.operation));
    return verb + pkg::plan_subject(plan) + " with " + plan.manager + "?";
}

void print_transaction(const pkg::InstallPlan& plan, const pkg::Transaction& transaction,
                       const std::vector<std::string>& taken_along) {
    std::fprintf(stderr, "%s will:\n", plan.manager.c_str());
    for (const auto& line : transaction_lines(transaction)) {
        std::fprintf(stderr, "%s\n", line.c_str());
    }
    if (!taken_along.empty()) {
        std::fprintf(stderr, "This also removes %zu package%s you did not name: %s\n", taken_along.size(),
                     taken_along.size() == 1 ? "" : "s",
                     util::sanitize_for_display(util::join(taken_along, " ")).c_str());
    }
}

[[noreturn]] void interrupted_before_start() {
    raise(util::make_error(util::ErrorKind::interrupted, "interrupted; nothing was run"));
}

} // namespace

std::optional<std::string> sudo_path() {
    auto found = platform::find_executable("sudo", platform::path_env());
    if (!found) {
        return std::nullopt;
    }
    return *found;
}

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

util::Error unresolved_error(const pkg::InstallPlan& plan, const pkg::SimulationResult& sim) {
    std::string said = sim.messages.empty()
                           ? "its simulation exited with code " + std::to_string(sim.exit_code)
                           : util::sanitize_for_display(util::join(sim.messages, "; "));
    return util::make_error(util::ErrorKind::command_failed,
                            plan.manager + " cannot " + std::string(pkg::to_string(plan.operation)) + " " +
                                pkg::plan_subject(plan) + ": " + said,
                            "nothing was changed; simulated with: " + display_argv(plan.simulation->argv));
}

void refuse_without_consent(Context& context, const pkg::InstallPlan& plan,
                            const std::vector<std::string>& taken_along) {
    std::string why = context.options.json ? "--json asks nothing" : "there is no terminal to ask on";
    std::string extra = taken_along.empty()
                            ? std::string()
                            : " (it would also remove " + std::to_string(taken_along.size()) +
                                  " other package" + (taken_along.size() == 1 ? "" : "s") + ": " +
                                  util::sanitize_for_display(first_names(taken_along)) + ")";
    raise_usage("refusing to " + std::string(pkg::to_string(plan.operation)) + " " + pkg::plan_subject(plan) +
                    " with " + plan.manager + " without confirmation: " + why + extra,
                "pass --yes to agree to what " + plan.manager + " will do; see it first with --dry-run");
}

bool ask_consent(Context& context, const pkg::InstallPlan& plan, const pkg::SimulationResult* sim,
                 const std::vector<std::string>& taken_along) {
    bool default_yes = taken_along.empty() && (sim != nullptr || plan.operation != pkg::Operation::remove);
    if (sim != nullptr) {
        print_transaction(plan, sim->transaction, taken_along);
    } else {
        std::fprintf(stderr, "%s cannot show what it will do beforehand.\n", plan.manager.c_str());
    }
    const core::CancellationToken& token = context.runtime().token();
    bool agreed = ask_yes_no(question_for(plan), default_yes ? DefaultAnswer::yes : DefaultAnswer::no, token);
    if (!agreed && token.is_cancelled()) {
        interrupted_before_start();
    }
    return agreed;
}

Recheck recheck_consent(Context& context, const pkg::InstallPlan& plan, pkg::SimulationResult& agreed) {
    const core::CancellationToken& token = context.runtime().token();
    for (;;) {
        std::optional<pkg::SimulationResult> now = simulate(context, plan);
        if (!now) {
            return Recheck::run; // no simulation: nothing was shown, nothing to compare
        }
        if (!now->resolved) {
            raise(unresolved_error(plan, *now));
        }
        if (pkg::same_transaction(agreed.transaction, now->transaction)) {
            return Recheck::run;
        }
        if (now->transaction.empty()) {
            agreed = std::move(*now);
            return Recheck::nothing_to_do;
        }
        std::vector<std::string> changes = transaction_changes(agreed.transaction, now->transaction);
        bool on_terminal =
            ::isatty(STDIN_FILENO) == 1 && context.out.stderr_is_tty() && !context.options.json;
        if (!on_terminal) {
            raise_usage(plan.manager + " would now do something else than what was agreed to: " +
                            util::join(changes, ";"),
                        "nothing was changed; run the command again to see the new transaction");
        }
        std::fprintf(stderr,
                     "%s's transaction changed while the question was open (the repository or the "
                     "system changed):\n",
                     plan.manager.c_str());
        for (const auto& line : changes) {
            std::fprintf(stderr, "%s\n", line.c_str());
        }
        std::vector<std::string> taken_along = removed_beyond(now->transaction, plan.names);
        print_transaction(plan, now->transaction, taken_along);
        bool agreed_again = ask_yes_no(question_for(plan),
                                       taken_along.empty() ? DefaultAnswer::yes : DefaultAnswer::no, token);
        if (!agreed_again) {
            if (token.is_cancelled()) {
                interrupted_before_start();
            }
            return Recheck::declined;
        }
        agreed = std::move(*now); // and once more: it may have changed during this question too
    }
}

ExitCode install_dry_run(Context& context, const pkg::InstallPlan& plan, const ManagerChoice& choice,
                         const pkg::PlanOptions& plan_options, bool user_answers, bool one_line) {
    auto sudo = sudo_path();
    auto elevation = pkg::decide_elevation(plan, ::geteuid(), sudo.value_or(""));
    DryRunView view{.plan = plan, .choice = choice};
    view.argvs = pkg::final_argvs(plan, elevation ? *elevation : pkg::Elevation::none, plan_options.prompts);
    view.env = pkg::run_environment(plan, plan_options.prompts);
    view.elevation = !elevation ? "unavailable" : *elevation == pkg::Elevation::sudo ? "sudo" : "none";
    view.elevation_error = elevation ? std::string() : elevation.error().message;
    view.user_answers = user_answers;
    view.one_line = one_line;
    std::optional<pkg::SimulationResult> sim;
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
    print_dry_run(context.out, context.options.json, view);
    if (view.simulation_error.empty()) {
        return ExitCode::success;
    }
    context.out.error(util::make_error(util::ErrorKind::command_failed, view.simulation_error));
    return ExitCode::failure;
}

} // namespace zsyncctl::cli
