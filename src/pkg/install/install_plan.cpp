#include "pkg/install/install_plan.hpp"

#include <array>
#include <cstdio>
#include <string>

#include "pkg/install/version_locks.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// Characters no manager accepts in a package name and that mean something to a shell; named in the error.
constexpr std::string_view k_forbidden = ";$`|&<>'\"()\\*?!{}#";

std::string describe_char(char c) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
        return "a newline";
    }
    if (c == '\t') {
        return "a tab";
    }
    if (c == ' ') {
        return "a space";
    }
    if (u < 0x20 || u == 0x7f) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "a control character (0x%02x)", u);
        return buf;
    }
    if (u >= 0x80) {
        return "a non-ASCII byte";
    }
    return std::string("'") + c + "'";
}

std::string shown(std::string_view name) {
    std::string out;
    for (char c : name.substr(0, 64)) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            out += buf;
        } else {
            out += c;
        }
    }
    if (name.size() > 64) {
        out += "...";
    }
    return out;
}

} // namespace

std::string_view to_string(ProgressStyle style) {
    switch (style) {
    case ProgressStyle::apt_status_fd:
        return "apt_status_fd";
    case ProgressStyle::counted_steps:
        return "counted_steps";
    case ProgressStyle::brew_steps:
        return "brew_steps";
    case ProgressStyle::last_line:
        return "last_line";
    }
    return "last_line";
}

std::string_view to_string(Operation operation) {
    switch (operation) {
    case Operation::install:
        return "install";
    case Operation::remove:
        return "remove";
    case Operation::upgrade:
        return "upgrade";
    case Operation::refresh:
        return "refresh";
    }
    return "install";
}

std::string plan_subject(const InstallPlan& plan) {
    if (plan.operation == Operation::refresh) {
        return "the package metadata";
    }
    return plan.names.empty() ? std::string("every upgradable package") : util::join(plan.names, " ");
}

std::vector<const Manager*> installable_managers() {
    std::vector<const Manager*> out;
    for (const Manager& m : registry()) {
        if (has_install_facts(m)) {
            out.push_back(&m);
        }
    }
    return out;
}

const Manager* find_installable_manager(std::string_view id) {
    const Manager* m = find_manager(id);
    return m != nullptr && has_install_facts(*m) ? m : nullptr;
}

bool can_perform(const Manager& manager, Operation operation) {
    switch (operation) {
    case Operation::install:
        return !manager.install.install_prefix.empty();
    case Operation::remove:
        return !manager.install.remove_prefix.empty();
    case Operation::upgrade:
        return !manager.install.upgrade_prefix.empty() || !manager.install.upgrade_all_prefix.empty();
    case Operation::refresh:
        return !manager.install.refresh_prefix.empty();
    }
    return false;
}

util::Result<void> validate_package_name(std::string_view name) {
    if (name.empty()) {
        return util::fail(util::ErrorKind::invalid_input, "refusing an empty package name");
    }
    if (name.front() == '-') {
        return util::fail(util::ErrorKind::invalid_input,
                          "refusing package name '" + shown(name) + "': it starts with '-' (an option)",
                          "package names never start with '-'; options go before the names");
    }
    if (name.size() > 256) {
        return util::fail(util::ErrorKind::invalid_input,
                          "refusing package name '" + shown(name) + "': longer than 256 characters");
    }
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        bool bad = u <= 0x20 || u >= 0x7f || k_forbidden.find(c) != std::string_view::npos;
        if (bad) {
            return util::fail(util::ErrorKind::invalid_input,
                              "refusing package name '" + shown(name) + "': it contains " + describe_char(c),
                              "package names are letters, digits and . + - _ @ / : = ~ , [ ] ^ %");
        }
    }
    return util::ok();
}

