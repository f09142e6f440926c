#include "cli/app.hpp"

#include "cli/cli11.hpp"
#include <algorithm>
#include <cstdio>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/build_info.hpp"
#include "cli/commands.hpp"
#include "cli/context.hpp"
#include "cli/json.hpp"
#include "cli/json_writer.hpp"
#include "cli/terminal.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

std::string version_text() {
    const BuildInfo& info = build_info();
    std::string text = "zsyncctl ";
    text += info.version;
    text += "\ngit revision: ";
    text += info.git_revision;
    text += "\ncompiler: ";
    text += info.compiler;
    text += "\nbuild type: ";
    text += info.build_type;
    text += "\nio_uring: ";
    text += info.io_uring ? "compiled in (liburing)" : "not compiled in";
    return text;
}

std::string version_json() {
    const BuildInfo& info = build_info();
    nlohmann::json doc = {
        {"version", info.version},       {"git_revision", info.git_revision}, {"compiler", info.compiler},
        {"build_type", info.build_type}, {"io_uring", info.io_uring},
    };
    return fast_json_text(doc);
}

namespace {

ColorMode parse_color(const std::string& value) {
    if (value == "always") {
        return ColorMode::always;
    }
    if (value == "never") {
        return ColorMode::never;
    }
    return ColorMode::automatic;
}

// True when `arg` ("-m", "--manager", "--manager=apt") names an option of `cmd` or of a command above it.
bool is_known_option(const CLI::App* cmd, std::string_view arg) {
    std::string name(arg.substr(0, arg.find('=')));
    for (; cmd != nullptr; cmd = cmd->get_parent()) {
        if (cmd->get_option_no_throw(name) != nullptr) {
            return true;
        }
    }
    return false;
}

// The innermost command the parser had reached ("search" of "pkg search"); `app` itself for none.
const CLI::App* parsed_command(const CLI::App& app) {
    const CLI::App* cmd = &app;
    for (std::vector<CLI::App*> subs = cmd->get_subcommands(); !subs.empty(); subs = cmd->get_subcommands()) {
        cmd = subs.front();
    }
    return cmd;
}

// A query or package name that starts with '-' reads as an option, and options written after "--" read as
// operands: for such a command line, the command that works (the options first, then "--", then the
// operands), with each word quoted for the shell. Empty when the mistake is something else.
std::string dash_operand_hint(const CLI::App& app, int argc, const char* const* argv) {
    const CLI::App* cmd = parsed_command(app);
    if (cmd == &app || cmd->get_option_no_throw("--") != nullptr) {
        return {};
    }
    // A command that takes no query or name (pkg managers, version): an unknown option is just unknown.
    if (cmd->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty()) {
        return {};
    }
    std::vector<std::string> options;
    std::vector<std::string> operands;
    bool moved = false;
    bool after_dashes = false;
    bool past_command = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--" && !after_dashes) {
            after_dashes = true;
            continue;
        }
        bool option_like = arg.size() > 1 && arg[0] == '-';
        if (option_like && is_known_option(cmd, arg)) {
            moved = moved || after_dashes;
            options.emplace_back(arg);
            // Its value, unless given with '=' or the option is a flag.
            const CLI::Option* opt = nullptr;
            for (const CLI::App* c = cmd; c != nullptr && opt == nullptr; c = c->get_parent()) {
                opt = c->get_option_no_throw(std::string(arg));
            }
            if (opt != nullptr && opt->get_items_expected_min() > 0 &&
                arg.find('=') == std::string_view::npos && i + 1 < argc) {
                options.emplace_back(argv[++i]);
            }
        } else if (option_like && !after_dashes) {
            moved = true; // an operand that looks like an option
            operands.emplace_back(arg);
        } else if (!after_dashes && !past_command) {
            options.emplace_back(arg); // the command words ("pkg", "search")
        } else {
            // A plain operand before "--" means the user typed the query: an unknown option is a typo.
            if (!after_dashes) {
                return {};
            }
            operands.emplace_back(arg);
        }
        past_command = past_command || arg == cmd->get_name();
    }
    if (!moved || operands.empty()) {
        return {};
    }
    std::string hint = "a query or name that starts with '-' goes after '--', options before it: zsyncctl";
    for (const std::string& word : options) {
        hint += ' ' + (word.find_first_of(" '\"$`\\*?[]{}()<>|&;!#~") == std::string::npos
                           ? word
                           : util::quote_posix(word));
    }
    hint += " --";
    for (const std::string& word : operands) {
        hint += ' ' + util::quote_posix(word);
    }
    return hint;
}

// The command words the parser had reached ("pkg search", "serve"); empty for none.
std::string parsed_command_words(const CLI::App& app) {
    std::string words;
    for (const CLI::App* cmd = parsed_command(app); cmd != &app && cmd != nullptr; cmd = cmd->get_parent()) {
        words.insert(0, words.empty() ? cmd->get_name() : cmd->get_name() + " ");
    }
    return words;
}

