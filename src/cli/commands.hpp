#pragma once

#include <span>
#include <string_view>

#include "cli/context.hpp"

namespace zsyncctl::cli {

/// Every subcommand's registrar, in the order they appear in --help. A new subcommand is one
/// cmd_<name>.cpp plus one line in commands.cpp (and one in k_commands there, with its name).
std::span<const CommandRegistrar> command_registrars();

/// The part of the command tree a command line can reach: one top-level command and, for the `pkg` group,
/// one of its members. An empty name means all of them (the whole tree, or the whole group).
struct CommandPath {
    std::string_view command;    ///< "doctor", "pkg", ...; empty: every command
    std::string_view subcommand; ///< "managers", "search", ... under pkg; empty: every member
};

/// The commands `args` (the words after the program name) names: the global options first, then a known
/// command word (and a pkg member). The whole tree (an empty path) for anything else: help, --version with
/// a command, completion (its scripts are generated from the tree), an unknown word or option, "--".
/// Parsing with the tree this names gives what parsing with the whole tree gives. Never fails.
CommandPath needed_commands(std::span<const char* const> args);

/// Defines on `app` the subcommands `path` names (all of them, in --help order, for an empty path).
void register_commands(CLI::App& app, Context& context, const CommandPath& path);

} // namespace zsyncctl::cli