util::Result<PackageRequest> parse_package_request(std::string_view text) {
    PackageRequest request;
    std::string_view name = text;
    auto colon = text.find(':');
    if (colon == 0) {
        return util::fail(util::ErrorKind::invalid_input,
                          "refusing '" + shown(text) + "': nothing before ':' names a package manager",
                          "write MANAGER:NAME (apt:" + shown(text.substr(1)) + ") or the name alone");
    }
    const Manager* manager = nullptr;
    if (colon != std::string_view::npos && (manager = find_manager(text.substr(0, colon))) != nullptr) {
        request.manager = std::string(text.substr(0, colon));
        name = text.substr(colon + 1);
    }
    auto valid = validate_package_name(name);
    if (!valid) {
        return util::fail(std::move(valid).error());
    }
    request.name = std::string(name);
    request.base_name = request.name;
    // "NAME:ARCH": understood by the managers with an arch separator; named with another manager, the
    // colon stays part of the name (pip and npm names never have one, the manager says so).
    std::string_view separator = manager != nullptr ? manager->install.arch_separator : std::string_view(":");
    auto qualifier = separator.empty() ? std::string_view::npos : name.rfind(separator);
    if (qualifier != std::string_view::npos) {
        std::string_view base = name.substr(0, qualifier);
        std::string_view arch = name.substr(qualifier + separator.size());
        bool arch_like =
            !arch.empty() && arch.size() <= 32 && !base.empty() && base.find('=') == std::string_view::npos &&
            arch.front() >= 'a' && arch.front() <= 'z' &&
            arch.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string_view::npos;
        if (arch_like) { // otherwise the colon is the name's own ("apt:foo=1:2.0-1", an epoch)
            request.base_name = std::string(base);
            request.arch = std::string(arch);
        }
    }
    return request;
}

namespace {

// A root_args template with every "{root}" replaced by `root`.
std::string with_root(std::string_view arg, const std::string& root) {
    std::string out;
    std::size_t at = 0;
    for (std::size_t found = arg.find("{root}"); found != std::string_view::npos;
         found = arg.find("{root}", at)) {
        out.append(arg.substr(at, found - at));
        out += root;
        at = found + 6;
    }
    out.append(arg.substr(at));
    return out;
}

} // namespace

