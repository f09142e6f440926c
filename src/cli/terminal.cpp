#include "cli/terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

namespace zsyncctl::cli {

std::size_t display_width(std::string_view text) {
    std::size_t w = 0;
    for (unsigned char c : text) {
        w += (c & 0xC0) != 0x80 ? 1 : 0;
    }
    return w;
}

std::size_t terminal_rows_of(std::string_view line, std::size_t columns) {
    std::size_t width = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        auto c = static_cast<unsigned char>(line[i]);
        if (c == 0x1b && i + 1 < line.size() && line[i + 1] == '[') {
            // A CSI sequence (ESC [ parameters final-byte): no columns.
            i += 2;
            while (i < line.size() && (static_cast<unsigned char>(line[i]) < 0x40 ||
                                       static_cast<unsigned char>(line[i]) > 0x7e)) {
                ++i;
            }
            continue;
        }
        width += (c & 0xC0) != 0x80 ? 1 : 0;
    }
    if (columns == 0 || width == 0) {
        return 1;
    }
    return (width + columns - 1) / columns;
}

std::string pad(std::string_view text, std::size_t width) {
    std::string out(text);
    std::size_t w = display_width(text);
    if (w < width) {
        out.append(width - w, ' ');
    }
    return out;
}

std::string cut(std::string_view text, std::size_t width) {
    if (display_width(text) <= width) {
        return std::string(text);
    }
    if (width == 0) {
        return {};
    }
    std::string out;
    std::size_t w = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if ((c & 0xC0) != 0x80) {
            if (w + 1 >= width) {
                break;
            }
            ++w;
        }
        out.push_back(text[i]);
    }
    return out + "\xe2\x80\xa6";
}

namespace {

std::atomic<bool> g_cursor_hidden{false};

// The mode to put back on g_saved_fd (-1: nothing to restore). Written by CharacterMode, read by
// restore_terminal() possibly from another thread.
std::mutex g_saved_mutex;
int g_saved_fd = -1;
termios g_saved_mode{};

void write_all(int fd, const char* text, std::size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, text, size);
        if (n <= 0) {
            return;
        }
        text += n;
        size -= static_cast<std::size_t>(n);
    }
}

} // namespace

std::optional<TerminalSize> terminal_size(int fd) {
    winsize ws{};
    if (::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) {
        return std::nullopt;
    }
    return TerminalSize{ws.ws_row, ws.ws_col};
}

std::size_t terminal_columns(int fd, std::size_t minimum, std::size_t fallback) {
    auto size = terminal_size(fd);
    return size && size->cols >= minimum ? size->cols : fallback;
}

void set_cursor_visible(bool visible) {
    g_cursor_hidden = !visible;
    static constexpr char k_show[] = "\033[?25h";
    static constexpr char k_hide[] = "\033[?25l";
    std::fflush(stderr);
    if (visible) {
        write_all(STDERR_FILENO, k_show, sizeof k_show - 1);
    } else {
        write_all(STDERR_FILENO, k_hide, sizeof k_hide - 1);
    }
}

void restore_terminal() {
    {
        std::lock_guard<std::mutex> lock(g_saved_mutex);
        if (g_saved_fd >= 0) {
            ::tcsetattr(g_saved_fd, TCSADRAIN, &g_saved_mode);
            g_saved_fd = -1;
        }
    }
    if (g_cursor_hidden.exchange(false)) {
        static constexpr char k_show[] = "\r\033[K\033[?25h";
        write_all(STDERR_FILENO, k_show, sizeof k_show - 1);
    }
}

void CharacterMode::begin() {
    if (m_active || ::tcgetattr(m_fd, &m_saved) != 0) {
        return;
    }
    termios raw = m_saved;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | ECHONL | IEXTEN);
    raw.c_iflag &= ~static_cast<tcflag_t>(ICRNL | INLCR | IGNCR | IXON);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    {
        std::lock_guard<std::mutex> lock(g_saved_mutex);
        g_saved_fd = m_fd;
        g_saved_mode = m_saved;
    }
    // TCSAFLUSH drops keys typed before the question, so a stray Enter does not answer it.
    m_active = ::tcsetattr(m_fd, TCSAFLUSH, &raw) == 0;
    m_suspended = false;
}

void CharacterMode::end() {
    if (m_active) {
        ::tcsetattr(m_fd, TCSADRAIN, &m_saved);
        m_active = false;
        std::lock_guard<std::mutex> lock(g_saved_mutex);
        g_saved_fd = -1;
    }
    m_suspended = false;
}

void CharacterMode::suspend() {
    if (!m_active) {
        return;
    }
    if (::tcgetpgrp(m_fd) == ::getpgrp()) {
        end();
    } else {
        // Stopped from outside while in the background (kill -TSTP after bg): a tcsetattr now would stop us
        // with SIGTTOU first; the shell restored its own modes when it took the terminal.
        m_active = false;
        std::lock_guard<std::mutex> lock(g_saved_mutex);
        g_saved_fd = -1;
    }
    m_suspended = true;
}

void CharacterMode::resume() {
    if (m_suspended) {
        begin();
    }
}

} // namespace zsyncctl::cli
