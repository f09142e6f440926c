#include "cli/progress_renderer.hpp"
#include "cli/json.hpp"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include "cli/terminal.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

std::size_t terminal_width() {
    return terminal_columns(STDERR_FILENO, 20, 80);
}

void write_err(std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
}

std::string kind_event(pkg::UpdateKind kind) {
    switch (kind) {
    case pkg::UpdateKind::error:
        return "error";
    case pkg::UpdateKind::prompt:
        return "prompt";
    case pkg::UpdateKind::progress:
        break;
    }
    return "progress";
}

// The phase's name: the install phase is named for the operation ("remove" while removing).
std::string phase_name(const pkg::ProgressUpdate& u, const std::string& operation) {
    return u.phase == pkg::Phase::install ? operation : std::string(pkg::to_string(u.phase));
}

// "install 30%: Running dpkg"; the bar, which shows the percentage itself, asks without it.
enum class WithPercent { yes, no };

std::string describe(const pkg::ProgressUpdate& u, const std::string& operation,
                     WithPercent with_percent = WithPercent::yes) {
    std::string text = phase_name(u, operation);
    if (u.percent && with_percent == WithPercent::yes) {
        text += " " + std::to_string(*u.percent) + "%";
    }
    std::string message = util::sanitize_for_display(u.message);
    if (!u.package.empty() && message.find(u.package) == std::string::npos) {
        text += " " + util::sanitize_for_display(u.package) + ":";
    } else {
        text += ":";
    }
    if (!message.empty()) {
        text += " " + message;
    }
    return text;
}

} // namespace

nlohmann::json progress_event(const pkg::ProgressUpdate& update, const std::string& operation) {
    return {
        {"event", kind_event(update.kind)},
        {"phase", phase_name(update, operation)},
        {"percent", update.percent ? nlohmann::json(*update.percent) : nlohmann::json(nullptr)},
        {"package", util::sanitize_for_display(update.package)},
        {"message", util::sanitize_for_display(update.message)},
    };
}

ProgressRenderer::ProgressRenderer(const Output& out, RenderMode mode) : m_out(out), m_mode(mode) {}

ProgressRenderer::~ProgressRenderer() {
    finish();
}

void ProgressRenderer::update(const pkg::ProgressUpdate& update) {
    m_last = update;
    switch (m_mode) {
    case RenderMode::json: {
        std::string text = json_text(progress_event(update, m_operation), JsonLayout::line);
        // A manager repeating itself (apt's "Retrieving file 1 of 1, 0%" six times) is one event.
        if (text == m_last_line_printed) {
            return;
        }
        m_out.line(text);
        std::fflush(stdout);
        m_last_line_printed = std::move(text);
        return;
    }
    case RenderMode::lines: {
        std::string text = describe(update, m_operation);
        if (update.kind == pkg::UpdateKind::error) {
            text = "error: " + text;
        } else if (update.kind == pkg::UpdateKind::prompt) {
            text = "question: " + text;
        }
        if (text != m_last_line_printed) {
            m_out.info(text);
            m_last_line_printed = std::move(text);
            m_printed_messages.push_back(util::sanitize_for_display(update.message));
            if (m_printed_messages.size() > 64) {
                m_printed_messages.pop_front();
            }
        }
        return;
    }
    case RenderMode::bar:
        if (update.kind != pkg::UpdateKind::progress) {
            note((update.kind == pkg::UpdateKind::error ? "error: " : "question: ") +
                 describe(update, m_operation));
            return;
        }
        draw();
        return;
    }
}

void ProgressRenderer::tick() {
    if (m_mode != RenderMode::bar || m_paused) {
        return;
    }
    if (std::chrono::steady_clock::now() - m_last_draw < std::chrono::milliseconds(100)) {
        return;
    }
    draw();
}

bool ProgressRenderer::printed(std::string_view line) const {
    if (m_mode != RenderMode::lines) {
        return false;
    }
    std::string clean = util::sanitize_for_display(line);
    return !clean.empty() &&
           std::find(m_printed_messages.begin(), m_printed_messages.end(), clean) != m_printed_messages.end();
}

void ProgressRenderer::draw() {
    if (m_paused) {
        return;
    }
    auto now = std::chrono::steady_clock::now();
    // Redraw at most ~30 times a second; a flood of output lines must not turn into a flood of escapes.
    if (m_bar_visible && now - m_last_draw < std::chrono::milliseconds(33) && m_last.percent != 100) {
        return;
    }
    m_last_draw = now;
    std::size_t width = terminal_width() - 1;
    std::string line;
    if (m_last.percent) {
        constexpr int k_cells = 24;
        int filled = *m_last.percent * k_cells / 100;
        line = "[" + std::string(static_cast<std::size_t>(filled), '#') +
               std::string(static_cast<std::size_t>(k_cells - filled), '-') + "] ";
        std::string pct = std::to_string(*m_last.percent) + "%";
        line += std::string(pct.size() < 4 ? 4 - pct.size() : 0, ' ') + pct + " ";
    } else {
        static constexpr char k_spinner[] = {'|', '/', '-', '\\'};
        line = std::string(1, k_spinner[m_spin++ % 4]) + " ";
    }
    std::string text = describe(m_last, m_operation, m_last.percent ? WithPercent::no : WithPercent::yes);
    if (m_last.message.empty() && m_last.package.empty() && !m_last.percent) {
        text = phase_name(m_last, m_operation) + ": waiting for the package manager";
    }
    line = cut(line + text, width);
    if (!m_cursor_hidden) {
        set_cursor_visible(false);
        m_cursor_hidden = true;
    }
    write_err("\r" + line + "\033[K");
    m_bar_visible = true;
}

void ProgressRenderer::clear_bar() {
    if (m_bar_visible) {
        write_err("\r\033[K");
        m_bar_visible = false;
    }
}

void ProgressRenderer::note(std::string_view text) {
    switch (m_mode) {
    case RenderMode::json:
        return;
    case RenderMode::lines:
        m_out.info(text);
        return;
    case RenderMode::bar:
        clear_bar();
        m_out.info(text);
        if (m_last.percent || !m_last.message.empty()) {
            draw();
        }
        return;
    }
}

void ProgressRenderer::pause() {
    if (m_mode != RenderMode::bar || m_paused) {
        return;
    }
    finish();
    m_paused = true;
}

void ProgressRenderer::resume() {
    if (!m_paused) {
        return;
    }
    m_paused = false;
    if (m_last.percent || !m_last.message.empty()) {
        draw();
    }
}

void ProgressRenderer::finish() {
    if (m_mode != RenderMode::bar) {
        return;
    }
    clear_bar();
    if (m_cursor_hidden) {
        set_cursor_visible(true);
        m_cursor_hidden = false;
    }
}

} // namespace zsyncctl::cli