util::Result<InstallPlan> build_plan(std::string_view id, Operation operation,
                                     const std::vector<std::string>& names, const PlanOptions& options) {
    const Manager* entry = find_installable_manager(id);
    if (entry == nullptr) {
        if (find_manager(id) != nullptr) {
            return util::fail(util::ErrorKind::unsupported,
                              std::string(id) + " cannot " + std::string(to_string(operation)) +
                                  " packages by name",
                              "zsyncctl knows no command line for it");
        }
        return util::fail(util::ErrorKind::invalid_input, "unknown package manager '" + shown(id) + "'");
    }
    const InstallFacts& facts = entry->install;
    if (!can_perform(*entry, operation)) {
        std::string why = facts.why_not.empty() ? "no command for it is known" : std::string(facts.why_not);
        if (!facts.use_instead.empty()) {
            std::vector<std::string> instead;
            for (std::string_view other : facts.use_instead) {
                instead.emplace_back(other);
            }
            std::vector<std::string> with_prefix;
            for (const std::string& name : names) {
                with_prefix.push_back(instead.front() + ":" + name);
            }
            why += "; use " + util::join(instead, " or ") + " instead: zsyncctl pkg " +
                   std::string(to_string(operation)) + " " + util::join(with_prefix, " ");
        }
        return util::fail(
            util::ErrorKind::unsupported,
            std::string(id) + " cannot " + std::string(to_string(operation)) + " packages by name", why);
    }
    if (!options.root.empty() && facts.root_args.empty()) {
        return util::fail(util::ErrorKind::unsupported,
                          std::string(id) + " cannot " + std::string(to_string(operation)) +
                              " packages under another root (--root)",
                          "managers that can: " + managers_with_root_option());
    }
    bool upgrade_all = operation == Operation::upgrade && names.empty();
    bool refresh = operation == Operation::refresh;
    if (names.empty() && !upgrade_all && !refresh) {
        return util::fail(util::ErrorKind::invalid_input, "no package names given");
    }
    if (refresh && !names.empty()) {
        return util::fail(util::ErrorKind::invalid_input, "a refresh takes no package names");
    }
    if (refresh && facts.refresh_prefix.empty()) {
        return util::fail(util::ErrorKind::unsupported, std::string(id) + " has no metadata refresh",
                          "zsyncctl knows no command for it");
    }
    if (operation == Operation::upgrade &&
        (upgrade_all ? facts.upgrade_all_prefix : facts.upgrade_prefix).empty()) {
        return util::fail(util::ErrorKind::unsupported,
                          std::string(id) + (upgrade_all ? " has no upgrade of everything"
                                                         : " cannot upgrade packages by name"),
                          upgrade_all ? "name the packages to upgrade" : "upgrade them all with --all");
    }
    InstallPlan plan;
    plan.manager = std::string(id);
    plan.operation = operation;
    plan.names = names;
    plan.needs_root = (entry->install_privilege == InstallPrivilege::root ||
                       (entry->install_privilege == InstallPrivilege::user && options.prefix_owned_by_root &&
                        !facts.refuses_root)) &&
                      !(options.root.empty() ? false : facts.root_run_unprivileged);
    plan.refuses_root = facts.refuses_root;
    plan.lock_group = std::string(install_lock_group(*entry));
    plan.progress = facts.progress;
    plan.asks_on_terminal = facts.asks_on_terminal;
    plan.frontend_env = {std::string(facts.frontend_env.first), std::string(facts.frontend_env.second)};
    for (const auto& [key, value] : facts.env) {
        plan.env.emplace_back(std::string(key), std::string(value));
    }
    if (!options.root.empty()) {
        std::string root = options.root;
        while (root.size() > 1 && root.back() == '/') {
            root.pop_back();
        }
        for (const auto& [key, value] : facts.root_env) {
            plan.env.emplace_back(std::string(key), with_root(value, root));
        }
    }
    using Argv = std::vector<std::string_view>;
    static const Argv k_none;
    const Argv& real_prefix = operation == Operation::install  ? facts.install_prefix
                              : operation == Operation::remove ? facts.remove_prefix
                              : refresh                        ? facts.refresh_prefix
                              : upgrade_all                    ? facts.upgrade_all_prefix
                                                               : facts.upgrade_prefix;
    const Argv& simulate_prefix = operation == Operation::install  ? facts.simulate_install_prefix
                                  : operation == Operation::remove ? facts.simulate_remove_prefix
                                  : refresh                        ? k_none
                                  : upgrade_all                    ? facts.simulate_upgrade_all_prefix
                                                                   : facts.simulate_upgrade_prefix;
    std::span<const std::string_view> prefix = real_prefix;
    const Argv& suffix = operation == Operation::install  ? facts.install_suffix
                         : operation == Operation::remove ? facts.remove_suffix
                                                          : k_none;
    bool asked = options.prompts == Prompts::ask_terminal && facts.asks_on_terminal;

    auto start = [&] {
        PlannedCommand cmd;
        cmd.argv.emplace_back(options.executable.empty() ? std::string(prefix.front()) : options.executable);
        if (!options.root.empty()) {
            std::string root = options.root;
            while (root.size() > 1 && root.back() == '/') {
                root.pop_back();
            }
            for (std::string_view arg : facts.root_args) {
                cmd.argv.push_back(with_root(arg, root));
            }
            for (std::string& arg : root_lock_args(facts, util::Root(root))) {
                cmd.argv.push_back(std::move(arg));
            }
        }
        if (!facts.setting_option.empty()) {
            for (const std::string& setting : options.settings) {
                cmd.argv.emplace_back(facts.setting_option);
                cmd.argv.push_back(setting);
            }
        }
        if (asked) {
            for (std::string_view arg : facts.ask_terminal_args) {
                cmd.argv.emplace_back(arg);
            }
        }
        for (std::size_t i = 1; i < prefix.size(); ++i) {
            bool forced_answer = asked && !facts.forced_answer_setting.empty() && i + 1 < prefix.size() &&
                                 prefix[i] == facts.setting_option &&
                                 prefix[i + 1].starts_with(facts.forced_answer_setting);
            if (forced_answer) {
                ++i; // the manager asks the user instead
                continue;
            }
            cmd.argv.emplace_back(prefix[i]);
        }
        for (const std::string& arg : options.scope_args) {
            cmd.argv.push_back(arg);
        }
        return cmd;
    };
    auto name_arg = [&](const std::string& name) {
        std::string arg = name;
        if (operation == Operation::install && !facts.name_suffix_if_unversioned.empty() &&
            name.find('@') == std::string::npos) {
            arg += facts.name_suffix_if_unversioned;
        }
        return arg;
    };
    auto finish = [&](PlannedCommand& cmd) {
        for (std::string_view s : suffix) {
            cmd.argv.emplace_back(s);
        }
        plan.commands.push_back(std::move(cmd));
    };
    bool per_name =
        facts.one_name_per_command || (operation == Operation::upgrade && facts.upgrade_one_name_per_command);
    if (per_name && !names.empty()) {
        for (const std::string& name : names) {
            PlannedCommand cmd = start();
            cmd.argv.push_back(name_arg(name));
            finish(cmd);
        }
    } else {
        PlannedCommand cmd = start();
        for (const std::string& name : names) {
            cmd.argv.push_back(name_arg(name));
        }
        finish(cmd);
    }
    if (refresh && !facts.refresh_then_prefix.empty()) {
        prefix = facts.refresh_then_prefix;
        PlannedCommand then = start();
        finish(then);
    }
    // A simulation takes every name at once even when the run takes one per command (pip's dry run
    // resolves them together, which is what the runs one after another end with).
    if (!simulate_prefix.empty() && facts.simulation != SimulationFormat::none) {
        prefix = simulate_prefix;
        bool was_asked = asked;
        asked = false; // the simulation asks nothing either way
        PlannedCommand sim = start();
        asked = was_asked;
        for (const std::string& name : names) {
            sim.argv.push_back(name_arg(name));
        }
        plan.simulation = std::move(sim);
        plan.simulation_format = facts.simulation;
    }
    return plan;
}

