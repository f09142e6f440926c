#include "cli/cli11.hpp"
#include <nlohmann/json.hpp>

#include <algorithm>

#include "cli/completion.hpp"
#include "cli/context.hpp"
#include "cli/documents.hpp"
#include "cli/json.hpp"
#include "cli/paths_json.hpp"
#include "pkg/detect/detect.hpp"
#include "pkg/detect/paths.hpp"
#include "pkg/registry/registry.hpp"
#include "util/sanitize.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

struct PathsOptions {
    std::string manager;
    std::string manager_option; // -m, as the other pkg commands name a manager; the same as the operand
    std::string shell;
};

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (const auto& item : items) {
        if (!out.empty()) {
            out += sep;
        }
        out += item;
    }
    return out;
}

// Why there is nothing to export: a manager none of whose directories exists (nix without a profile)
// says so, else every directory is a standard one.
std::string nothing_to_add(const std::vector<pkg::ManagerPaths>& all) {
    std::string text;
    for (const auto& p : all) {
        if (!p.bin.empty() || !p.lib.empty() || !p.include.empty() || !p.pkg_config.empty()) {
            continue;
        }
        std::string id(p.detected->manager->id);
        text += "# zsyncctl: nothing to add for " + id + ": ";
        if (!p.prefix.empty() && !p.prefix_exists) {
            text += "its prefix " + util::sanitize_for_display(p.prefix) + " does not exist\n";
        } else {
            text += "none of its directories exists\n";
        }
    }
    if (text.empty()) {
        text = "# zsyncctl: nothing to add (only standard system directories)\n";
    }
    return text;
}

std::string shell_exports(const std::string& shell, const std::vector<pkg::ManagerPaths>& all,
                          std::string_view arch, Output& out) {
    struct Var {
        const char* name;
        std::vector<std::string> pkg::ManagerPaths::*member;
        std::vector<std::string> dirs;
    };
    std::vector<Var> vars{{"PATH", &pkg::ManagerPaths::bin, {}},
                          {"LIBRARY_PATH", &pkg::ManagerPaths::lib, {}},
                          {"CPATH", &pkg::ManagerPaths::include, {}},
                          {"PKG_CONFIG_PATH", &pkg::ManagerPaths::pkg_config, {}}};
    for (auto& var : vars) {
        for (const auto& paths : all) {
            for (const auto& dir : paths.*(var.member)) {
                if (pkg::is_default_search_dir(dir, arch) ||
                    std::find(var.dirs.begin(), var.dirs.end(), dir) != var.dirs.end()) {
                    continue;
                }
                // A ':' or newline would split or break the variable: leave such a directory out.
                if (dir.find_first_of(":\n") != std::string::npos) {
                    out.warning("left out of " + std::string(var.name) +
                                " (it contains ':' or a newline): " + dir);
                    continue;
                }
                var.dirs.push_back(dir);
            }
        }
    }
    // Each directory is prepended only when the variable does not hold it yet, checked when the output
    // is evaluated: evaluating it twice changes nothing. The last is prepended first to keep the order.
    std::string text;
    for (const auto& var : vars) {
        std::string name = var.name;
        for (auto it = var.dirs.rbegin(); it != var.dirs.rend(); ++it) {
            if (shell == "fish") {
                std::string dir = util::quote_fish(*it);
                text += "contains -- " + dir + " $" + name + "; or set -gx " + name + " " + dir + " $" +
                        name + "\n";
            } else {
                std::string dir = util::quote_posix(*it);
                text += "case \":${" + name + "-}:\" in *:" + dir + ":*) ;; *) export " + name + "=" + dir +
                        "\"${" + name + ":+:${" + name + "}}\" ;; esac\n";
            }
        }
    }
    if (text.empty()) {
        text = nothing_to_add(all);
    }
    return text;
}

} // namespace

std::vector<pkg::ManagerPaths> manager_paths(core::Runtime& runtime, const pkg::DetectContext& detect_context,
                                             const pkg::Detection& detection, const std::string& manager,
                                             bool preferred_only,
                                             const std::function<void(const std::string&)>& warn) {
    std::vector<pkg::ManagerPaths> all;
    for (const auto& d : detection.managers) {
        if (!manager.empty() && d.manager->id != manager) {
            continue;
        }
        // Exports use only the preferred Homebrew: two brews on one PATH fight over the same names.
        if (preferred_only && !d.preferred) {
            continue;
        }
        all.push_back(pkg::resolve_paths(detect_context, d));
        // A manager that alone knows where it installs (gem) is asked; the usual locations stay otherwise.
        if (auto asked =
                pkg::ask_manager_paths(runtime, detect_context, all.back(), std::chrono::seconds(10));
            !asked && asked.error().kind != util::ErrorKind::unsupported) {
            warn(std::string(d.manager->id) + ": " + asked.error().message +
                 "; showing its usual directories");
        }
    }
    return all;
}

