#pragma once

#include <atomic>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>

#include "util/error.hpp"

namespace zsyncctl::cli {

/// --color values.
enum class ColorMode { automatic, always, never };

/// Terminal colours used by the text output.
enum class Color { none, red, green, yellow, blue, bold, dim };

/// Decides colour once: `always`, `never`, or for `automatic` a TTY stdout with NO_COLOR unset and TERM
/// not "dumb". Only cli/ prints; everything goes through here. Single-threaded (main thread) use.
class Output {
public:
    /// Configures colour and verbosity; call once after parsing the command line.
    void configure(ColorMode mode, int verbosity, bool quiet, bool json);

    bool color() const { return m_color; }
    bool json() const { return m_json; }
    bool quiet() const { return m_quiet; }
    int verbosity() const { return m_verbosity; }
    /// True when stdout is a terminal.
    bool stdout_is_tty() const { return m_stdout_tty; }
    /// True when stderr is a terminal (progress bars and spinners go there).
    bool stderr_is_tty() const { return m_stderr_tty; }

    /// `text` wrapped in the colour's escape sequence when colour is on; unchanged otherwise.
    std::string paint(std::string_view text, Color color) const;
    /// paint() appended to `out` (no string of its own: the search's plain lines, one per hit).
    void paint_into(std::string& out, std::string_view text, Color color) const;

    /// Writes to stdout as is (flushed at once when stdout is a pipe or socket, so a reader that left is
    /// noticed at once). Nothing once the reader is gone.
    void print(std::string_view text) const;
    /// Writes a line to stdout, like print().
    void line(std::string_view text) const;
    /// Flushes stdout; a failure means the reader is gone (see reader_gone()).
    void flush() const;
    /// True once a write to stdout failed (EPIPE: the reader of our pipe closed it, as `| head -1` does):
    /// nothing more is printed and the command should stop quietly.
    bool reader_gone() const { return m_reader_gone.load(); }
    /// True when stdout is a pipe (FIFO): the cli then also watches it for the reader leaving.
    bool stdout_is_pipe() const { return m_stdout_fifo; }
    /// Marks the reader gone (the cli's watch saw the pipe's error condition) and runs the callback once.
    /// Any thread.
    void reader_left() const;
    /// Called once, on the writing thread, when the reader goes (the cli cancels the root token).
    void on_reader_gone(std::function<void()> callback) { m_on_reader_gone = std::move(callback); }
    /// Writes a line to stderr unless quiet.
    void info(std::string_view text) const;
    /// Prints "zsyncctl: error: MESSAGE" and, when there is one, "hint: HINT" to stderr (always, even quiet).
    void error(const util::Error& error) const;
    /// Prints "zsyncctl: warning: MESSAGE" to stderr unless quiet.
    void warning(std::string_view message) const;

private:
    // Checks stdout's error flag after a write; the first failure marks the reader gone.
    void check_stdout() const;

    bool m_color = false;
    bool m_stdout_pipe = false;
    bool m_stdout_fifo = false;
    mutable std::atomic<bool> m_reader_gone{false};
    std::function<void()> m_on_reader_gone;
    bool m_json = false;
    bool m_quiet = false;
    int m_verbosity = 0;
    bool m_stdout_tty = false;
    bool m_stderr_tty = false;
};

} // namespace zsyncctl::cli
