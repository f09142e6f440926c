#include "cli/install_view.hpp"
#include "cli/json.hpp"

#include <nlohmann/json.hpp>

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

} // namespace

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
        out.line(json_text(doc));
        return;
    }
    out.line("manager:    " + plan.manager + " (chosen by " + view.choice.chosen_by + ")");
    out.line("operation:  " + std::string(pkg::to_string(plan.operation)) + " " +
             util::join(plan.names, " "));
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
}

void print_done_event(const Output& out, const pkg::InstallPlan& plan, const pkg::InstallOutcome& outcome,
                      const std::string& log_path) {
    nlohmann::json done = {
        {"event", "done"},
        {"manager", plan.manager},
        {"operation", std::string(pkg::to_string(plan.operation))},
        {"exit_code", outcome.exit_code},
        {"success", outcome.success},
        {"interrupted", outcome.interrupted},
    };
    if (outcome.term_signal != 0) {
        done["signal"] = outcome.term_signal;
    }
    if (!log_path.empty()) {
        done["log"] = log_path;
    }
    if (!outcome.errors.empty()) {
        done["errors"] = outcome.errors;
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

} // namespace zsyncctl::cli
