#include "cli/install_view.hpp"
#include "cli/json.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdio>

#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

// Shell-style quoting for display only (nothing is ever run through a shell).
std::string quoted(const std::string& arg) {
    bool plain = !arg.empty() && arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                       "0123456789@%+=:,./-_~[]^") == std::string::npos;
    if (plain) {
        return arg;
    }
    return util::quote_posix(arg);
}

std::string package_text(const pkg::TransactionPackage& p) {
    std::string text = util::sanitize_for_display(p.name);
    if (!p.old_version.empty() && !p.version.empty()) {
        text += " (" + util::sanitize_for_display(p.old_version) + " -> " +
                util::sanitize_for_display(p.version) + ")";
    } else if (!p.version.empty() || !p.old_version.empty()) {
        text += " (" + util::sanitize_for_display(p.version.empty() ? p.old_version : p.version) + ")";
    }
    return text;
}

nlohmann::json packages_json(const std::vector<pkg::TransactionPackage>& packages) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& p : packages) {
        nlohmann::json one = {{"name", p.name}};
        if (!p.version.empty()) {
            one["version"] = p.version;
        }
        if (!p.old_version.empty()) {
            one["old_version"] = p.old_version;
        }
        out.push_back(std::move(one));
    }
    return out;
}

} // namespace

std::vector<std::string> transaction_lines(const pkg::Transaction& transaction) {
    std::vector<std::string> lines;
    auto add = [&](std::string_view verb, const std::vector<pkg::TransactionPackage>& packages) {
        if (packages.empty()) {
            return;
        }
        std::string line = "  " + std::string(verb) + " (" + std::to_string(packages.size()) + "):";
        std::size_t width = line.size();
        for (std::size_t i = 0; i < packages.size(); ++i) {
            std::string item = " " + package_text(packages[i]) + (i + 1 < packages.size() ? "," : "");
            if (width + item.size() > 100 && width > 16) {
                lines.push_back(line);
                line = "     ";
                width = line.size();
            }
            line += item;
            width += item.size();
        }
        lines.push_back(line);
    };
    add("install", transaction.install);
    add("upgrade", transaction.upgrade);
    add("REMOVE", transaction.remove);
    add("keep back", transaction.kept_back);
    return lines;
}

std::vector<std::string> transaction_changes(const pkg::Transaction& agreed, const pkg::Transaction& now) {
    std::vector<std::string> lines;
    auto compare = [&](std::string_view verb, const std::vector<pkg::TransactionPackage>& before,
                       const std::vector<pkg::TransactionPackage>& after) {
        auto missing_from = [](const pkg::TransactionPackage& p,
                               const std::vector<pkg::TransactionPackage>& in) {
            return std::find(in.begin(), in.end(), p) == in.end();
        };
        for (const auto& p : after) {
            if (missing_from(p, before)) {
                lines.push_back("  + " + std::string(verb) + " " + package_text(p));
            }
        }
        for (const auto& p : before) {
            if (missing_from(p, after)) {
                lines.push_back("  - " + std::string(verb) + " " + package_text(p));
            }
        }
    };
    compare("install", agreed.install, now.install);
    compare("upgrade", agreed.upgrade, now.upgrade);
    compare("REMOVE", agreed.remove, now.remove);
    return lines;
}

nlohmann::json transaction_json(const pkg::Transaction& transaction) {
    return {{"install", packages_json(transaction.install)},
            {"upgrade", packages_json(transaction.upgrade)},
            {"remove", packages_json(transaction.remove)},
            {"kept_back", packages_json(transaction.kept_back)}};
}

