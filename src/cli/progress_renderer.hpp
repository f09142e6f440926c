#pragma once

#include <chrono>
#include <deque>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cli/output.hpp"
#include "pkg/install/progress.hpp"

namespace zsyncctl::cli {

/// How progress is shown.
enum class RenderMode {
    bar,   // stderr is a terminal: one redrawn line with a bar (or a spinner when there is no percentage)
    lines, // plain lines on stderr, one per change
    json,  // one JSON object per line on stdout
};

/// The --json event of one progress update: {"event": "progress"|"error"|"prompt", "phase", "percent",
/// "package", "message"}, the install phase named for `operation` ("upgrade" while upgrading).
nlohmann::json progress_event(const pkg::ProgressUpdate& update, const std::string& operation);

/// Draws install/remove progress. finish() (also run by the destructor) erases the bar and shows the
/// cursor again, so an interrupted run leaves the terminal clean. One thread at a time (the main thread,
/// or the loop thread while the main thread waits for the run).
class ProgressRenderer {
public:
    ProgressRenderer(const Output& out, RenderMode mode);
    ~ProgressRenderer();
    ProgressRenderer(const ProgressRenderer&) = delete;
    ProgressRenderer& operator=(const ProgressRenderer&) = delete;

    /// Names the install phase for the operation ("remove" for a removal); "install" until set.
    void set_operation(std::string_view name) { m_operation = name; }
    /// Shows one update.
    void update(const pkg::ProgressUpdate& update);
    /// Called on a timer (about 10 times a second) while the manager runs: in bar mode redraws the line
    /// when nothing drew it for 100 ms, so the spinner turns while the manager is silent (apt reading its
    /// lists, a whole npm run). Does nothing in the other modes or while paused.
    void tick();
    /// True when `line` of the manager's output was already printed as a progress line (lines mode): a
    /// failure report leaves it out of the "last output" block instead of printing it twice.
    bool printed(std::string_view line) const;
    /// Prints a message line (above the bar on a terminal; on stderr otherwise; nothing in JSON mode).
    void note(std::string_view text);
    /// Erases the bar and shows the cursor, and draws nothing until resume() (the manager is talking to the
    /// user on the terminal); updates meanwhile are remembered, notes still printed.
    void pause();
    /// Draws the bar again after pause().
    void resume();
    /// Erases the bar and restores the cursor; idempotent.
    void finish();

private:
    void draw();
    void clear_bar();

    const Output& m_out;
    RenderMode m_mode;
    bool m_bar_visible = false;
    bool m_cursor_hidden = false;
    bool m_paused = false;
    unsigned m_spin = 0;
    std::string m_operation = "install";
    pkg::ProgressUpdate m_last;
    std::string m_last_line_printed;
    std::chrono::steady_clock::time_point m_last_draw{};
    std::deque<std::string> m_printed_messages; // lines mode: the last messages printed, newest last
};

} // namespace zsyncctl::cli
