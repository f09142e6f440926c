#include "cli/upgrade_board.hpp"

#include <cstdio>

#include "cli/search_board.hpp"
#include "cli/terminal.hpp"

namespace zsyncctl::cli {

namespace {

std::string lane_time(const UpgradeLane& lane, std::int64_t now_ms) {
    if (lane.started_ms < 0) {
        return {};
    }
    return board_seconds((lane.ended_ms >= 0 ? lane.ended_ms : now_ms) - lane.started_ms);
}

std::string running_detail(const UpgradeLane& lane) {
    std::string text = lane.percent ? std::to_string(*lane.percent) + "% " : std::string();
    return text + (lane.detail.empty() ? std::string("starting") : lane.detail);
}

} // namespace

std::string upgrade_lane_line(const Output& out, const UpgradeLane& lane, std::size_t tick,
                              std::int64_t now_ms) {
    static constexpr const char* k_spinner[] = {"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"};
    std::string mark;
    std::string detail;
    switch (lane.state) {
    case UpgradeLane::State::queued:
        mark = out.paint("·", Color::dim);
        detail = lane.after.empty() ? std::string("waiting") : "waits for " + lane.after + " (same lock)";
        break;
    case UpgradeLane::State::running:
        mark = k_spinner[tick % 10];
        detail = pad(running_detail(lane), 40) + "  " + lane_time(lane, now_ms);
        break;
    case UpgradeLane::State::done:
        mark = out.paint("✓", Color::green);
        detail = lane.detail + "  " + lane_time(lane, now_ms);
        break;
    case UpgradeLane::State::not_run:
        mark = out.paint("-", Color::dim);
        detail = lane.detail;
        break;
    case UpgradeLane::State::interrupted:
        mark = out.paint("!", Color::yellow);
        detail = lane.detail + "  " + lane_time(lane, now_ms);
        break;
    case UpgradeLane::State::failed:
        mark = out.paint("✗", Color::red);
        detail = lane.detail + "  " + lane_time(lane, now_ms);
        break;
    }
    return mark + " " + pad(lane.manager, 12) + detail;
}

std::string upgrade_lane_text(const UpgradeLane& lane) {
    std::string text = lane.manager + ": ";
    switch (lane.state) {
    case UpgradeLane::State::queued:
        return text +
               (lane.after.empty() ? std::string("waiting") : "waits for " + lane.after + " (same lock)");
    case UpgradeLane::State::running:
        return text + running_detail(lane);
    default:
        break;
    }
    text += lane.detail;
    if (lane.started_ms >= 0 && lane.ended_ms >= 0) {
        text += " (" + board_seconds(lane.ended_ms - lane.started_ms) + ")";
    }
    return text;
}

void UpgradeBoard::draw(const std::vector<UpgradeLane>& lanes, std::int64_t now_ms) {
    std::string frame;
    if (m_drawn > 0) {
        frame += "\x1b[" + std::to_string(m_drawn) + "A\r";
    }
    for (const auto& lane : lanes) {
        frame += "\x1b[2K" + upgrade_lane_line(m_out, lane, m_tick, now_ms) + "\n";
    }
    m_drawn = lanes.size();
    ++m_tick;
    std::fputs(frame.c_str(), stderr);
    std::fflush(stderr);
}

void UpgradeBoard::erase() {
    if (m_drawn > 0) {
        std::string up = "\x1b[" + std::to_string(m_drawn) + "A\r\x1b[J";
        std::fputs(up.c_str(), stderr);
        m_drawn = 0;
    }
}

} // namespace zsyncctl::cli
