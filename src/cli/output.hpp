#pragma once

#include <cstdio>
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

    /// Writes to stdout as is.
    void print(std::string_view text) const;
    /// Writes a line to stdout.
    void line(std::string_view text) const;
    /// Writes a line to stderr unless quiet.
    void info(std::string_view text) const;
    /// Prints "zsyncctl: error: MESSAGE" and, when there is one, "hint: HINT" to stderr (always, even quiet).
    void error(const util::Error& error) const;
    /// Prints "zsyncctl: warning: MESSAGE" to stderr unless quiet.
    void warning(std::string_view message) const;

private:
    bool m_color = false;
    bool m_json = false;
    bool m_quiet = false;
    int m_verbosity = 0;
    bool m_stdout_tty = false;
    bool m_stderr_tty = false;
};

} // namespace zsyncctl::cli
