#include "cli/cli11.hpp"
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unistd.h>

#include "cli/completion.hpp"
#include "cli/context.hpp"
#include "cli/json.hpp"
#include "cli/json_writer.hpp"
#include "cli/search_board.hpp"
#include "cli/search_installed.hpp"
#include "cli/search_records.hpp"
#include "cli/terminal.hpp"
#include "pkg/search/search.hpp"
#include "util/sanitize.hpp"
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

std::size_t terminal_columns() {
    return cli::terminal_columns(STDOUT_FILENO, 21, 100);
}

std::size_t terminal_rows() {
    auto size = terminal_size(STDERR_FILENO);
    return size ? size->rows : 24;
}

std::string seconds(std::int64_t ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
    return buf;
}

// A status for people: "no repositories" rather than the JSON "no_repositories".
std::string status_text(pkg::ManagerStatus status) {
    std::string text(pkg::to_string(status));
    std::replace(text.begin(), text.end(), '_', ' ');
    return text;
}

// "3" or "3 of 120 shown" when --limit kept the best of more.
std::string count_text(const pkg::ManagerReport& r) {
    return r.total > r.count() ? std::to_string(r.count()) + " of " + std::to_string(r.total) + " shown"
                               : std::to_string(r.count());
}

// Installed at a version other than the one shown (the candidate): both views name the installed one.
bool installed_at_other_version(bool installed, std::string_view installed_version, std::string_view shown) {
    return installed && !installed_version.empty() && installed_version != shown;
}

// One manager's table: a header and one line per result, each at most `columns` wide.
std::vector<std::string> section_lines(const Output& out, const pkg::ManagerReport& r, std::size_t columns) {
    std::vector<std::string> lines;
    if (r.status != pkg::ManagerStatus::ok || r.count() == 0) {
        return lines;
    }
    std::size_t name_w = 4;
    std::size_t ver_w = 7;
    pkg::for_each_hit(r, [&](const pkg::SearchHit& h) {
        name_w = std::min<std::size_t>(std::max(name_w, display_width(h.name)), 40);
        ver_w = std::min<std::size_t>(std::max(ver_w, display_width(h.version)), 24);
        return true;
    });
    // Every line fits in `columns` (a wrapped line would throw off the live board's count of the rows
    // below it): "  ✓ NAME  VERSION  DESCRIPTION" and one column spare. The description keeps at least 16
    // columns; versions give way first (down to 12), then names (down to 20), which tell results apart.
    constexpr std::size_t k_fixed = 2 + 2 + 2 + 2 + 1;
    constexpr std::size_t k_min_desc = 16;
    while (name_w + ver_w + k_fixed + k_min_desc > columns && (name_w > 20 || ver_w > 12)) {
        if (ver_w > 12) {
            --ver_w;
        } else {
            --name_w;
        }
    }
    const std::size_t desc_w = columns > name_w + ver_w + k_fixed ? columns - (name_w + ver_w + k_fixed) : 0;
    lines.push_back(out.paint(r.manager, Color::bold) + " (" + count_text(r) + ")");
    pkg::for_each_hit(r, [&](const pkg::SearchHit& h) {
        // Every field is terminal-safe already (the search sanitizes at its boundary), so cutting by
        // characters never splits an escape sequence; colour is added after the cut.
        const bool other = installed_at_other_version(h.installed, h.installed_version, h.version);
        std::string mark = h.installed ? out.paint("✓", other ? Color::yellow : Color::green) : " ";
        std::string kind = h.kind.empty() ? "" : "(" + h.kind + ") ";
        if (other) {
            kind += "(installed " + h.installed_version + ") "; // the version column shows another one
        }
        std::string line = "  " + mark + " " + pad(cut(h.name, name_w), name_w) + "  " +
                           pad(cut(h.version, ver_w), ver_w) + "  " + cut(kind + h.description, desc_w);
        while (!line.empty() && line.back() == ' ') {
            line.pop_back(); // no trailing blanks when there is no description
        }
        lines.push_back(std::move(line));
        return true;
    });
    return lines;
}

// The live view on a terminal: the board (one line per manager, redrawn in place on stderr) with each
// manager's results printed below it (stdout) as soon as that manager finishes. While board and results
// fit on the screen the board is redrawn above them; once they do not (the board scrolled away), a
// manager that finishes later gets its status line printed above its results instead.
class LiveView {
public:
    // `stop`: once cancelled (Ctrl-C, a closed terminal), no more result lines are printed.
    LiveView(const Output& out, const pkg::SearchRun& run, core::CancellationToken stop)
        : m_out(out), m_run(run), m_stop(std::move(stop)) {}

