#include "cli/upgrade_multi.hpp"

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

#include "cli/install_consent.hpp"
#include "cli/install_view.hpp"
#include "cli/json.hpp"
#include "cli/progress_renderer.hpp"
#include "cli/prompt.hpp"
#include "cli/upgrade_board.hpp"
#include "core/concurrent_for.hpp"
#include "core/process.hpp"
#include "pkg/install/concurrent_runs.hpp"
#include "pkg/install/install.hpp"
#include "pkg/install/process_runner.hpp"
#include "pkg/install/run_files.hpp"
#include "pkg/install/simulation.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

using Clock = std::chrono::steady_clock;

// A part that will run: its plan, what it agreed to, and how it ended.
struct Lane {
    const pkg::InstallPlan* plan = nullptr;
    std::string installation; // the part's installation, or empty
    std::optional<pkg::SimulationResult> agreed;
    std::optional<pkg::InstallOutcome> outcome;
    std::string error;    // why it could not start, or why it was not run
    std::string log_path; // its run log
};

// The board's state, shared by the loop thread (callbacks, ticks) and the threads running the lanes. With
// --json there is no board and no lane lines: the lanes' events are written instead (emit), one JSON line
// each, every one naming its manager.
class Board {
public:
    Board(const Output& out, bool draw, bool json, std::vector<UpgradeLane> lanes,
          std::vector<nlohmann::json> tags)
        : m_out(out), m_draw(draw), m_json(json), m_board(out), m_lanes(std::move(lanes)),
          m_tags(std::move(tags)), m_start(Clock::now()) {}

    bool json() const { return m_json; }

    // Writes one --json event line for lane `i` (its manager, and installation where it has several,
    // added), whole, whatever thread runs it.
    void emit(std::size_t i, nlohmann::json event) {
        std::lock_guard lock(m_mutex);
        event.update(m_tags[i]);
        m_out.line(json_text(event, JsonLayout::line));
        m_out.flush();
    }

    // Changes lane `i` with `f(lane)`; without a board a changed line is printed.
    template <typename F>
    void change(std::size_t i, F f) {
        std::lock_guard lock(m_mutex);
        f(m_lanes[i]);
        if (m_draw || m_json) {
            return;
        }
        std::string text = upgrade_lane_text(m_lanes[i]);
        if (text != m_last_text[i]) {
            m_last_text[i] = text;
            std::fprintf(stderr, "%s\n", text.c_str());
            std::fflush(stderr);
        }
    }

    // Lane `i` starts now / ends now with `state` and `detail`.
    void start(std::size_t i) {
        change(i, [this](UpgradeLane& l) {
            l.state = UpgradeLane::State::running;
            l.started_ms = now_ms();
        });
    }
    void end(std::size_t i, UpgradeLane::State state, std::string detail) {
        change(i, [&](UpgradeLane& l) {
            l.state = state;
            l.detail = std::move(detail);
            l.percent.reset();
            if (l.started_ms >= 0) {
                l.ended_ms = now_ms();
            }
        });
    }

    // Redraws the board (a timer on the loop thread, then the main thread once at the end).
    void redraw() {
        std::lock_guard lock(m_mutex);
        if (m_draw) {
            m_board.draw(m_lanes, now_ms());
        }
    }

    // A message line: above the board on a terminal (the board is drawn again below it).
    void note(const std::string& text) {
        std::lock_guard lock(m_mutex);
        if (m_draw) {
            m_board.erase(); // the note takes the board's place and the board is drawn below it
            std::fprintf(stderr, "%s\n", text.c_str());
            m_board.draw(m_lanes, now_ms());
        } else {
            std::fprintf(stderr, "%s\n", text.c_str());
        }
        std::fflush(stderr);
    }

    std::int64_t now_ms() const {
        return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - m_start).count();
    }

private:
    const Output& m_out;
    bool m_draw;
    bool m_json;
    UpgradeBoard m_board;
    std::mutex m_mutex;
    std::vector<UpgradeLane> m_lanes;
    std::vector<nlohmann::json> m_tags; // per lane: {"manager"[, "installation"]}
    std::vector<std::string> m_last_text = std::vector<std::string>(m_lanes.size());
    Clock::time_point m_start;
};

