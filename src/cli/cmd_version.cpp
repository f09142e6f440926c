#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/app.hpp"
#include "cli/build_info.hpp"
#include "cli/context.hpp"
#include "cli/json.hpp"

namespace zsyncctl::cli {

void register_version(CLI::App& app, Context& context) {
    auto* cmd =
        app.add_subcommand("version", "Show version and build facts (same as --version; --json for tools)");
    cmd->final_callback([&context] {
        context.set_action([&context] {
            if (context.options.json) {
                const BuildInfo& info = build_info();
                nlohmann::json doc = {
                    {"version", info.version},   {"git_revision", info.git_revision},
                    {"compiler", info.compiler}, {"build_type", info.build_type},
                    {"io_uring", info.io_uring},
                };
                context.out.line(json_text(doc));
            } else {
                context.out.print(version_text());
            }
            return ExitCode::success;
        });
    });
}

} // namespace zsyncctl::cli
