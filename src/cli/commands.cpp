#include "cli/commands.hpp"

#include <array>

namespace zsyncctl::cli {

void register_doctor(CLI::App& app, Context& context);
void register_fetch(CLI::App& app, Context& context);
void register_completion(CLI::App& app, Context& context);
void register_pkg(CLI::App& app, Context& context);
void register_version(CLI::App& app, Context& context);
void register_serve(CLI::App& app, Context& context);

namespace {
constexpr std::array k_registrars{
    &register_doctor,     &register_fetch,   &register_pkg,
    &register_completion, &register_version, &register_serve,
};
} // namespace

std::span<const CommandRegistrar> command_registrars() {
    return k_registrars;
}

} // namespace zsyncctl::cli