std::string upgraded_text(const pkg::InstallPlan& plan, const Lane& lane) {
    if (!lane.agreed) {
        return "upgraded " + pkg::plan_subject(plan);
    }
    std::size_t n = lane.agreed->transaction.upgrade.size();
    return "upgraded " + std::to_string(n) + " package" + (n == 1 ? "" : "s");
}

// --json: the done event of a lane that did not run (or could not start): nothing changed.
void not_run_event(Board& board, std::size_t index, const pkg::InstallPlan& plan, const std::string& why,
                   bool interrupted) {
    if (board.json()) {
        board.emit(index, {{"event", "done"},
                           {"operation", std::string(pkg::to_string(plan.operation))},
                           {"success", false},
                           {"changed", false},
                           {"interrupted", interrupted},
                           {"result", "not_run"},
                           {"message", why}});
    }
}

// Runs one lane: its zsyncctl lock, the simulation again (a different transaction is not run: nobody can
// be asked again while other managers run), then the plan. Any thread but the loop's.
void run_lane(Context& context, Lane& lane, std::size_t index, Board& board, pkg::Elevation elevation,
              pkg::ConcurrentRuns& runs) {
    const pkg::InstallPlan& plan = *lane.plan;
    const core::CancellationToken& token = context.runtime().token();
    if (token.is_cancelled()) {
        board.end(index, UpgradeLane::State::not_run, "not started: interrupted");
        lane.error = "not started";
        not_run_event(board, index, plan, "not started: interrupted", true);
        return;
    }
    board.start(index);
    const std::string operation(pkg::to_string(plan.operation));
    if (board.json()) {
        board.emit(index, {{"event", "start"}, {"operation", operation}});
    }
    std::optional<pkg::LockGroupGuard> lock;
    if (!plan.lock_group.empty()) {
        pkg::LockDir locks = pkg::lock_dir();
        if (!locks.path.empty()) {
            auto guard = pkg::LockGroupGuard::acquire(
                locks.path, pkg::lock_group_name(plan.lock_group, context.root().dir()), token, [&] {
                    board.change(index, [&](UpgradeLane& l) {
                        l.detail =
                            "waiting for another zsyncctl run that holds the " + plan.lock_group + " lock";
                    });
                });
            if (!guard) {
                board.end(index, UpgradeLane::State::not_run,
                          util::sanitize_for_display(guard.error().message));
                lane.error = guard.error().message;
                not_run_event(board, index, plan, util::sanitize_for_display(guard.error().message),
                              token.is_cancelled());
                return;
            }
            lock = std::move(*guard);
        }
    }
    if (lane.agreed && plan.simulation) {
        auto now = pkg::run_simulation(plan, context.loop(), token, std::chrono::minutes(2));
        if (!now || !now->resolved || !pkg::same_transaction(lane.agreed->transaction, now->transaction)) {
            std::string why = !now             ? now.error().message
                              : !now->resolved ? "it no longer resolves the upgrade"
                                               : "its transaction changed since you agreed";
            board.end(index, UpgradeLane::State::not_run, "not run: " + util::sanitize_for_display(why));
            lane.error = "not run: " + why;
            not_run_event(board, index, plan, "not run: " + util::sanitize_for_display(why), false);
            return;
        }
    }
    auto log = std::make_unique<pkg::RunLog>(pkg::RunLog::open("upgrade", plan.manager));
    lane.log_path = log->path();
    pkg::ExecuteCallbacks callbacks;
    // Each command named in the log as it starts (pacman's refresh runs two).
    callbacks.on_command = [&](std::size_t i) {
        log->line("# " + display_argv(plan.commands.at(i).argv));
    };
    callbacks.on_progress = [&](const pkg::ProgressUpdate& u) {
        if (board.json()) {
            board.emit(index, progress_event(u, operation));
        }
        board.change(index, [&](UpgradeLane& l) {
            if (u.percent) {
                l.percent = u.percent;
            }
            std::string what = !u.package.empty() ? u.package : u.message;
            if (!what.empty()) {
                l.detail = util::sanitize_for_display(what);
            }
        });
    };
    callbacks.on_line = [&](pkg::OutputStream stream, std::string_view line) {
        const char* tag = stream == pkg::OutputStream::out   ? "out"
                          : stream == pkg::OutputStream::err ? "err"
                                                             : "status";
        log->line("[" + std::string(tag) + "] " + std::string(line));
    };
    callbacks.on_notice = [&](const pkg::RunNotice& notice) {
        std::string text = plan.manager + ": " + describe_notice(notice, plan);
        if (notice.kind == pkg::RunNotice::Kind::lock_wait) {
            board.change(index, [&](UpgradeLane& l) {
                l.detail = "waiting for " + util::sanitize_for_display(notice.name) + " (PID " +
                           std::to_string(notice.pid) + ")";
            });
        }
        if (board.json()) {
            board.emit(index, {{"event", "notice"}, {"message", describe_notice(notice, plan)}});
        } else {
            board.note(text);
        }
        log->line("# " + text);
    };
    pkg::ExecuteOptions exec;
    exec.root = &context.root();
    exec.elevation = elevation;
    exec.loop = &context.loop();
    exec.interrupt = token;
    exec.signals = nullptr; // run_multi_upgrade owns the second interrupt
    exec.prompts = pkg::Prompts::answer_defaults;
    exec.concurrent = &runs;
    auto outcome = pkg::execute_plan(plan, exec, callbacks);
    if (!outcome) {
        std::string message = util::sanitize_for_display(outcome.error().message);
        board.end(index,
                  outcome.error().kind == util::ErrorKind::interrupted ? UpgradeLane::State::not_run
                                                                       : UpgradeLane::State::failed,
                  message);
        lane.error = outcome.error().message;
        if (board.json()) {
            board.emit(index, {{"event", "error"}, {"message", message}});
        }
        not_run_event(board, index, plan, message, outcome.error().kind == util::ErrorKind::interrupted);
        return;
    }
    lane.outcome = std::move(*outcome);
    const pkg::InstallOutcome& o = *lane.outcome;
    if (board.json()) {
        if (!o.success) {
            board.emit(index, failure_event(plan, o));
        }
        board.emit(index, done_event(plan, o, lane.log_path));
    }
    if (o.success) {
        board.end(index, UpgradeLane::State::done, upgraded_text(plan, lane));
    } else if (o.interrupted) {
        board.end(index, UpgradeLane::State::interrupted, "interrupted: " + describe_interruption(plan, o));
    } else {
        board.end(index, UpgradeLane::State::failed,
                  o.term_signal != 0 ? "killed by signal " + std::to_string(o.term_signal)
                                     : "failed with exit code " + std::to_string(o.exit_code));
    }
}

} // namespace