    void draw() {
        if (m_frozen) {
            return;
        }
        std::string frame;
        if (m_drawn > 0) {
            frame += "\x1b[" + std::to_string(m_drawn + m_below) + "A\r";
        }
        const auto& reports = m_run.reports();
        const std::size_t columns = cli::terminal_columns(STDERR_FILENO, 1, 100);
        std::size_t rows = 0;
        for (std::size_t i = 0; i < reports.size(); ++i) {
            std::string line = board_line(i);
            rows += terminal_rows_of(line, columns);
            frame += "\x1b[2K" + line + "\n";
        }
        if (m_below > 0) {
            frame += "\x1b[" + std::to_string(m_below) + "B";
        }
        m_drawn = rows;
        ++m_tick;
        m_out.flush();
        std::fputs(frame.c_str(), stderr);
        std::fflush(stderr);
    }

    // Manager `index` finished: its board line changes and its results are printed below the board.
    void finished(std::size_t index) {
        if (m_finished.size() < m_run.reports().size()) {
            m_finished.resize(m_run.reports().size(), false);
        }
        m_finished[index] = true;
        auto lines = section_lines(m_out, m_run.reports()[index], terminal_columns());
        if (!m_frozen && m_drawn + m_below + lines.size() + 1 >= terminal_rows()) {
            draw(); // the last board that fits; later ones would be drawn over scrolled-away lines
            m_frozen = true;
        }
        if (m_frozen) {
            std::fputs((board_line(index) + "\n").c_str(), stderr);
            std::fflush(stderr);
        }
        const std::size_t columns = terminal_columns();
        std::size_t printed = 0;
        for (const auto& line : lines) {
            if (m_stop.is_cancelled()) {
                break; // interrupted: the user asked for no more (apt's "lib" is 31k lines)
            }
            m_out.line(line);
            printed += terminal_rows_of(line, columns); // rows, not lines: the board moves up by rows
        }
        m_out.flush();
        m_below += printed;
        draw();
    }

private:
    std::string board_line(std::size_t i) const {
        bool finished = i < m_finished.size() && m_finished[i];
        return search_board_line(m_out, m_run.reports()[i], finished, m_tick, m_run.elapsed_ms());
    }

    const Output& m_out;
    const pkg::SearchRun& m_run;
    core::CancellationToken m_stop;
    std::vector<bool> m_finished;
    std::size_t m_drawn = 0;
    std::size_t m_below = 0; // lines printed below the board
    std::size_t m_tick = 0;
    bool m_frozen = false;
};

// One hit as a plain line ("apt zstd 1.5.4 [installed] - fast lossless ..."; "[installed 1.5.3]" when the
// installed version is not the one shown, as apt's "[upgradable from: 1.5.3]"), appended to `out` without
// its newline. With colour on (--color always into a pipe, as `grep --color=always | less -R`), the name is
// bold and the installed mark green, as on the terminal's table; every field is terminal-safe already.
void append_plain_line(std::string& out, const Output& o, const std::string& manager, const pkg::HitView& h) {
    using namespace std::string_view_literals; // the literals' sizes known: no strlen per line
    out += manager;
    out += ' ';
    o.paint_into(out, h.name, Color::bold);
    out += ' ';
    out += h.version.empty() ? "-"sv : h.version;
    if (!h.kind.empty()) {
        out += " ("sv;
        out += h.kind;
        out += ')';
    }
    if (installed_at_other_version(h.installed, h.installed_version, h.version)) {
        out += ' ';
        std::string mark = "[installed ";
        mark.append(h.installed_version).push_back(']');
        o.paint_into(out, mark, Color::yellow);
    } else if (h.installed) {
        out += ' ';
        o.paint_into(out, "[installed]"sv, Color::green);
    }
    if (!h.description.empty()) {
        out += " - "sv;
        out += h.description;
    }
}

// A manager's hits, one line each (plain, or a JSON Lines record), written in blocks of about 64 KiB: one
// write per block on a pipe, not one per hit (31k hits for apt's "lib" were 31k writes). Once `stop` is
// cancelled (Ctrl-C, SIGTERM, a closed terminal) no further block is written: an interrupted search does
// not go on printing tens of thousands of lines to a terminal or a slow reader. A plain line of hits read
// one at a time is made from the views the source gives (HitSource::view), not from a SearchHit filled
// with copies of its text (a broad search's 31k hits).
void print_hits(const Output& out, const pkg::ManagerReport& r, bool json_lines,
                const core::CancellationToken& stop) {
    std::string block;
    block.reserve((64u << 10) + 4096);
    const std::size_t count = r.count();
    pkg::SearchHit scratch;
    pkg::HitView view;
    for (std::size_t i = 0; i < count && !stop.is_cancelled(); ++i) {
        if (json_lines) {
            block += search_result_line(r.manager, r.hit(i, scratch));
        } else if (r.lazy && r.lazy->view(i, view)) {
            append_plain_line(block, out, r.manager, view);
        } else {
            append_plain_line(block, out, r.manager, pkg::HitView::of_hit(r.hit(i, scratch)));
        }
        if (block.size() >= (64u << 10) || i + 1 == count) {
            out.line(block);
            block.clear();
        } else {
            block.push_back('\n');
        }
    }
}

