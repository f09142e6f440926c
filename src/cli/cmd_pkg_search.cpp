#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <unistd.h>

#include "cli/completion.hpp"
#include "cli/context.hpp"
#include "cli/json.hpp"
#include "cli/terminal.hpp"
#include "pkg/search/search.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

struct SearchOptions {
    std::string query;
    std::vector<std::string> managers;
    bool exact = false;
    std::size_t limit = 0;
    double timeout_s = 30.0;
    bool race = false;
    bool json_lines = false;
};

nlohmann::json hit_json(const std::string& manager, const pkg::SearchHit& hit) {
    return {{"manager", manager},
            {"name", hit.name},
            {"version", hit.version},
            {"description", hit.description},
            {"installed", hit.installed},
            {"installed_version",
             hit.installed_version.empty() ? nlohmann::json(nullptr) : nlohmann::json(hit.installed_version)},
            {"candidate", hit.candidate.empty() ? nlohmann::json(nullptr) : nlohmann::json(hit.candidate)},
            {"upgradable", hit.upgradable()},
            {"match_reason",
             hit.match_reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(hit.match_reason)}};
}

std::size_t terminal_columns() {
    return cli::terminal_columns(STDOUT_FILENO, 21, 100);
}

std::string seconds(std::int64_t ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
    return buf;
}

// The live block on stderr: one line per manager, redrawn in place.
class LiveLines {
public:
    LiveLines(const Output& out, const pkg::SearchRun& run) : m_out(out), m_run(run) {}

    void draw() {
        static constexpr const char* k_spinner[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
        std::string frame;
        if (m_drawn > 0) {
            frame += "\x1b[" + std::to_string(m_drawn) + "A";
        }
        const auto& reports = m_run.reports();
        for (std::size_t i = 0; i < reports.size(); ++i) {
            const auto& r = reports[i];
            std::string mark;
            std::string detail;
            bool finished = i < m_finished.size() && m_finished[i];
            if (!finished) {
                mark = k_spinner[(m_tick / 1) % 10];
                detail = "searching  " + seconds(m_run.elapsed_ms());
            } else if (r.status == pkg::ManagerStatus::ok) {
                mark = m_out.paint("✓", Color::green);
                detail = std::to_string(r.hits.size()) + (r.hits.size() == 1 ? " result  " : " results  ") +
                         seconds(r.elapsed_ms);
            } else {
                mark = m_out.paint(r.status == pkg::ManagerStatus::skipped ? "-" : "✗",
                                   r.status == pkg::ManagerStatus::skipped ? Color::dim : Color::red);
                detail = std::string(pkg::to_string(r.status)) + "  " + seconds(r.elapsed_ms);
            }
            frame += "\x1b[2K" + mark + " " + pad(r.manager, 12) + detail + "\n";
        }
        m_drawn = reports.size();
        ++m_tick;
        std::fputs(frame.c_str(), stderr);
        std::fflush(stderr);
    }
    void mark_finished(std::size_t index) {
        if (m_finished.size() < m_run.reports().size()) {
            m_finished.resize(m_run.reports().size(), false);
        }
        m_finished[index] = true;
    }

private:
    const Output& m_out;
    const pkg::SearchRun& m_run;
    std::vector<bool> m_finished;
    std::size_t m_drawn = 0;
    std::size_t m_tick = 0;
};

void print_table(const Output& out, const std::vector<pkg::ManagerReport>& reports) {
    std::size_t columns = terminal_columns();
    for (const auto& r : reports) {
        if (r.status != pkg::ManagerStatus::ok || r.hits.empty()) {
            continue;
        }
        std::size_t name_w = 4;
        std::size_t ver_w = 7;
        for (const auto& h : r.hits) {
            name_w = std::min<std::size_t>(std::max(name_w, display_width(h.name)), 40);
            ver_w = std::min<std::size_t>(std::max(ver_w, display_width(h.version)), 24);
        }
        out.line(out.paint(r.manager, Color::bold) + " (" + std::to_string(r.hits.size()) + ")");
        for (const auto& h : r.hits) {
            std::string mark = h.installed ? out.paint("✓", Color::green) : " ";
            std::size_t used = 2 + name_w + 2 + ver_w + 2 + 2;
            std::size_t desc_w = columns > used + 10 ? columns - used : 10;
            out.line("  " + mark + " " + pad(cut(h.name, 40), name_w) + "  " +
                     pad(cut(h.version, 24), ver_w) + "  " + cut(h.description, desc_w));
        }
    }
}

std::string plain_line(const std::string& manager, const pkg::SearchHit& h) {
    return manager + " " + h.name + " " + (h.version.empty() ? "-" : h.version) +
           (h.installed ? " [installed]" : "") + (h.description.empty() ? "" : " - " + h.description);
}

ExitCode run_search(Context& context, const SearchOptions& options) {
    pkg::SearchRequest request;
    request.query.text = options.query;
    request.query.mode = options.exact ? pkg::MatchMode::exact : pkg::MatchMode::substring;
    request.query.limit = options.limit;
    for (const auto& m : options.managers) {
        for (std::string_view part : util::split(m, ',')) {
            if (!util::trim(part).empty()) {
                request.managers.emplace_back(util::trim(part));
            }
        }
    }
    if (!(options.timeout_s > 0) || options.timeout_s > 86400) {
        raise_usage("--timeout must be between 0 and 86400 seconds");
    }
    request.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(options.timeout_s * 1000));
    request.race = options.race;
    request.root = context.root();
    request.use_cache = !context.options.no_cache;
    if (auto valid = pkg::validate_search_request(request); !valid) {
        raise_usage(valid.error().message, valid.error().hint);
    }
    const Output& out = context.out;
    bool json = out.json() && !options.json_lines;
    bool live = !json && !options.json_lines && out.stderr_is_tty() && out.stdout_is_tty() && !out.quiet();