std::string managers_with_arch_qualifier(Operation operation) {
    std::vector<std::string> ids;
    for (const Manager& m : registry()) {
        if (has_install_facts(m) && can_perform(m, operation) && !m.install.arch_separator.empty()) {
            ids.emplace_back(m.id);
        }
    }
    return util::join(ids, ", ");
}

std::string managers_with_root_option() {
    std::vector<std::string> ids;
    for (const Manager& m : registry()) {
        if (has_install_facts(m) && !m.install.root_args.empty()) {
            ids.emplace_back(m.id);
        }
    }
    return util::join(ids, ", ");
}

util::Result<std::vector<std::string>> parse_manager_settings(std::string_view text,
                                                              std::string_view env_name) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t')) {
            ++i;
        }
        std::size_t j = i;
        while (j < text.size() && text[j] != ' ' && text[j] != '\n' && text[j] != '\t') {
            ++j;
        }
        if (j > i) {
            std::string_view setting = text.substr(i, j - i);
            if (setting.front() == '-' || setting.find('=') == std::string_view::npos ||
                setting.front() == '=') {
                return util::fail(util::ErrorKind::invalid_input,
                                  "bad setting '" + shown(setting) + "' in " + std::string(env_name),
                                  "each setting is Key=Value, separated by spaces or newlines");
            }
            out.emplace_back(setting);
        }
        i = j;
    }
    return out;
}

} // namespace zsyncctl::pkg