// The --json document, printed a piece at a time with the bytes json_text would give for the whole
// document ({"managers", "query", "results"}, keys in order): one result at a time, each written straight
// into the output block by the fast writer, never the whole document (nor a JSON tree per result) in
// memory (31k results for "lib" made a 52 MiB tree).
void print_json_document(const Output& out, const std::string& query,
                         const std::vector<pkg::ManagerReport>& reports) {
    // Gathered into blocks of about 64 KiB: Output::line flushes per call on a pipe.
    std::string block;
    block.reserve((64u << 10) + 4096);
    auto end_line = [&] {
        if (block.size() >= (64u << 10)) {
            out.line(block);
            block.clear();
        } else {
            block.push_back('\n');
        }
    };
    block += "{";
    end_line();
    block += reports.empty() ? "  \"managers\": []," : "  \"managers\": [";
    end_line();
    for (std::size_t i = 0; i < reports.size(); ++i) {
        const auto& r = reports[i];
        nlohmann::json m = search_status_json(r);
        m.erase("type");
        m.erase("manager");
        m["name"] = r.manager;
        block += "    ";
        append_json_text(block, m, JsonLayout::pretty, 4);
        if (i + 1 < reports.size()) {
            block += ',';
        }
        end_line();
    }
    if (!reports.empty()) {
        block += "  ],";
        end_line();
    }
    block += "  \"query\": ";
    append_json_string(block, query);
    block += ',';
    end_line();
    std::size_t left = 0;
    for (const auto& r : reports) {
        left += r.count();
    }
    bool any = left > 0;
    block += any ? "  \"results\": [" : "  \"results\": []";
    end_line();
    for (const auto& r : reports) {
        pkg::for_each_hit(r, [&](const pkg::SearchHit& h) {
            --left;
            block += "    ";
            append_search_hit_json(block, r.manager, h, JsonLayout::pretty, 4);
            if (left > 0) {
                block += ',';
            }
            end_line();
            return true;
        });
    }
    if (any) {
        block += "  ]";
        end_line();
    }
    block += "}";
    out.line(block);
}

// The stderr lines after the results: failures one line each, the managers --race did not need in one
// line, --limit notes when the results were not on a table, and with -v what ran and how long it took.
void print_footer(const Output& out, const std::vector<pkg::ManagerReport>& reports, bool live) {
    std::vector<std::string> not_needed;
    std::string winner;
    for (const auto& r : reports) {
        if (out.verbosity() > 0) {
            out.info(r.manager + ": " + (r.command.empty() ? std::string("native reader") : r.command) +
                     "  [" + std::string(pkg::to_string(r.status)) + ", " + std::to_string(r.total) +
                     " results, " + seconds(r.elapsed_ms) + "]");
        }
        if (r.lost_race) {
            not_needed.push_back(r.manager);
        } else if (r.status != pkg::ManagerStatus::ok) {
            const std::string status = status_text(r.status);
            out.info(r.manager + ": " + status +
                     (r.error.empty() || r.error == status ? "" : " (" + r.error + ")"));
        } else {
            if (!r.error.empty()) {
                out.info(r.manager + ": " + r.error);
            }
            if (!live && r.total > r.count()) {
                out.info(r.manager + ": " + count_text(r) + " (--limit)");
            }
            winner = r.manager;
        }
    }
    if (!not_needed.empty()) {
        out.info("not needed, " + (winner.empty() ? std::string("another manager") : winner) +
                 " answered first: " + util::join(not_needed, ", "));
    }
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
    auto timeout = search_timeout(options.timeout_s);
    if (!timeout) {
        raise_usage(timeout.error().message);
    }
    request.timeout = *timeout;
    request.race = options.race;
    request.root = context.root();
    request.use_cache = !context.options.no_cache;
    request.installed_count = installed_counter(request.root);
    if (auto valid = pkg::validate_search_request(request); !valid) {
        raise_usage(valid.error().message, valid.error().hint);
    }
    const Output& out = context.out;
    bool json = out.json() && !options.json_lines;
    bool live = !json && !options.json_lines && out.stderr_is_tty() && out.stdout_is_tty() && !out.quiet();
    // Printed as they are read: a native index's hits are never all in memory at once (the live view keeps
    // its tables, which are laid out from every hit, as vectors).
    request.query.lazy_hits = !live;

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
    const core::CancellationToken stop = context.runtime().token();
    LiveView view(out, run, stop);
    if (live) {
        view.draw();
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
                view.draw();
            }
            continue;
        }
        const auto& r = run.reports()[*index];
        if (live) {
            view.finished(*index);
        } else if (options.json_lines) {
            print_hits(out, r, true, stop);
            out.line(json_text(search_status_json(r), JsonLayout::line));
            out.flush();
        } else if (!json) {
            print_hits(out, r, false, stop);
            out.flush();
        }
    }
    if (out.reader_gone()) {
        return ExitCode::reader_gone; // the reader left: the managers were stopped; say nothing more
    }
    const auto& reports = run.reports();
    std::size_t total = 0;
    std::size_t answered = 0;
    for (const auto& r : reports) {
        total += r.count();
        answered += r.status == pkg::ManagerStatus::ok ? 1 : 0;
    }
    if (json) {
        print_json_document(out, options.query, reports);
    } else {
        print_footer(out, reports, live);
        if (total == 0 && !interrupted) {
            if (answered == 0) {
                out.info("no manager answered: nothing was searched");
            } else {
                out.info("no package matches '" + util::sanitize_terminal(options.query) + "'");
            }
        }
    }
    const ExitCode code = search_exit_code(reports, interrupted);
    // The command ends the process next: its hits are left to the kernel, not freed one by one when the
    // run is destroyed ("lib": 31k hits, ~9 M instructions, 7 % of the search). Reachable from a static,
    // so leak checkers stay quiet.
    static auto* const kept_until_exit = new std::vector<std::vector<std::vector<pkg::SearchHit>>>();
    kept_until_exit->push_back(run.take_hits());
    static auto* const lazy_kept_until_exit = new std::vector<std::vector<std::shared_ptr<pkg::HitSource>>>();
    lazy_kept_until_exit->push_back(run.take_lazy_hits());
    return code;
}

} // namespace