// CLI11 reports its own errors; we keep our one-line format and exit code 2. The hint names the help of the
// command the mistake is in ("zsyncctl serve --help"), where its options are listed.
int report_parse_error(CLI::App& app, const CLI::ParseError& e, Output& out, int argc,
                       const char* const* argv) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
        // --help and --help-all are "errors" that carry the help text.
        return app.exit(e);
    }
    std::string hint = dash_operand_hint(app, argc, argv);
    const std::string command = parsed_command_words(app);
    if (hint.empty() && command == "serve") {
        for (int i = 1; i < argc && hint.empty(); ++i) {
            std::string_view arg = argv[i];
            if (arg == "--port" || arg.starts_with("--port=") || arg == "-p" || arg == "--host" ||
                arg.starts_with("--host=")) {
                hint = "serve takes the address and port together: --listen HOST:PORT (for example --listen "
                       "127.0.0.1:8080)";
            }
        }
    }
    if (hint.empty()) {
        hint = "run 'zsyncctl " + (command.empty() ? std::string() : command + " ") + "--help' for usage";
    }
    out.error(util::make_error(util::ErrorKind::invalid_input, e.what(), std::move(hint)));
    return to_int(ExitCode::usage);
}

// CLI11 lists only a command's own options: every subcommand's --help also names the global ones.
void add_global_options_footer(CLI::App& app) {
    std::string globals = "Global options (before or after the command; see zsyncctl --help):";
    std::string line = "\n ";
    for (const CLI::Option* opt :
         app.get_options([](const CLI::Option* o) { return !o->get_group().empty(); })) {
        if (opt == app.get_help_ptr() || opt == app.get_version_ptr()) {
            continue; // each command has its own --help; --version is the program's
        }
        std::string names = opt->get_name(false, true);
        if (!opt->get_option_text().empty()) {
            names += " " + opt->get_option_text();
        }
        if (line.size() + names.size() + 2 > 100) {
            globals += line;
            line = "\n ";
        }
        line += " " + names;
    }
    globals += line;
    std::vector<CLI::App*> pending = app.get_subcommands([](CLI::App*) { return true; });
    while (!pending.empty()) {
        CLI::App* sub = pending.back();
        pending.pop_back();
        if (sub->get_group().empty()) {
            continue; // hidden
        }
        std::string footer = sub->get_footer();
        sub->footer(footer.empty() ? globals : footer + "\n" + globals);
        for (CLI::App* child : sub->get_subcommands([](CLI::App*) { return true; })) {
            pending.push_back(child);
        }
    }
}

// Defines the command line (global options and the subcommands `path` names, all for an empty path) on
// `app`, bound to `context`.
void define_app(CLI::App& app, Context& context, const CommandPath& path) {
    app.name("zsyncctl");
    app.fallthrough();
    app.require_subcommand(0, 1);
    app.footer(
        "Exit status: 0 success, 1 the operation failed, 2 usage or bad input, 130/143/129/131 stopped by\n"
        "SIGINT/SIGTERM/SIGHUP/SIGQUIT, 141 the reader of stdout left.\n"
        "See zsyncctl(1) for the environment variables and JSON formats.");

    GlobalOptions& opts = context.options;
    app.add_flag("--json", opts.json, "Machine-readable JSON output");
    // Defined after --json, whose value CLI11 has then stored, so `--json --version` prints JSON too.
    app.set_version_flag(
        "-V,--version", [&context] { return context.options.json ? version_json() : version_text(); },
        "Show version and build facts");
    app.add_option("--color", opts.color,
                   "Colour output: auto (default; off for non-TTY or NO_COLOR), always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->option_text("auto|always|never");
    app.add_flag("-v,--verbose", opts.verbose, "More detail (repeat for more)");
    app.add_flag("-q,--quiet", opts.quiet, "Only errors and results");
    app.add_option("--root", opts.root,
                   "Inspect the system installed under DIR: reads stay inside DIR, nothing there is run")
        ->option_text("DIR");
    app.add_option("--io-backend", opts.io_backend,
                   "Event loop backend: auto (probe io_uring, else epoll), io_uring, epoll")
        ->check(CLI::IsMember({"auto", "io_uring", "epoll"}))
        ->option_text("auto|io_uring|epoll");
    app.add_flag("--no-cache", opts.no_cache, "Do not read or write the detection and index caches");

    register_commands(app, context, path);
    // The footer is read only by help: --help (which defines the whole tree, an empty path) and the `pkg`
    // group's own help when no member is named. A command line that names one command prints no help, so
    // it skips naming every global option (~30 K instructions of CLI11 name formatting per run).
    if (path.command.empty() || (path.command == "pkg" && path.subcommand.empty())) {
        add_global_options_footer(app);
    }
}

// How parsing went: a command (or the top-level help) is to run, parsing alone ended the run (--help,
// --version, a usage error), or something other than a usage error escaped the parser.
enum class ParseOutcome { proceed, parse_error, internal_error };

ParseOutcome parse_args(CLI::App& app, int argc, const char* const* argv,
                        std::optional<CLI::ParseError>& error, std::string& internal) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        error.emplace(e);
        return ParseOutcome::parse_error;
    } catch (const CommandError& e) {
        internal = e.error.message;
        return ParseOutcome::internal_error;
    } catch (const std::exception& e) {
        internal = e.what();
        return ParseOutcome::internal_error;
    }
    return ParseOutcome::proceed;
}

