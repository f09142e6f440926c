#include "cli/prompt.hpp"

#include <cerrno>
#include <cstdio>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

// An eventfd that becomes readable when a token is cancelled, for poll() next to stdin.
class CancelFd {
public:
    explicit CancelFd(const core::CancellationToken& token)
        : m_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), m_token(token) {
        if (m_fd >= 0) {
            int fd = m_fd;
            m_id = m_token.on_cancel([fd] {
                std::uint64_t one = 1;
                [[maybe_unused]] ssize_t n = ::write(fd, &one, sizeof one);
            });
        }
    }
    ~CancelFd() {
        if (m_fd >= 0) {
            m_token.remove_callback(m_id); // waits for a running callback: the fd stays valid for it
            ::close(m_fd);
        }
    }
    CancelFd(const CancelFd&) = delete;
    CancelFd& operator=(const CancelFd&) = delete;
    int fd() const { return m_fd; }

private:
    int m_fd;
    core::CancellationToken m_token;
    core::CancellationToken::CallbackId m_id = 0;
};

} // namespace

std::optional<std::string> read_answer(const core::CancellationToken& token) {
    if (token.is_cancelled()) {
        return std::nullopt;
    }
    CancelFd cancelled(token);
    std::string line;
    for (;;) {
        pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {cancelled.fd(), POLLIN, 0}};
        int n = ::poll(fds, cancelled.fd() >= 0 ? 2 : 1, -1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return std::nullopt;
        }
        if (token.is_cancelled()) {
            return std::nullopt;
        }
        if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
            continue;
        }
        char c = 0;
        ssize_t got = ::read(STDIN_FILENO, &c, 1);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (got <= 0) {
            if (line.empty()) {
                return std::nullopt;
            }
            // Ended by Ctrl-D after some text, not by Enter: the terminal's cursor is still on the
            // question's line, and what follows must start a line of its own.
            std::fputc('\n', stderr);
            return line;
        }
        if (c == '\n') {
            return line;
        }
        if (line.size() < 256) {
            line.push_back(c);
        }
    }
}

bool ask_yes_no(const std::string& question, DefaultAnswer default_answer,
                const core::CancellationToken& token) {
    bool yes_by_default = default_answer == DefaultAnswer::yes;
    std::fprintf(stderr, "%s %s ", question.c_str(), yes_by_default ? "[Y/n]" : "[y/N]");
    std::fflush(stderr);
    auto answer = read_answer(token);
    if (!answer) {
        std::fputc('\n', stderr);
        return false;
    }
    std::string_view a = util::trim(*answer);
    return (a.empty() && yes_by_default) || a == "y" || a == "Y" || a == "yes";
}

std::optional<std::size_t> ask_number(std::size_t count, const core::CancellationToken& token) {
    for (int attempt = 0; attempt < 3; ++attempt) {
        std::fprintf(stderr, "Choose 1-%zu (empty to cancel): ", count);
        std::fflush(stderr);
        auto line = read_answer(token);
        if (!line) {
            std::fputc('\n', stderr);
            return std::nullopt;
        }
        std::string_view answer = util::trim(*line);
        if (answer.empty()) {
            return std::nullopt;
        }
        auto n = util::parse_int(answer);
        if (n && *n >= 1 && static_cast<std::size_t>(*n) <= count) {
            return static_cast<std::size_t>(*n - 1);
        }
        std::fprintf(stderr, "'%s' is not one of the numbers\n", util::sanitize_for_display(answer).c_str());
    }
    return std::nullopt;
}

} // namespace zsyncctl::cli