void register_pkg_search(CLI::App& pkg, Context& context) {
    auto options = std::make_shared<SearchOptions>();
    auto* cmd = pkg.add_subcommand("search", "Search every detected package manager at once");
    cmd->add_option("query", options->query,
                    "Text to look for (a literal substring, not a regex, case ignored) in package names, "
                    "descriptions and, for apt and pacman, provided names and groups")
        ->required();
    complete_with(cmd->add_option("-m,--manager", options->managers,
                                  "Search only this manager (one per -m, repeatable, or comma-separated)")
                      ->type_name("M")
                      ->allow_extra_args(false),
                  "search-managers");
    cmd->add_flag("--exact", options->exact, "Only packages whose name is exactly the query");
    cmd->add_option("--limit", options->limit,
                    "At most N results per manager (0: all), the best ones: exact name, name prefix, name "
                    "substring, provides, description; says \"N of M shown\"")
        ->type_name("N")
        ->check(CLI::Validator(
            [](const std::string& text) {
                return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos
                           ? std::string()
                           : "must be a whole number, 0 or more (0: all), not '" + text + "'";
            },
            "", ""));
    cmd->add_option("--timeout", options->timeout_s, "Give up on a manager after S seconds (default 30)")
        ->type_name("S");
    cmd->add_flag("--race", options->race,
                  "Stop at the first manager that finds something; cancel the others");
    cmd->add_flag("--json-lines", options->json_lines,
                  "Stream one JSON object per result as managers finish, then one {\"type\":\"status\"} "
                  "object per manager");
    cmd->footer(
        "A manager that cannot reach its registry is reported 'offline', one with no repository "
        "configured 'no repositories' (dnf, yum and zypper: their repository configuration is read, and "
        "with none enabled and nothing installed they are not run); neither counts as '0 results'. "
        "Network-only managers (npm, "
        "cargo, gem, conda, nix) have their registry's host resolved first (at most 1.5 s, skipped "
        "when a proxy is set): if it cannot be resolved they are reported offline at once instead of "
        "after their own timeouts. A manager's output is read for a short while after it exits, even "
        "if a background process it started keeps it open. A query starting with '-' goes after "
        "--; only the native readers search it.\n"
        "Exit status: 0 something found, 1 nothing found, 2 usage error, 3 no manager could search\n"
        "(offline, no repositories, failed, skipped), 130/143/129/131 stopped by\n"
        "SIGINT/SIGTERM/SIGHUP/SIGQUIT, 141 the reader of stdout left.");
    cmd->final_callback([&context, options] {
        context.set_action([&context, options] { return run_search(context, *options); });
    });
}

} // namespace zsyncctl::cli
