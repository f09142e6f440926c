#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/output.hpp"
#include "pkg/search/search.hpp"

namespace zsyncctl::cli {

/// One line of a search's per-manager status board: a spinner (frame `tick`) and the time so far while
/// the manager is not `finished`, else its outcome ("✓ 3 results 0.2s", "! offline", "✗ timeout").
/// Never fails; the fields are terminal-safe already.
std::string search_board_line(const Output& out, const pkg::ManagerReport& report, bool finished,
                              std::size_t tick, std::int64_t elapsed_ms);

/// "1.2s" for 1234 ms; never fails.
std::string board_seconds(std::int64_t ms);

/// A board drawn on stderr and redrawn in place (nothing is printed below it meanwhile), as install-by-
/// search shows while it looks names up. Main thread only.
class SearchBoard {
public:
    explicit SearchBoard(const Output& out) : m_out(out) {}

    /// Draws the board for `reports` (one line each), over the previous drawing when there was one.
    void draw(const std::vector<pkg::ManagerReport>& reports, const std::vector<bool>& finished,
              std::int64_t elapsed_ms);

private:
    const Output& m_out;
    std::size_t m_drawn = 0;
    std::size_t m_tick = 0;
};

} // namespace zsyncctl::cli
