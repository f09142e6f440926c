#pragma once

// Starts tests/net/http_server.py as a child on 127.0.0.1 for the net tests and kills it afterwards.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>

extern char** environ;

namespace zsyncctl::test {

/// One running test HTTP server. The constructor waits (at most 15 s) for its "PORT n" line and throws
/// when it does not come; the destructor closes its stdin (it exits on EOF), SIGKILLs it and reaps it.
class TestHttpServer {
public:
    TestHttpServer() {
        const char* script = std::getenv("ZSYNCCTL_TEST_HTTP_SERVER");
        if (script == nullptr) {
            throw std::runtime_error("ZSYNCCTL_TEST_HTTP_SERVER is not set");
        }
        int in_pipe[2];
        int out_pipe[2];
        if (::pipe2(in_pipe, O_CLOEXEC) != 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe failed");
        }
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
        posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
        // tests/meson.build names the interpreter itself (ZS_PYTHON), not a version manager's shim.
        const char* named = std::getenv("ZS_PYTHON");
        std::string python = named != nullptr && *named != '\0' ? named : "python3";
        std::string script_arg = script;
        char* argv[] = {python.data(), script_arg.data(), nullptr};
        int rc = ::posix_spawnp(&m_pid, python.c_str(), &actions, nullptr, argv, environ);
        posix_spawn_file_actions_destroy(&actions);
        ::close(in_pipe[0]);
        ::close(out_pipe[1]);
        m_stdin = in_pipe[1];
        m_stdout = out_pipe[0];
        if (rc != 0) {
            m_pid = -1;
            cleanup();
            throw std::runtime_error("cannot start python3");
        }
        std::string text;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
        while (text.find('\n') == std::string::npos) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            pollfd pfd{m_stdout, POLLIN, 0};
            if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
                cleanup();
                throw std::runtime_error("test HTTP server did not report its port in time");
            }
            char buf[128];
            ssize_t n = ::read(m_stdout, buf, sizeof buf);
            if (n <= 0) {
                cleanup();
                throw std::runtime_error("test HTTP server exited before reporting its port");
            }
            text.append(buf, static_cast<std::size_t>(n));
        }
        if (text.rfind("PORT ", 0) != 0) {
            cleanup();
            throw std::runtime_error("unexpected output from the test HTTP server: " + text);
        }
        m_port = std::stoi(text.substr(5));
    }
    ~TestHttpServer() { cleanup(); }
    TestHttpServer(const TestHttpServer&) = delete;
    TestHttpServer& operator=(const TestHttpServer&) = delete;

    /// "http://127.0.0.1:<port><path>".
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(m_port) + path;
    }
    int port() const { return m_port; }

    /// Kills the server now (later requests to its port are refused).
    void stop() { cleanup(); }

private:
    void cleanup() {
        if (m_stdin >= 0) {
            ::close(m_stdin);
            m_stdin = -1;
        }
        if (m_stdout >= 0) {
            ::close(m_stdout);
            m_stdout = -1;
        }
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            int status = 0;
            while (::waitpid(m_pid, &status, 0) < 0 && errno == EINTR) {
            }
            m_pid = -1;
        }
    }
    pid_t m_pid = -1;
    int m_stdin = -1;
    int m_stdout = -1;
    int m_port = 0;
};

} // namespace zsyncctl::test
