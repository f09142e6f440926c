#include "cli/cli11.hpp"
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
            context.out.line(context.options.json ? version_json() : version_text());
            return ExitCode::success;
        });
    });
}

} // namespace zsyncctl::cli