ExitCode run_multi_upgrade(Context& context, std::vector<UpgradePart> parts, const RunConsent& consent) {
    if (consent.dry_run) {
        ExitCode worst = ExitCode::success;
        for (auto& part : parts) {
            ManagerChoice choice{part.plan.manager, "option", {}};
            ExitCode code = install_dry_run(context, part.plan, choice, part.options, false, true);
            if (code != ExitCode::success) {
                worst = code;
            }
        }
        return worst;
    }
    // Elevation is decided for every plan before anything is asked: one that cannot run stops them all.
    auto sudo = sudo_path();
    std::vector<pkg::Elevation> elevations;
    bool any_sudo = false;
    for (const auto& part : parts) {
        auto elevation = pkg::decide_elevation(part.plan, ::geteuid(), sudo.value_or(""));
        if (!elevation) {
            raise(context.rerun_as_root(std::move(elevation).error()));
        }
        elevations.push_back(*elevation);
        any_sudo = any_sudo || *elevation == pkg::Elevation::sudo;
    }

    // Every manager's own simulation, shown together; a manager with nothing to do drops out.
    std::vector<Lane> lanes;
    std::vector<pkg::Elevation> lane_elevation;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        Lane lane;
        lane.plan = &parts[i].plan;
        lane.installation = parts[i].installation;
        lane.agreed = simulate(context, parts[i].plan);
        if (lane.agreed && !lane.agreed->resolved) {
            raise(unresolved_error(parts[i].plan, *lane.agreed));
        }
        if (lane.agreed && lane.agreed->transaction.empty()) {
            if (context.options.json) {
                print_unchanged_done_event(context.out, parts[i].plan, "up_to_date", lane.agreed->messages);
            } else {
                context.out.info("nothing to upgrade with " + parts[i].plan.manager);
            }
            continue;
        }
        lanes.push_back(std::move(lane));
        lane_elevation.push_back(elevations[i]);
    }
    if (lanes.empty()) {
        return ExitCode::success;
    }
    std::vector<std::string> managers;
    for (const auto& lane : lanes) {
        managers.push_back(lane.plan->manager);
    }
    std::string who = util::join(managers, ", ");
    if (!consent.yes && !consent.ask_user) {
        raise_usage("refusing to upgrade with " + who +
                        " without confirmation: there is no terminal to ask on",
                    "pass --yes to agree to what they will do; see it first with --dry-run");
    }
    if (consent.ask_user) {
        std::size_t total = 0;
        for (const auto& lane : lanes) {
            if (lane.agreed) {
                std::fprintf(stderr, "%s will:\n", lane.plan->manager.c_str());
                for (const auto& line : transaction_lines(lane.agreed->transaction)) {
                    std::fprintf(stderr, "%s\n", line.c_str());
                }
                total += lane.agreed->transaction.upgrade.size() + lane.agreed->transaction.install.size();
            } else {
                std::fprintf(stderr, "%s cannot show what it will do beforehand.\n",
                             lane.plan->manager.c_str());
            }
        }
        std::string question = "Upgrade " +
                               (total > 0 ? std::to_string(total) + " packages" : std::string("them")) +
                               " with " + who + "?";
        const core::CancellationToken& token = context.runtime().token();
        if (!ask_yes_no(question, DefaultAnswer::yes, token)) {
            if (token.is_cancelled()) {
                raise(util::make_error(util::ErrorKind::interrupted, "interrupted; nothing was run"));
            }
            context.out.info("nothing done");
            return ExitCode::failure;
        }
    }
    std::optional<core::TimerService::TimerId> sudo_keepalive;
    if (any_sudo) {
        // One password for the whole run, asked now on the terminal, before any manager runs. The
        // managers then run with `sudo -n` (never a prompt several of them would fight over), and the
        // credential is refreshed without a prompt while the run lasts, so a long run does not outlive it.
        auto validated = pkg::run_interactive({*sudo, "-v"});
        if (context.runtime().token().is_cancelled()) {
            raise(util::make_error(util::ErrorKind::interrupted, "interrupted; nothing was run"));
        }
        if (!validated || *validated != 0) {
            raise(util::make_error(util::ErrorKind::permission_denied,
                                   who + " need root and sudo did not grant it", "run zsyncctl as root"));
        }
        std::string sudo_exe = *sudo;
        core::EventLoop* loop = &context.loop();
        if (auto id = context.runtime().timers().schedule_every(std::chrono::seconds(60), [loop, sudo_exe] {
                core::ProcessSpec spec;
                spec.argv = {sudo_exe, "-n", "-v"};
                (void)core::spawn_process(*loop, std::move(spec)); // its end needs nobody's attention
            })) {
            sudo_keepalive = *id;
        }
    }

    // The lanes: one sequence per lock family, the families at once.
    auto families = pkg::schedule_by_lock_group(managers);
    std::vector<UpgradeLane> board_lanes(lanes.size());
    std::vector<nlohmann::json> tags(lanes.size());
    for (std::size_t i = 0; i < lanes.size(); ++i) {
        board_lanes[i].manager =
            managers[i] + (lanes[i].installation.empty() ? "" : " (" + lanes[i].installation + ")");
        tags[i] = {{"manager", managers[i]}};
        if (!lanes[i].installation.empty()) {
            tags[i]["installation"] = lanes[i].installation;
        }
    }
    for (const auto& family : families) {
        for (std::size_t k = 1; k < family.size(); ++k) {
            board_lanes[family[k]].after = managers[family[k - 1]];
        }
    }
    bool json = context.options.json;
    bool draw = context.out.stderr_is_tty() && !context.options.quiet && !json;
    Board board(context.out, draw, json, board_lanes, tags);
    for (std::size_t i = 0; json && i < lanes.size(); ++i) {
        // What each manager agreed to do, before any runs (null: it cannot show it beforehand).
        board.emit(i, {{"event", "plan"},
                       {"operation", std::string(pkg::to_string(lanes[i].plan->operation))},
                       {"names", lanes[i].plan->names},
                       {"transaction", lanes[i].agreed ? transaction_json(lanes[i].agreed->transaction)
                                                       : nlohmann::json(nullptr)}});
    }
    std::optional<core::TimerService::TimerId> ticker;
    if (draw) {
        board.redraw();
        if (auto id = context.runtime().timers().schedule_every(std::chrono::milliseconds(100),
                                                                [&board] { board.redraw(); })) {
            ticker = *id;
        }
    } else if (!json) {
        for (std::size_t i = 0; i < lanes.size(); ++i) {
            board.change(i, [](UpgradeLane&) {});
        }
    }
    // A second interrupt never kills a manager mid-transaction here: every manager already got the
    // first one and is finishing; the user hears who is still running.
    core::SignalMonitor* signals = context.signals();
    if (signals != nullptr) {
        signals->set_escalation([&board](int) {
            board.note("still waiting for the running package managers to stop (each got the interrupt; a "
                       "transaction in progress finishes first)");
        });
    }
    pkg::ConcurrentRuns runs;
    core::concurrent_for(context.runtime(), families.size(), [&](std::size_t f) {
        for (std::size_t i : families[f]) {
            run_lane(context, lanes[i], i, board, lane_elevation[i], runs);
        }
    });
    if (ticker) {
        context.runtime().timers().cancel(*ticker);
    }
    if (sudo_keepalive) {
        context.runtime().timers().cancel(*sudo_keepalive);
    }
    if (signals != nullptr) {
        signals->set_escalation({});
    }
    board.redraw();

    std::vector<std::string> failed;
    std::vector<std::string> interrupted;
    for (const auto& lane : lanes) {
        const pkg::InstallPlan& plan = *lane.plan;
        if (lane.outcome) {
            for (const std::string& notice : lane.outcome->notices) {
                context.out.warning(util::sanitize_for_display(notice));
            }
            if (lane.outcome->final_state.checked && !lane.outcome->final_state.audit_clean) {
                context.out.warning(plan.manager + "'s package database needs repair: run `" +
                                    lane.outcome->final_state.repair_command + "`");
            }
        }
        bool was_interrupted = (lane.outcome && lane.outcome->interrupted) ||
                               (!lane.outcome && context.runtime().token().is_cancelled());
        bool ok = lane.outcome && lane.outcome->success;
        if (was_interrupted) {
            interrupted.push_back(plan.manager);
        } else if (!ok) {
            failed.push_back(plan.manager);
            if (lane.outcome) {
                print_failure_details(context.out, false, context.options.quiet, plan, *lane.outcome);
            }
        }
        if (!ok && !lane.log_path.empty()) {
            context.out.info(plan.manager + "'s output is in " + lane.log_path);
        }
    }
    if (!interrupted.empty() || context.runtime().token().is_cancelled()) {
        raise(util::make_error(util::ErrorKind::interrupted,
                               "interrupted; every running manager was waited for (" +
                                   util::join(interrupted.empty() ? managers : interrupted, ", ") + ")"));
    }
    if (!failed.empty()) {
        raise(util::make_error(util::ErrorKind::command_failed,
                               "the upgrade failed with " + util::join(failed, ", ")));
    }
    context.out.info("upgraded with " + who);
    return ExitCode::success;
}

} // namespace zsyncctl::cli
