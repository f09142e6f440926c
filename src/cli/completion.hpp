#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
class Option;
} // namespace CLI

namespace zsyncctl::cli {

class Context;

/// A named source of completion values computed at completion time (manager names, doctor check ids).
/// The shell scripts call the hidden `zsyncctl __complete <kind> [WORD]` (WORD: what is typed so far),
/// which prints list(context, WORD) one per line; the shell filters them by WORD. A source that cannot
/// read its data returns nothing.
struct ValueSource {
    std::string_view kind;
    std::string_view description;
    std::vector<std::string> (*list)(Context& context, std::string_view word);
};

/// Every registered value source (the k_value_sources table in completion_sources.cpp).
std::span<const ValueSource> value_sources();

/// Marks `option` (or a positional) as completed from the value source `kind`. Call from a registrar.
/// Returns `option` for chaining.
CLI::Option* complete_with(CLI::Option* option, std::string_view kind);

/// The value source `kind` attached to `option` by complete_with, or empty.
std::string_view completion_kind(const CLI::Option* option);

/// One option (or positional) of a command, as the completion scripts see it.
struct OptionSpec {
    std::vector<std::string> long_names;  // without "--"
    std::vector<std::string> short_names; // without "-"
    std::string positional;               // the positional's name; empty for options
    std::string description;
    bool takes_value = false;
    std::vector<std::string> values; // fixed choices (from IsMember checks)
    std::string dynamic;             // a ValueSource kind, or empty
};

/// One command of the tree; `path` is the words after "zsyncctl" ("" for the root, "pkg paths").
struct CommandSpec {
    std::string name;
    std::string path;
    std::string description;
    std::vector<OptionSpec> options; // its own options; the root's are global (accepted everywhere)
    /// Every option accepted here: its own, then its ancestors' (the root's are global), each name once
    /// (the nearest command's wins: every command has its own --help).
    std::vector<OptionSpec> effective_options;
    std::vector<CommandSpec> subcommands;
};

/// Builds the completion model by walking the parser itself: visible subcommands, their options,
/// fixed values from IsMember validators and the kinds attached with complete_with().
CommandSpec completion_model(CLI::App& app);

/// The completion script for `shell` ("bash", "zsh" or "fish"); empty for another shell.
std::string completion_script(const CommandSpec& model, std::string_view shell);

/// The shells completion_script() supports, in the order --help lists them.
std::span<const std::string_view> completion_shells();

} // namespace zsyncctl::cli