nlohmann::json paths_document(const std::vector<pkg::ManagerPaths>& all) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& p : all) {
        list.push_back({
            {"name", std::string(p.detected->manager->id)},
            {"executable", p.detected->executable.empty() ? nlohmann::json(nullptr)
                                                          : nlohmann::json(p.detected->executable)},
            {"preferred", p.detected->preferred},
            {"paths", paths_object(p.prefix, p.bin, p.lib, p.include, p.pkg_config, p.keg_only)},
        });
    }
    return {{"schema_version", k_paths_schema_version}, {"managers", list}};
}

namespace {

ExitCode run_paths(Context& context, PathsOptions options) {
    if (!options.manager_option.empty()) {
        if (!options.manager.empty() && options.manager != options.manager_option) {
            raise_usage("pkg paths names one manager: '" + util::sanitize_for_display(options.manager) +
                            "' and -m '" + util::sanitize_for_display(options.manager_option) + "' differ",
                        "give it once, as -m MANAGER or as the operand");
        }
        options.manager = options.manager_option;
    }
    if (!options.shell.empty() && options.shell != "bash" && options.shell != "zsh" &&
        options.shell != "fish") {
        raise_usage("unknown shell '" + options.shell + "'", "use one of: bash, zsh, fish");
    }
    if (!options.shell.empty() && context.out.json()) {
        raise_usage("--json does not apply to pkg paths --shell: it prints lines for the shell to evaluate",
                    "drop --shell for the JSON form (pkg paths --json)");
    }
    if (!options.manager.empty() && pkg::find_manager(options.manager) == nullptr) {
        std::string valid;
        for (auto id : pkg::manager_ids()) {
            valid += valid.empty() ? "" : ", ";
            valid += id;
        }
        raise_usage("unknown package manager '" + options.manager + "'", "valid managers: " + valid);
    }
    auto detect_context = pkg::DetectContext::current(context.root());
    auto detection = pkg::detect_managers(detect_context,
                                          context.options.no_cache ? pkg::UseCache::no : pkg::UseCache::yes);

    std::vector<pkg::ManagerPaths> all =
        manager_paths(context.runtime(), detect_context, detection, options.manager, !options.shell.empty(),
                      [&context](const std::string& warning) {
                          // A query stopped by Ctrl-C or by the reader leaving is no failure to report.
                          if (!context.out.reader_gone() && !context.runtime().token().is_cancelled()) {
                              context.out.warning(warning);
                          }
                      });
    if (context.out.reader_gone()) {
        return ExitCode::reader_gone;
    }
    if (!options.manager.empty() && all.empty()) {
        raise(util::make_error(util::ErrorKind::not_found,
                               "package manager '" + options.manager + "' is not detected on this machine",
                               "run 'zsyncctl pkg managers --all' to see what was found"));
    }

    if (!options.shell.empty()) {
        context.out.print(shell_exports(options.shell, all, detection.arch, context.out));
        return ExitCode::success;
    }
    if (context.out.json()) {
        context.out.line(json_text(paths_document(all)));
        return ExitCode::success;
    }
    if (all.empty()) {
        context.out.line("No package managers detected.");
        return ExitCode::success;
    }
    for (const auto& p : all) {
        std::string title = std::string(p.detected->manager->id);
        if (!p.prefix.empty()) {
            title += " (prefix " + p.prefix + ")";
        }
        if (!p.detected->preferred) {
            title += " [not preferred]";
        }
        context.out.line(context.out.paint(title, Color::bold));
        auto row = [&](std::string_view label, const std::vector<std::string>& dirs) {
            std::string line = "  " + std::string(label);
            line.append(12 - std::min<std::size_t>(label.size(), 11), ' ');
            line += dirs.empty() ? "-" : join(dirs, " ");
            context.out.line(line);
        };
        row("bin", p.bin);
        row("lib", p.lib);
        row("include", p.include);
        row("pkg-config", p.pkg_config);
        if (p.detected->manager->keg_only_paths) {
            row("keg-only", p.keg_only);
        }
    }
    return ExitCode::success;
}

} // namespace

void register_pkg_paths(CLI::App& pkg, Context& context) {
    auto options = std::make_shared<PathsOptions>();
    auto* cmd =
        pkg.add_subcommand("paths", "Show bin, lib, include and pkg-config dirs of detected managers");
    complete_with(
        cmd->add_option("manager", options->manager, "Only this manager (an id from 'pkg managers --all')")
            ->option_text("MANAGER"),
        "detected-managers");
    complete_with(cmd->add_option("-m,--manager", options->manager_option,
                                  "Only this manager, as the operand names it (the other pkg commands' -m)")
                      ->option_text("MANAGER"),
                  "detected-managers");
    std::vector<std::string> shells;
    for (std::string_view s : completion_shells()) {
        shells.emplace_back(s);
    }
    cmd->add_option("--shell", options->shell,
                    "Print export lines for PATH, LIBRARY_PATH, CPATH, PKG_CONFIG_PATH")
        ->check(CLI::IsMember(shells))
        ->option_text("bash|zsh|fish");
    cmd->final_callback([&context, options] {
        context.set_action([&context, options] { return run_paths(context, *options); });
    });
}

} // namespace zsyncctl::cli