    auto started = pkg::SearchRun::start(std::move(request), context.runtime());
    if (!started) {
        raise(started.error());
    }
    pkg::SearchRun& run = **started;
    if (run.reports().empty()) {
        if (json) {
            out.line(json_text(nlohmann::json{{"query", options.query},
                                              {"results", nlohmann::json::array()},
                                              {"managers", nlohmann::json::array()}}));
        } else {
            out.warning("no package manager to search was found");
        }
        return ExitCode::failure;
    }
    LiveLines lines(out, run);
    if (live) {
        lines.draw();
    }
    bool interrupted = false;
    while (!run.all_returned()) {
        // The signal monitor (or a reader of stdout that left) cancels the root token.
        if (context.runtime().token().is_cancelled() && !interrupted) {
            interrupted = true;
            run.cancel();
        }
        auto index = run.next_finished(std::chrono::milliseconds(live ? 80 : 100));
        if (!index) {
            if (live) {
                lines.draw();
            }
            continue;
        }
        const auto& r = run.reports()[*index];
        if (live) {
            lines.mark_finished(*index);
            lines.draw();
        } else if (options.json_lines) {
            for (const auto& h : r.hits) {
                out.line(json_text(hit_json(r.manager, h), JsonLayout::line));
            }
            std::fflush(stdout);
        } else if (!json) {
            for (const auto& h : r.hits) {
                out.line(plain_line(r.manager, h));
            }
            std::fflush(stdout);
        }
    }
    if (out.reader_gone()) {
        return ExitCode::reader_gone; // the reader left: the managers were stopped; say nothing more
    }
    const auto& reports = run.reports();
    std::size_t total = 0;
    for (const auto& r : reports) {
        total += r.hits.size();
    }
    if (json) {
        nlohmann::json doc{{"query", options.query},
                           {"results", nlohmann::json::array()},
                           {"managers", nlohmann::json::array()}};
        for (const auto& r : reports) {
            for (const auto& h : r.hits) {
                doc["results"].push_back(hit_json(r.manager, h));
            }
            nlohmann::json m{{"name", r.manager},
                             {"status", std::string(pkg::to_string(r.status))},
                             {"count", r.hits.size()},
                             {"elapsed_ms", r.elapsed_ms}};
            m["error"] = r.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.error);
            doc["managers"].push_back(std::move(m));
        }
        out.line(json_text(doc));
    } else {
        if (live) {
            print_table(out, reports);
        }
        for (const auto& r : reports) {
            if (r.status != pkg::ManagerStatus::ok) {
                out.info(r.manager + ": " + std::string(pkg::to_string(r.status)) +
                         (r.error.empty() ? "" : " (" + r.error + ")"));
            } else if (!r.error.empty()) {
                out.info(r.manager + ": " + r.error);
            }
        }
        if (total == 0 && !interrupted) {
            out.info("no package matches '" + util::sanitize_for_display(options.query) + "'");
        }
    }
    if (interrupted) {
        return ExitCode::interrupted;
    }
    return total > 0 ? ExitCode::success : ExitCode::failure;
}

} // namespace

void register_pkg_search(CLI::App& pkg, Context& context) {
    auto options = std::make_shared<SearchOptions>();
    auto* cmd = pkg.add_subcommand("search", "Search every detected package manager at once");
    cmd->add_option("query", options->query,
                    "Text to look for in package names, descriptions and provided names (a literal "
                    "substring, not a regex)")
        ->required();
    complete_with(cmd->add_option("-m,--manager", options->managers,
                                  "Search only this manager (repeatable, or comma-separated)")
                      ->type_name("M"),
                  "search-managers");
    cmd->add_flag("--exact", options->exact, "Only packages whose name is exactly the query");
    cmd->add_option("--limit", options->limit, "At most N results per manager (0: all)")
        ->type_name("N")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--timeout", options->timeout_s, "Give up on a manager after S seconds (default 30)")
        ->type_name("S");
    cmd->add_flag("--race", options->race,
                  "Stop at the first manager that finds something; cancel the others");
    cmd->add_flag("--json-lines", options->json_lines,
                  "Stream one JSON object per result as managers finish");
    cmd->footer("Exit status: 0 something found, 1 nothing found, 2 usage error, 130 interrupted.");
    cmd->final_callback([&context, options] {
        context.set_action([&context, options] { return run_search(context, *options); });
    });
}

} // namespace zsyncctl::cli
