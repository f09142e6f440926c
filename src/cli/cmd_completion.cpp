#include "cli/cli11.hpp"

#include <memory>

#include "cli/completion.hpp"
#include "cli/context.hpp"

namespace zsyncctl::cli {

namespace {

std::vector<std::string> shell_list() {
    std::vector<std::string> out;
    for (std::string_view s : completion_shells()) {
        out.emplace_back(s);
    }
    return out;
}

void register_complete_values(CLI::App& app, Context& context) {
    // Hidden (empty group): the completion scripts call it for values only known at run time.
    auto* cmd = app.add_subcommand("__complete", "Print completion values of KIND, one per line")->group("");
    auto kind = std::make_shared<std::string>();
    auto word = std::make_shared<std::string>();
    cmd->add_option("kind", *kind, "The value source")->required();
    cmd->add_option("word", *word, "What is typed so far");
    cmd->final_callback([&context, kind, word] {
        context.set_action([&context, kind, word] {
            for (const ValueSource& source : value_sources()) {
                if (source.kind == *kind) {
                    for (const std::string& value : source.list(context, *word)) {
                        context.out.line(value);
                    }
                    return ExitCode::success;
                }
            }
            std::string known;
            for (const ValueSource& source : value_sources()) {
                known += known.empty() ? "" : ", ";
                known += source.kind;
            }
            raise_usage("unknown completion value source '" + *kind + "'", "known sources: " + known);
        });
    });
}

} // namespace

void register_completion(CLI::App& app, Context& context) {
    auto* cmd = app.add_subcommand(
        "completion", "Print a shell completion script: eval or install it (see zsyncctl(1), COMPLETION)");
    auto positional = std::make_shared<std::string>();
    auto option = std::make_shared<std::string>();
    std::vector<std::string> shells = shell_list();
    cmd->add_option("shell", *positional, "bash, zsh or fish")->check(CLI::IsMember(shells));
    cmd->add_option("--shell", *option, "The shell (same as the positional SHELL)")
        ->check(CLI::IsMember(shells))
        ->option_text("bash|zsh|fish");
    CLI::App* root = &app;
    cmd->final_callback([&context, positional, option, root] {
        context.set_action([&context, positional, option, root] {
            if (!positional->empty() && !option->empty() && *positional != *option) {
                raise_usage("two different shells given: '" + *positional + "' and '" + *option + "'");
            }
            if (context.out.json()) {
                raise_usage("--json does not apply to completion: it prints a shell script", "drop --json");
            }
            std::string shell = positional->empty() ? *option : *positional;
            if (shell.empty()) {
                raise_usage("which shell? give bash, zsh or fish", "e.g. zsyncctl completion bash");
            }
            context.out.print(completion_script(completion_model(*root), shell));
            return ExitCode::success;
        });
    });
    register_complete_values(app, context);
}

} // namespace zsyncctl::cli
