#include <doctest/doctest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>
#include <vector>

#include "cli/app.hpp"
#include "cli/exit_code.hpp"
#include "cli/install_view.hpp"
#include "cli/output.hpp"
#include "cli/terminal.hpp"

using namespace zsyncctl;

namespace {

// Points stdout at the write end of a pipe for the scope (the read end is the caller's), restoring it and
// SIGPIPE's disposition afterwards.
class StdoutOnPipe {
public:
    StdoutOnPipe() {
        std::fflush(stdout);
        REQUIRE(::pipe(m_fds) == 0);
        m_saved = ::dup(STDOUT_FILENO);
        REQUIRE(::dup2(m_fds[1], STDOUT_FILENO) == STDOUT_FILENO);
        ::close(m_fds[1]);
        m_old_pipe = std::signal(SIGPIPE, SIG_IGN); // as the signal monitor does
    }
    ~StdoutOnPipe() {
        std::fflush(stdout);
        std::clearerr(stdout);
        ::dup2(m_saved, STDOUT_FILENO);
        ::close(m_saved);
        if (m_fds[0] >= 0) {
            ::close(m_fds[0]);
        }
        std::signal(SIGPIPE, m_old_pipe);
    }
    StdoutOnPipe(const StdoutOnPipe&) = delete;
    StdoutOnPipe& operator=(const StdoutOnPipe&) = delete;
    void close_reader() {
        ::close(m_fds[0]);
        m_fds[0] = -1;
    }
    std::string read_some() {
        char buf[256];
        ssize_t n = ::read(m_fds[0], buf, sizeof buf);
        return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    }

private:
    int m_fds[2] = {-1, -1};
    int m_saved = -1;
    void (*m_old_pipe)(int) = nullptr;
};

} // namespace

TEST_CASE("Output treats EPIPE on stdout as the reader gone: one callback, nothing more printed") {
    StdoutOnPipe pipe;
    cli::Output out;
    out.configure(cli::ColorMode::never, 0, false, false);
    CHECK(out.stdout_is_pipe());
    int called = 0;
    out.on_reader_gone([&] { ++called; });
    out.line("first");
    CHECK(pipe.read_some() == "first\n"); // a pipe gets every line at once
    CHECK_FALSE(out.reader_gone());
    pipe.close_reader();
    out.line("second");
    CHECK(out.reader_gone());
    CHECK(called == 1);
    out.line("third");
    out.flush();
    CHECK(called == 1);
}

TEST_CASE("Output colour follows --color and NO_COLOR") {
    cli::Output out;
    SUBCASE("always paints") {
        out.configure(cli::ColorMode::always, 0, false, false);
        CHECK(out.paint("x", cli::Color::red) == "\033[31mx\033[0m");
    }
    SUBCASE("never does not") {
        out.configure(cli::ColorMode::never, 0, false, false);
        CHECK(out.paint("x", cli::Color::red) == "x");
    }
    SUBCASE("auto with NO_COLOR does not") {
        ::setenv("NO_COLOR", "1", 1);
        out.configure(cli::ColorMode::automatic, 0, false, false);
        ::unsetenv("NO_COLOR");
        CHECK_FALSE(out.color());
    }
}

TEST_CASE("exit codes map error kinds") {
    CHECK(cli::exit_code_for(util::ErrorKind::invalid_input) == cli::ExitCode::usage);
    CHECK(cli::exit_code_for(util::ErrorKind::interrupted) == cli::ExitCode::interrupted);
    CHECK(cli::exit_code_for(util::ErrorKind::command_failed) == cli::ExitCode::failure);
    CHECK(cli::to_int(cli::ExitCode::interrupted) == 130);
}

TEST_CASE("check_command_line parses like run() and runs nothing") {
    using Args = std::vector<std::string>;
    CHECK(cli::check_command_line(Args{"--help"}) == 0);
    CHECK(cli::check_command_line(Args{"--version"}) == 0);
    CHECK(cli::check_command_line(Args{"pkg", "search", "--help"}) == 0);
    CHECK(cli::check_command_line(Args{"--no-such-option"}) == 2);
    CHECK(cli::check_command_line(Args{"--color", "purple"}) == 2);
    CHECK(cli::check_command_line(Args{"no-such-command"}) == 2);
    // A command that would install is only parsed: nothing runs, so no manager is needed here.
    CHECK_FALSE(cli::check_command_line(Args{"pkg", "install", "--manager", "apt", "curl"}));
    CHECK_FALSE(cli::check_command_line(Args{"doctor", "--json"}));
    CHECK_FALSE(cli::check_command_line(Args{}));
}

TEST_CASE("pad and cut count UTF-8 characters and never split one") {
    CHECK(zsyncctl::cli::display_width("née") == 3);
    CHECK(zsyncctl::cli::pad("née", 5) == "née  ");
    CHECK(zsyncctl::cli::pad("abcdef", 3) == "abcdef");
    CHECK(zsyncctl::cli::cut("abc", 3) == "abc");
    CHECK(zsyncctl::cli::cut("ééééé", 3) == "éé…");
    CHECK(zsyncctl::cli::display_width(zsyncctl::cli::cut("ééééé", 3)) == 3);
    CHECK(zsyncctl::cli::cut("abc", 0).empty());
}

TEST_CASE("terminal_rows_of counts the rows a line wraps to, without its colour") {
    using zsyncctl::cli::terminal_rows_of;
    CHECK(terminal_rows_of("", 80) == 1);
    CHECK(terminal_rows_of(std::string(80, 'x'), 80) == 1); // exactly the width: no wrap
    CHECK(terminal_rows_of(std::string(81, 'x'), 80) == 2);
    CHECK(terminal_rows_of(std::string(161, 'x'), 80) == 3);
    // A painted mark takes one column: "\x1b[32m✓\x1b[0m" and 79 more characters fit in 80.
    CHECK(terminal_rows_of("\x1b[32m\xe2\x9c\x93\x1b[0m" + std::string(79, 'x'), 80) == 1);
    CHECK(terminal_rows_of("\x1b[32m\xe2\x9c\x93\x1b[0m" + std::string(80, 'x'), 80) == 2);
    CHECK(terminal_rows_of("ééé", 2) == 2);
    CHECK(terminal_rows_of("abc", 0) == 1);
}

TEST_CASE("describe_interruption names the packages' states, and leaves the list out when there are none") {
    pkg::InstallPlan plan;
    plan.manager = "apt";
    pkg::InstallOutcome outcome;
    outcome.interrupted = true;
    outcome.waited_for_transaction = true;
    outcome.final_state.checked = true;
    outcome.final_state.audit_clean = true;
    // A refresh names no package: no empty ": ;" in the sentence.
    CHECK(cli::describe_interruption(plan, outcome) ==
          "interrupted; apt stopped after its transaction finished; the package database is consistent");
    outcome.final_state.packages = {{"zs-slow", "installed"}};
    outcome.final_state.audit_clean = false;
    outcome.final_state.repair_command = "dpkg --configure -a";
    CHECK(cli::describe_interruption(plan, outcome) ==
          "interrupted; apt stopped after its transaction finished: zs-slow installed; the package database "
          "needs repair: run `dpkg --configure -a`");
}
