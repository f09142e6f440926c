#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace zsyncctl::pkg {

/// Follows a manager that runs on a pseudo-terminal and tells when it is asking its user something, so
/// the question can be handed to the real terminal: dpkg's conffile question (apt's `pmconffile:` status
/// line, or dpkg's own "(Y/I/N/O/D/Z) [default=" prompt text when there is no status fd), a full-screen
/// dialog (debconf's whiptail/dialog, a pager: the alternate screen) or a line editor (bracketed paste
/// mode, e.g. debconf's readline frontend or the shell dpkg offers). No clocks: only what the manager
/// wrote decides. Not thread-safe; one instance per run.
class PromptWatcher {
public:
    /// Feeds one status-fd line: `pmconffile:` begins a question, the next `pmstatus:` ends it.
    void on_status_line(std::string_view line);
    /// Feeds raw terminal output. While no question is active the bytes are also kept (see
    /// take_backlog), because the question's text may arrive before the status line that announces it.
    void on_terminal_output(std::string_view bytes);
    /// True while the manager is asking something.
    bool active() const { return m_status_question || m_text_question || m_fullscreen || m_line_editor; }
    /// The terminal output since the last status line while no question was active (at most 8 KiB, from
    /// a line start when possible); empties it.
    std::string take_backlog();

private:
    bool m_status_question = false;
    bool m_text_question = false;
    bool m_fullscreen = false;
    bool m_line_editor = false;
    std::string m_line;    // the current unfinished output line (its last 512 bytes)
    std::string m_carry;   // the end of the previous chunk, for escapes split across reads
    std::string m_backlog; // see take_backlog
};

} // namespace zsyncctl::pkg
