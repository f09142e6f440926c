#include <doctest/doctest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "cli/exit_code.hpp"
#include "cli/output.hpp"

using namespace zsyncctl;

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
