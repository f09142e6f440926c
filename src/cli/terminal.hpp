#pragma once

#include <termios.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace zsyncctl::cli {

/// The size of the terminal on `fd`.
struct TerminalSize {
    unsigned short rows = 0;
    unsigned short cols = 0;
};

/// The size of the terminal on `fd`; nullopt when `fd` is not a terminal or reports a zero size.
std::optional<TerminalSize> terminal_size(int fd);

/// The width of the terminal on `fd` when it is at least `minimum` columns, else `fallback`.
std::size_t terminal_columns(int fd, std::size_t minimum, std::size_t fallback);

/// Columns `text` takes on a terminal: one per UTF-8 character (wide East Asian characters count as one;
/// the text is sanitized before it gets here, so there are no control characters). Never fails.
std::size_t display_width(std::string_view text);

/// The terminal rows `line` (no newline in it) takes on a terminal `columns` wide: its display width
/// without the escape sequences in it (colour), wrapped; at least 1. Never fails.
std::size_t terminal_rows_of(std::string_view line, std::size_t columns);

/// `text` followed by spaces up to `width` columns; unchanged when already as wide. Never fails.
std::string pad(std::string_view text, std::size_t width);

/// `text` when it fits in `width` columns, else its first characters and "…" in exactly `width` columns;
/// never splits a UTF-8 sequence. Never fails.
std::string cut(std::string_view text, std::size_t width);

/// Hides (false) or shows (true) the cursor on stderr and remembers the state, so restore_terminal() can
/// show it again on any way out. Any thread.
void set_cursor_visible(bool visible);

/// Puts the terminal back as this process found it: shows the cursor if set_cursor_visible(false) hid it and
/// restores the modes a CharacterMode changed. Async-signal-safe enough for an escalated exit (write and
/// tcsetattr only); any thread; idempotent.
void restore_terminal();

/// Puts the terminal on `fd` in character mode while a manager's question is open: keys go to the manager
/// one by one, unechoed (the manager's own terminal echoes them), but Ctrl-C still signals us, so an
/// interrupt works the same during a question. The saved mode comes back on end(), on suspend() (Ctrl-Z),
/// through restore_terminal() and in the destructor; resume() (after SIGCONT) enters character mode again
/// if it was active. One at a time; the thread that runs the prompt (the loop thread) uses it.
class CharacterMode {
public:
    explicit CharacterMode(int fd) : m_fd(fd) {}
    ~CharacterMode() { end(); }
    CharacterMode(const CharacterMode&) = delete;
    CharacterMode& operator=(const CharacterMode&) = delete;

    /// Enters character mode (dropping keys typed before, so a stray Enter does not answer a question).
    void begin();
    /// Restores the saved mode.
    void end();
    /// The process is about to stop: the shell gets its mode back, character mode is re-entered on resume().
    void suspend();
    /// The process continued: character mode again if it was active before suspend().
    void resume();

private:
    int m_fd;
    termios m_saved{};
    bool m_active = false;
    bool m_suspended = false;
};

} // namespace zsyncctl::cli