std::vector<std::string> removed_beyond(const pkg::Transaction& transaction,
                                        const std::vector<std::string>& names) {
    std::vector<std::string> out;
    for (const auto& p : transaction.remove) {
        bool asked = false;
        for (const std::string& n : names) {
            // apt prints "libc6:i386" for a foreign architecture and the plain name for the native one.
            asked = asked || p.name == n || p.name.starts_with(n + ":") || n.starts_with(p.name + ":");
        }
        if (!asked) {
            out.push_back(p.name);
        }
    }
    return out;
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

void print_dry_run(const Output& out, bool json, const DryRunView& view) {
    const pkg::InstallPlan& plan = view.plan;
    if (json) {
        nlohmann::json commands = nlohmann::json::array();
        for (const auto& a : view.argvs) {
            commands.push_back(a);
        }
        nlohmann::json env = nlohmann::json::object();
        for (const auto& [k, v] : view.env) {
            env[k] = v;
        }
        nlohmann::json doc = {
            {"manager", plan.manager},
            {"operation", std::string(pkg::to_string(plan.operation))},
            {"names", plan.names},
            {"argv", view.argvs.front()},
            {"commands", commands},
            {"needs_root", plan.needs_root},
            {"elevation", view.elevation},
            {"lock_group", plan.lock_group},
            {"progress", std::string(pkg::to_string(plan.progress))},
            {"env", env},
            {"chosen_by", view.choice.chosen_by},
            {"prompts", view.user_answers ? "terminal" : "defaults"},
        };
        if (view.choice.chosen_by == "search") {
            doc["candidates"] = view.choice.candidates;
        }
        if (!view.elevation_error.empty()) {
            doc["error"] = view.elevation_error;
        }
        if (plan.simulation) {
            doc["simulation"] = plan.simulation->argv;
        }
        if (view.simulation != nullptr && view.simulation->resolved) {
            doc["transaction"] = transaction_json(view.simulation->transaction);
        }
        if (view.simulation != nullptr && !view.simulation->messages.empty()) {
            doc["messages"] = view.simulation->messages;
        }
        if (!view.simulation_error.empty()) {
            doc["error"] = view.simulation_error;
        }
        out.line(json_text(doc, view.one_line ? JsonLayout::line : JsonLayout::pretty));
        return;
    }
    out.line("manager:    " + plan.manager + " (chosen by " + view.choice.chosen_by + ")");
    out.line("operation:  " + std::string(pkg::to_string(plan.operation)) + " " + pkg::plan_subject(plan));
    for (const auto& a : view.argvs) {
        out.line("command:    " + display_argv(a));
    }
    out.line(std::string("needs root: ") + (plan.needs_root ? "yes" : "no") +
             (view.elevation == "sudo" ? " (through sudo)" : ""));
    out.line("lock group: " + plan.lock_group);
    out.line("progress:   " + std::string(pkg::to_string(plan.progress)));
    out.line(std::string("questions:  ") +
             (view.user_answers ? "asked on this terminal" : "answered with the manager's defaults"));
    if (!view.elevation_error.empty()) {
        out.line("note:       " + view.elevation_error);
    }
    if (plan.simulation) {
        out.line("simulation: " + display_argv(plan.simulation->argv));
    } else {
        out.line("simulation: none (" + plan.manager + " cannot show what it would do beforehand)");
    }
    if (view.simulation != nullptr) {
        for (const auto& m : view.simulation->messages) {
            out.line("  " + plan.manager + ": " + util::sanitize_for_display(m));
        }
        if (view.simulation->resolved) {
            auto lines = transaction_lines(view.simulation->transaction);
            if (lines.empty()) {
                out.line("  nothing to do");
            }
            for (const auto& l : lines) {
                out.line(l);
            }
        }
    }
    if (!view.simulation_error.empty()) {
        out.line("error:      " + util::sanitize_for_display(view.simulation_error));
    }
}

nlohmann::json failure_event(const pkg::InstallPlan& plan, const pkg::InstallOutcome& outcome) {
    std::string message = outcome.interrupted ? plan.manager + " was interrupted"
                          : outcome.term_signal != 0
                              ? plan.manager + " was killed by signal " + std::to_string(outcome.term_signal)
                              : plan.manager + " failed with exit code " + std::to_string(outcome.exit_code);
    nlohmann::json error = {{"event", "error"}, {"manager", plan.manager}, {"message", message}};
    if (!outcome.errors.empty()) {
        error["errors"] = outcome.errors;
    }
    return error;
}

nlohmann::json done_event(const pkg::InstallPlan& plan, const pkg::InstallOutcome& outcome,
                          const std::string& log_path) {
    nlohmann::json done = {
        {"event", "done"},
        {"manager", plan.manager},
        {"operation", std::string(pkg::to_string(plan.operation))},
        {"exit_code", outcome.exit_code},
        {"success", outcome.success},
        {"interrupted", outcome.interrupted},
    };
    if (outcome.success) {
        done["changed"] = true;
        static constexpr std::array<const char*, 4> k_results = {"installed", "removed", "upgraded",
                                                                 "refreshed"};
        done["result"] = k_results.at(static_cast<std::size_t>(plan.operation));
    }
    if (outcome.term_signal != 0) {
        done["signal"] = outcome.term_signal;
    }
    if (!log_path.empty()) {
        done["log"] = log_path;
    }
    if (!outcome.errors.empty()) {
        done["errors"] = outcome.errors;
    }
    return done;
}

void print_done_event(const Output& out, const pkg::InstallPlan& plan, const pkg::InstallOutcome& outcome,
                      const std::string& log_path) {
    if (!outcome.success) {
        out.line(json_text(failure_event(plan, outcome), JsonLayout::line));
    }
    out.line(json_text(done_event(plan, outcome, log_path), JsonLayout::line));
    out.flush();
}

void print_unchanged_done_event(const Output& out, const pkg::InstallPlan& plan, const std::string& result,
                                const std::vector<std::string>& messages) {
    nlohmann::json done = {
        {"event", "done"},
        {"manager", plan.manager},
        {"operation", std::string(pkg::to_string(plan.operation))},
        {"names", plan.names},
        {"exit_code", 0},
        {"success", true},
        {"interrupted", false},
        {"changed", false},
        {"result", result},
    };
    if (!messages.empty()) {
        done["messages"] = messages;
    }
    out.line(json_text(done, JsonLayout::line));
    out.flush();
}

void print_failure_details(const Output& out, bool json, bool quiet, const pkg::InstallPlan& plan,
                           const pkg::InstallOutcome& outcome) {
    if (!json || out.stderr_is_tty()) {
        for (const auto& e : outcome.errors) {
            out.info("  " + util::sanitize_for_display(e));
        }
    }
    if (quiet) {
        return;
    }
    std::size_t shown = 0;
    std::size_t skip = outcome.last_lines.size() > 10 ? outcome.last_lines.size() - 10 : 0;
    std::string tail;
    for (const auto& line : outcome.last_lines) {
        if (shown++ >= skip) {
            tail += "  | " + util::sanitize_for_display(line) + "\n";
        }
    }
    if (!tail.empty()) {
        std::fputs((plan.manager + "'s last output:\n" + tail).c_str(), stderr);
    }
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
    if (!states.empty()) { // a refresh names no package
        text += ": " + util::join(states, ", ");
    }
    if (st.audit_clean) {
        text += "; the package database is consistent";
    } else {
        text += "; the package database needs repair: run `" + st.repair_command + "`";
    }
    return text;
}

} // namespace zsyncctl::cli
