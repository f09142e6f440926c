#pragma once

#include <span>

#include "cli/context.hpp"

namespace zsyncctl::cli {

/// Every subcommand's registrar, in the order they appear in --help. A new subcommand is one
/// cmd_<name>.cpp plus one line in commands.cpp.
std::span<const CommandRegistrar> command_registrars();

} // namespace zsyncctl::cli