// `zsyncctl --version` (or -V, with or without --json, in any order) and nothing else: answered before
// CLI11 builds the command tree, which is most of the work left at start-up. The text is the same
// version_text()/version_json() the -V flag prints, so the two cannot drift; any other argument takes the
// full parser.
std::optional<int> answer_version_only(int argc, const char* const* argv) {
    bool version = false;
    bool json = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--version" || arg == "-V") {
            version = true;
        } else if (arg == "--json") {
            json = true;
        } else {
            return std::nullopt;
        }
    }
    if (!version) {
        return std::nullopt;
    }
    std::string text = json ? version_json() : version_text();
    text += '\n';
    std::fwrite(text.data(), 1, text.size(), stdout);
    return std::fflush(stdout) == 0 ? to_int(ExitCode::success) : to_int(ExitCode::failure);
}

int parse_error_code(const CLI::ParseError& e) {
    return e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success) ? to_int(ExitCode::success)
                                                                          : to_int(ExitCode::usage);
}

} // namespace

CommandLineCheck check_command_line_with(const std::vector<std::string>& args, CommandTree tree) {
    Context context;
    CLI::App app;
    std::vector<const char*> argv;
    argv.push_back("zsyncctl");
    for (const std::string& arg : args) {
        argv.push_back(arg.c_str());
    }
    CommandPath path =
        tree == CommandTree::full ? CommandPath{} : needed_commands(std::span(argv).subspan(1));
    define_app(app, context, path);
    std::optional<CLI::ParseError> error;
    CommandLineCheck result;
    switch (parse_args(app, static_cast<int>(argv.size()), argv.data(), error, result.message)) {
    case ParseOutcome::proceed:
        return result;
    case ParseOutcome::parse_error:
        result.code = parse_error_code(*error);
        result.message = error->what();
        result.message += '\n';
        result.message += dash_operand_hint(app, static_cast<int>(argv.size()), argv.data());
        return result;
    case ParseOutcome::internal_error:
        break;
    }
    result.code = to_int(ExitCode::failure);
    return result;
}

std::optional<int> check_command_line(const std::vector<std::string>& args) {
    return check_command_line_with(args, CommandTree::needed).code;
}

int run(int argc, char** argv) {
    if (auto answered = answer_version_only(argc, argv)) {
        return *answered;
    }
    Context context;
    context.arguments.assign(argv + std::min(argc, 1), argv + argc);
    CLI::App app{"zsyncctl: understand and drive the package managers and async I/O of this machine"};
    // Only the command argv names is defined (the whole tree for help and anything unusual): building
    // every command's options was a third of a short command's start-up.
    define_app(app, context, needed_commands(std::span<const char* const>(argv, argc).subspan(1)));
    GlobalOptions& opts = context.options;

    std::optional<CLI::ParseError> error;
    std::string internal;
    ParseOutcome parsed = parse_args(app, argc, argv, error, internal);
    context.out.configure(parse_color(opts.color), opts.verbose, opts.quiet, opts.json);
    if (parsed == ParseOutcome::parse_error) {
        return report_parse_error(app, *error, context.out, argc, argv);
    }
    if (parsed == ParseOutcome::internal_error) {
        context.out.error(util::make_error(util::ErrorKind::internal, "internal error: " + internal,
                                           "please report this with the command line that caused it"));
        return to_int(ExitCode::failure);
    }

    int code = 0;
    try {
        if (!context.action()) {
            std::fputs(app.help().c_str(), stdout);
            code = to_int(ExitCode::success);
        } else {
            (void)context.root(); // every command refuses a missing or non-directory --root DIR (exit 2)
            context.check_overrides();
            code = to_int(context.action()());
        }
    } catch (const CommandError& e) {
        if (!context.out.reader_gone()) { // the reader left: stop quietly
            context.out.error(e.error);
        }
        code = to_int(exit_code_for(e.error.kind));
    } catch (const std::exception& e) {
        context.out.error(util::make_error(util::ErrorKind::internal,
                                           std::string("internal error: ") + e.what(),
                                           "please report this with the command line that caused it"));
        code = to_int(ExitCode::failure);
    }
    restore_terminal();
    // The signal that stopped the command decides the code; a reader that left ends it like SIGPIPE
    // would have ended any other program in a pipeline, only without the kill.
    int by_signal = context.signal_exit_code();
    context.shutdown(); // flushes stdout: the last chance to notice the reader left
    if (by_signal != 0) {
        return by_signal;
    }
    return context.out.reader_gone() ? to_int(ExitCode::reader_gone) : code;
}

} // namespace zsyncctl::cli
