#include "cli/commands.hpp"

#include <algorithm>
#include <array>

namespace zsyncctl::cli {

void register_doctor(CLI::App& app, Context& context);
void register_fetch(CLI::App& app, Context& context);
void register_completion(CLI::App& app, Context& context);
void register_pkg(CLI::App& app, Context& context);
void register_pkg_only(CLI::App& app, Context& context, std::string_view member);
bool is_pkg_member(std::string_view name);
void register_version(CLI::App& app, Context& context);
void register_serve(CLI::App& app, Context& context);

namespace {
constexpr std::array k_registrars{
    &register_doctor,     &register_fetch,   &register_pkg,
    &register_completion, &register_version, &register_serve,
};

struct NamedCommand {
    std::string_view name;
    CommandRegistrar registrar;
};

// The commands that can be defined alone. `completion` is missing on purpose: it prints the whole tree.
// `__complete` (what the scripts call on every TAB) comes with `completion`'s registrar.
constexpr std::array<NamedCommand, 6> k_commands{{
    {"doctor", &register_doctor},
    {"fetch", &register_fetch},
    {"pkg", &register_pkg},
    {"__complete", &register_completion},
    {"version", &register_version},
    {"serve", &register_serve},
}};

// The global options that take a value as the next word (without '=').
constexpr std::array<std::string_view, 3> k_valued_globals{"--color", "--root", "--io-backend"};
constexpr std::array<std::string_view, 5> k_flag_globals{"--json", "--verbose", "--quiet", "--no-cache",
                                                         "-v"};

bool is_valued_global_with_equals(std::string_view arg) {
    return std::any_of(k_valued_globals.begin(), k_valued_globals.end(), [arg](std::string_view name) {
        return arg.size() > name.size() && arg.starts_with(name) && arg[name.size()] == '=';
    });
}

// "-v", "-q", "-vv", "-vq": short global flags only.
bool is_short_global_flags(std::string_view arg) {
    return arg.size() > 1 && arg[0] == '-' &&
           std::all_of(arg.begin() + 1, arg.end(), [](char c) { return c == 'v' || c == 'q'; });
}

// Skips the global options from `i` on; returns the index of the first other word, or nullopt when a word
// is an option this scan does not know (the whole tree then answers) or a value is missing.
std::optional<std::size_t> skip_globals(std::span<const char* const> args, std::size_t i) {
    for (; i < args.size(); ++i) {
        std::string_view arg = args[i];
        if (std::find(k_valued_globals.begin(), k_valued_globals.end(), arg) != k_valued_globals.end()) {
            if (++i == args.size()) {
                return std::nullopt;
            }
            continue;
        }
        if (std::find(k_flag_globals.begin(), k_flag_globals.end(), arg) != k_flag_globals.end() ||
            is_valued_global_with_equals(arg) || is_short_global_flags(arg)) {
            continue;
        }
        if (!arg.empty() && arg[0] == '-') {
            return std::nullopt; // --help, --version, "--", a typo: the whole tree
        }
        return i;
    }
    return i;
}

} // namespace

std::span<const CommandRegistrar> command_registrars() {
    return k_registrars;
}

CommandPath needed_commands(std::span<const char* const> args) {
    for (std::string_view arg : args) {
        if (arg == "-h" || arg == "--help" || arg == "--help-all") {
            return {}; // help lists the siblings and is checked against the man page
        }
    }
    std::optional<std::size_t> at = skip_globals(args, 0);
    if (!at || *at == args.size()) {
        return {};
    }
    std::string_view word = args[*at];
    auto found = std::find_if(k_commands.begin(), k_commands.end(),
                              [word](const NamedCommand& c) { return c.name == word; });
    if (found == k_commands.end()) {
        return {};
    }
    CommandPath path{found->name, {}};
    if (found->name != "pkg") {
        return path;
    }
    std::optional<std::size_t> member = skip_globals(args, *at + 1);
    if (member && *member < args.size() && is_pkg_member(args[*member])) {
        path.subcommand = args[*member];
    }
    return path;
}

void register_commands(CLI::App& app, Context& context, const CommandPath& path) {
    if (path.command.empty()) {
        for (CommandRegistrar registrar : k_registrars) {
            registrar(app, context);
        }
        return;
    }
    if (path.command == "pkg" && !path.subcommand.empty()) {
        register_pkg_only(app, context, path.subcommand);
        return;
    }
    for (const NamedCommand& command : k_commands) {
        if (command.name == path.command) {
            command.registrar(app, context);
        }
    }
}

} // namespace zsyncctl::cli
