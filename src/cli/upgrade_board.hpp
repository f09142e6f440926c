#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/output.hpp"

namespace zsyncctl::cli {

/// One manager's line in a multi-manager upgrade: where its run is and what it last said.
struct UpgradeLane {
    /// Where the manager's run is.
    enum class State { queued, running, done, failed, interrupted, not_run };
    std::string manager;
    State state = State::queued;
    std::string after;            ///< queued: the manager of the same lock family it runs after
    std::optional<int> percent;   ///< running: the manager's progress
    std::string detail;           ///< running: what it does now; else the outcome, sanitized
    std::int64_t started_ms = -1; ///< since the run began, -1 before the manager started
    std::int64_t ended_ms = -1;   ///< since the run began, -1 while it runs
};

/// The lane as one board line: a spinner (frame `tick`) with the percentage, what the manager does and
/// its time while it runs; a mark and the outcome once it ended; what it waits for while queued. Never
/// fails; the lane's fields are terminal-safe already.
std::string upgrade_lane_line(const Output& out, const UpgradeLane& lane, std::size_t tick,
                              std::int64_t now_ms);

/// The lane as a plain line for a log or a pipe ("apt: upgraded 2 packages (3.1s)"). Never fails.
std::string upgrade_lane_text(const UpgradeLane& lane);

/// The per-manager board of a multi-manager upgrade on stderr, redrawn in place; nothing else is printed
/// below it while it is drawn. One thread at a time (the loop thread's ticks, then the main thread).
class UpgradeBoard {
public:
    explicit UpgradeBoard(const Output& out) : m_out(out) {}

    /// Draws `lanes` (one line each) over the previous drawing, when there was one.
    void draw(const std::vector<UpgradeLane>& lanes, std::int64_t now_ms);
    /// Erases the drawing (the next draw starts where it was), so a message can take its place.
    void erase();

private:
    const Output& m_out;
    std::size_t m_drawn = 0;
    std::size_t m_tick = 0;
};

} // namespace zsyncctl::cli
