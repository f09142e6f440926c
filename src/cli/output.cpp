#include "cli/output.hpp"

#include <cstdlib>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

#include "util/strings.hpp"

namespace zsyncctl::cli {

void Output::configure(ColorMode mode, int verbosity, bool quiet, bool json) {
    m_stdout_tty = ::isatty(STDOUT_FILENO) == 1;
    m_stderr_tty = ::isatty(STDERR_FILENO) == 1;
    struct stat st {};
    bool known = ::fstat(STDOUT_FILENO, &st) == 0;
    m_stdout_fifo = known && S_ISFIFO(st.st_mode);
    m_stdout_pipe = known && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
    m_verbosity = verbosity;
    m_quiet = quiet;
    m_json = json;
    switch (mode) {
    case ColorMode::always:
        m_color = true;
        break;
    case ColorMode::never:
        m_color = false;
        break;
    case ColorMode::automatic: {
        const char* no_color = std::getenv("NO_COLOR");
        const char* term = std::getenv("TERM");
        m_color = m_stdout_tty && (no_color == nullptr || no_color[0] == '\0') &&
                  (term == nullptr || std::strcmp(term, "dumb") != 0);
        break;
    }
    }
}

namespace {

std::string_view color_code(Color color) {
    switch (color) {
    case Color::red:
        return "\033[31m";
    case Color::green:
        return "\033[32m";
    case Color::yellow:
        return "\033[33m";
    case Color::blue:
        return "\033[34m";
    case Color::bold:
        return "\033[1m";
    case Color::dim:
        return "\033[2m";
    case Color::none:
        break;
    }
    return {};
}

} // namespace

std::string Output::paint(std::string_view text, Color color) const {
    std::string out;
    paint_into(out, text, color);
    return out;
}

void Output::paint_into(std::string& out, std::string_view text, Color color) const {
    if (!m_color || color == Color::none) {
        out += text;
        return;
    }
    out += color_code(color);
    out += text;
    out += "\033[0m";
}

void Output::check_stdout() const {
    if (!m_reader_gone && std::ferror(stdout) != 0) {
        reader_left();
    }
}

void Output::reader_left() const {
    if (!m_reader_gone.exchange(true) && m_on_reader_gone) {
        m_on_reader_gone();
    }
}

void Output::flush() const {
    if (!m_reader_gone) {
        std::fflush(stdout);
        check_stdout();
    }
}

void Output::print(std::string_view text) const {
    check_stdout(); // a failed flush elsewhere (std::fflush) counts too
    if (m_reader_gone) {
        return;
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (m_stdout_pipe) {
        std::fflush(stdout);
    }
    check_stdout();
}

void Output::line(std::string_view text) const {
    check_stdout();
    if (m_reader_gone) {
        return;
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    if (m_stdout_pipe) {
        std::fflush(stdout);
    }
    check_stdout();
}

void Output::info(std::string_view text) const {
    if (m_quiet) {
        return;
    }
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fputc('\n', stderr);
}

void Output::error(const util::Error& error) const {
    std::fflush(stdout);
    // Errors must stay one line: other programs' text can carry newlines or escape sequences.
    std::string message = util::sanitize_for_display(error.message);
    std::fprintf(stderr, "zsyncctl: error: %s\n", message.c_str());
    if (!error.hint.empty()) {
        std::string hint = util::sanitize_for_display(error.hint);
        std::fprintf(stderr, "hint: %s\n", hint.c_str());
    }
}

void Output::warning(std::string_view message) const {
    if (m_quiet) {
        return;
    }
    std::string clean = util::sanitize_for_display(message);
    std::fprintf(stderr, "zsyncctl: warning: %s\n", clean.c_str());
}

} // namespace zsyncctl::cli
