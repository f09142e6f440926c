#include "pkg/install/terminal_prompt.hpp"

#include <array>
#include <utility>

namespace zsyncctl::pkg {

namespace {

constexpr std::size_t k_backlog_limit = 8 * 1024;
constexpr std::size_t k_line_limit = 512;
// dpkg's conffile prompt line: "*** NAME (Y/I/N/O/D/Z) [default=N] ? ".
constexpr std::string_view k_conffile_prompt = "(Y/I/N/O/D/Z) [default=";

struct ModeEscape {
    std::string_view on;
    std::string_view off;
};
constexpr ModeEscape k_alternate_screen{"\033[?1049h", "\033[?1049l"};
constexpr ModeEscape k_bracketed_paste{"\033[?2004h", "\033[?2004l"};

// The state `escape` leaves `text` in: the later of its last "on" and last "off", else `current`.
bool mode_after(std::string_view text, const ModeEscape& escape, bool current) {
    auto on = text.rfind(escape.on);
    auto off = text.rfind(escape.off);
    if (on == std::string_view::npos && off == std::string_view::npos) {
        return current;
    }
    if (on == std::string_view::npos) {
        return false;
    }
    return off == std::string_view::npos || on > off;
}

} // namespace

void PromptWatcher::on_status_line(std::string_view line) {
    if (line.starts_with("pmconffile:")) {
        m_status_question = true;
    } else if (line.starts_with("pmstatus:")) {
        m_status_question = false;
    }
    if (!active()) {
        m_backlog.clear();
    }
}

void PromptWatcher::on_terminal_output(std::string_view bytes) {
    if (!active()) {
        m_backlog.append(bytes);
        if (m_backlog.size() > k_backlog_limit) {
            std::size_t cut = m_backlog.size() - k_backlog_limit;
            auto nl = m_backlog.find('\n', cut);
            m_backlog.erase(0, nl == std::string::npos ? cut : nl + 1);
        }
    }
    std::string scan = m_carry;
    scan.append(bytes);
    m_fullscreen = mode_after(scan, k_alternate_screen, m_fullscreen);
    m_line_editor = mode_after(scan, k_bracketed_paste, m_line_editor);
    m_carry = scan.substr(scan.size() > 7 ? scan.size() - 7 : 0);

    auto nl = bytes.rfind('\n');
    if (nl != std::string_view::npos) {
        // dpkg's prompt line ends with the answer's echo; a finished line ends a question seen in text.
        m_text_question = false;
        m_line.assign(bytes.substr(nl + 1));
    } else {
        m_line.append(bytes);
    }
    if (m_line.size() > k_line_limit) {
        m_line.erase(0, m_line.size() - k_line_limit);
    }
    if (m_line.find(k_conffile_prompt) != std::string::npos) {
        m_text_question = true;
    }
}

std::string PromptWatcher::take_backlog() {
    return std::exchange(m_backlog, {});
}

} // namespace zsyncctl::pkg
