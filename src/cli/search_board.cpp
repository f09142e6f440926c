#include "cli/search_board.hpp"

#include <algorithm>
#include <cstdio>

#include "cli/terminal.hpp"

namespace zsyncctl::cli {

namespace {

// A status for people: "no repositories" rather than the JSON "no_repositories".
std::string status_words(pkg::ManagerStatus status) {
    std::string text(pkg::to_string(status));
    std::replace(text.begin(), text.end(), '_', ' ');
    return text;
}

} // namespace

std::string board_seconds(std::int64_t ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
    return buf;
}

std::string search_board_line(const Output& out, const pkg::ManagerReport& r, bool finished, std::size_t tick,
                              std::int64_t elapsed_ms) {
    static constexpr const char* k_spinner[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
    std::string mark;
    std::string detail;
    if (!finished) {
        mark = k_spinner[tick % 10];
        detail = "searching  " + board_seconds(elapsed_ms);
    } else if (r.status == pkg::ManagerStatus::ok) {
        mark = out.paint("✓", Color::green);
        detail = r.total > r.count()
                     ? std::to_string(r.count()) + " of " + std::to_string(r.total) + " results shown"
                     : std::to_string(r.count()) + (r.count() == 1 ? " result" : " results");
        detail += "  " + board_seconds(r.elapsed_ms);
    } else if (r.status == pkg::ManagerStatus::skipped || r.lost_race) {
        // Expected: not installed, nothing to search, or --race was already won by another manager.
        mark = out.paint("-", Color::dim);
        detail = r.lost_race ? std::string("not needed") : status_words(r.status);
    } else if (r.status == pkg::ManagerStatus::offline || r.status == pkg::ManagerStatus::no_repositories) {
        mark = out.paint("!", Color::yellow);
        detail = status_words(r.status) + "  " + board_seconds(r.elapsed_ms);
    } else {
        mark = out.paint("✗", Color::red);
        detail = status_words(r.status) + "  " + board_seconds(r.elapsed_ms);
    }
    return mark + " " + pad(r.manager, 12) + detail;
}

void SearchBoard::draw(const std::vector<pkg::ManagerReport>& reports, const std::vector<bool>& finished,
                       std::int64_t elapsed_ms) {
    std::string frame;
    if (m_drawn > 0) {
        frame += "\x1b[" + std::to_string(m_drawn) + "A\r";
    }
    for (std::size_t i = 0; i < reports.size(); ++i) {
        bool done = i < finished.size() && finished[i];
        frame += "\x1b[2K" + search_board_line(m_out, reports[i], done, m_tick, elapsed_ms) + "\n";
    }
    m_drawn = reports.size();
    ++m_tick;
    m_out.flush();
    std::fputs(frame.c_str(), stderr);
    std::fflush(stderr);
}

} // namespace zsyncctl::cli
