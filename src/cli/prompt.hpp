#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "core/cancellation.hpp"

namespace zsyncctl::cli {

/// Reads one line (without its newline) from standard input, a terminal in canonical mode. Returns nullopt
/// at end of input, on a read error, or as soon as `token` is cancelled (Ctrl-C while a question is open:
/// the signal monitor cancels the command's token), so a question never outlives an interrupt. Main
/// thread.
std::optional<std::string> read_answer(const core::CancellationToken& token);

/// Whether an empty answer to ask_yes_no() means yes ("[Y/n]") or no ("[y/N]").
enum class DefaultAnswer { yes, no };

/// Asks "QUESTION [Y/n] " (or "[y/N] ") on stderr; true for y, Y or yes, and for an empty answer when the
/// default is yes; false otherwise, at end of input and when `token` is cancelled. Main thread.
bool ask_yes_no(const std::string& question, DefaultAnswer default_answer,
                const core::CancellationToken& token);

/// Asks for a number in 1..count on stderr (three tries); the zero-based choice, or nullopt for an empty
/// answer, end of input or a cancelled `token`. Main thread.
std::optional<std::size_t> ask_number(std::size_t count, const core::CancellationToken& token);

} // namespace zsyncctl::cli
