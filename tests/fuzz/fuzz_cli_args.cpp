// libFuzzer target: command-line handling. The input, split at NUL bytes into up to 16 arguments, is
// parsed exactly as `zsyncctl ARGS...` would parse it, without running anything: parsing must end in
// success, help/version (0) or a usage error (2), never in an exception escaping the parser, and the same
// way with only the commands the line names defined as with the whole tree. Every
// argument is also checked as a package name: one that is accepted must be safe to put in an argv.
#include <string>
#include <vector>

#include "cli/app.hpp"
#include "fuzz_split.hpp"
#include "pkg/install/install_plan.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace zsyncctl;
    using fuzz::check;
    std::vector<std::string> args;
    for (std::string_view field : fuzz::split_fields(fuzz::as_text(data, size), 16)) {
        args.emplace_back(field);
    }
    auto code = cli::check_command_line(args);
    check(!code || *code == 0 || *code == 2);
    // run() defines only the commands the line names: parsing with the whole tree must end the same way,
    // with the same message and hint.
    cli::CommandLineCheck needed = cli::check_command_line_with(args, cli::CommandTree::needed);
    cli::CommandLineCheck full = cli::check_command_line_with(args, cli::CommandTree::full);
    check(needed.code == full.code && needed.message == full.message);

    for (const std::string& arg : args) {
        if (auto request = pkg::parse_package_request(arg)) {
            const std::string& name = request->name;
            check(!name.empty() && name.front() != '-');
            for (char c : name) {
                auto u = static_cast<unsigned char>(c);
                check(u > 0x20 && u < 0x7f && c != ';' && c != '$' && c != '`' && c != '|' && c != '&');
            }
        }
    }
    return 0;
}
