#include <doctest/doctest.h>

#include <string>

#include "pkg/install/terminal_prompt.hpp"

using namespace zsyncctl;

TEST_CASE("PromptWatcher opens and closes questions from what the manager wrote") {
    pkg::PromptWatcher w;

    SUBCASE("apt's pmconffile opens a question, the next pmstatus closes it") {
        w.on_status_line("pmstatus:zs-conf:40.0000:Preparing to configure zs-conf (amd64)");
        w.on_terminal_output(
            "Setting up zs-conf (2.0) ...\r\n\r\nConfiguration file '/etc/zs-conf.conf'\r\n");
        CHECK_FALSE(w.active());
        w.on_status_line(
            "pmconffile:/etc/zs-conf.conf:60.0000:'/etc/zs-conf.conf' '/etc/zs-conf.conf.dpkg-new' 1 1");
        CHECK(w.active());
        // What came since the last status line is replayed once: the question's text came first.
        CHECK(w.take_backlog() ==
              "Setting up zs-conf (2.0) ...\r\n\r\nConfiguration file '/etc/zs-conf.conf'\r\n");
        CHECK(w.take_backlog().empty());
        w.on_terminal_output("N\r\n"); // the answer's echo: the status line still rules
        CHECK(w.active());
        w.on_status_line("pmstatus:zs-conf:80.0000:Installed zs-conf (amd64)");
        CHECK_FALSE(w.active());
    }
    SUBCASE("dpkg's prompt text alone (no status fd) opens it until the line ends") {
        w.on_terminal_output("*** zs-conf.conf (Y/I/N/O/D/Z) [def");
        CHECK_FALSE(w.active());
        w.on_terminal_output("ault=N] ? ");
        CHECK(w.active());
        w.on_terminal_output("Y\r\n");
        CHECK_FALSE(w.active());
    }
    SUBCASE("the alternate screen (whiptail, a pager) and bracketed paste, even split across reads") {
        w.on_terminal_output("\033[?10");
        w.on_terminal_output("49h dialog");
        CHECK(w.active());
        w.on_terminal_output("\033[?1049l\033[?2004h");
        CHECK(w.active()); // a line editor now
        w.on_terminal_output("prompt> \033[?2004l");
        CHECK_FALSE(w.active());
    }
    SUBCASE("the backlog is capped and starts at a line") {
        std::string line(100, 'x');
        for (int i = 0; i < 200; ++i) {
            w.on_terminal_output(line + "\n");
        }
        std::string backlog = w.take_backlog();
        CHECK(backlog.size() <= 8 * 1024);
        CHECK(backlog.size() > 7 * 1024);
        CHECK(backlog.front() == 'x');
        CHECK(backlog.size() % 101 == 0);
    }
}
