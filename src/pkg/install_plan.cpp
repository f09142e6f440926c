#include "pkg/install_plan.hpp"

#include <array>
#include <cstdio>
#include <string>

namespace zsyncctl::pkg {

namespace {

using Args = std::vector<std::string_view>;

// The table: non-interactive install/remove command lines per manager (managers.md and each manager's
// manual). Names go between prefix and suffix.
const std::vector<ManagerActions>& table() {
    static const std::vector<ManagerActions> k_table = [] {
        std::vector<ManagerActions> t;
        {
            ManagerActions a;
            a.id = "homebrew";
            a.install_prefix = Args{"brew", "install"};
            a.remove_prefix = Args{"brew", "uninstall"};
            a.refuses_root = true;
            a.lock_group = "homebrew";
            a.progress = ProgressStyle::brew_steps;
            a.env = {{"HOMEBREW_NO_AUTO_UPDATE", "1"},
                     {"HOMEBREW_NO_ANALYTICS", "1"},
                     {"HOMEBREW_NO_ENV_HINTS", "1"}};
            t.push_back(std::move(a));
        }
        // Conffile questions are answered the way dpkg would by default (keep the local file when it was
        // changed, take the new one otherwise), so a run never stops at a prompt nobody sees.
        {
            ManagerActions a;
            a.id = "apt";
            a.install_prefix = Args{"apt-get",
                                    "-y",
                                    "-q",
                                    "-o",
                                    "Dpkg::Options::=--force-confdef",
                                    "-o",
                                    "Dpkg::Options::=--force-confold",
                                    "install"};
            a.remove_prefix = Args{"apt-get", "-y", "-q", "remove"};
            a.needs_root = true;
            a.lock_group = "dpkg";
            a.progress = ProgressStyle::apt_status_fd;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "dnf";
            a.install_prefix = Args{"dnf", "-y", "install"};
            a.remove_prefix = Args{"dnf", "-y", "remove"};
            a.needs_root = true;
            a.lock_group = "rpm";
            a.progress = ProgressStyle::counted_steps;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "yum";
            a.install_prefix = Args{"yum", "-y", "install"};
            a.remove_prefix = Args{"yum", "-y", "remove"};
            a.needs_root = true;
            a.lock_group = "rpm";
            a.progress = ProgressStyle::counted_steps;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "zypper";
            a.install_prefix =
                Args{"zypper", "--non-interactive", "--no-color", "install", "--auto-agree-with-licenses"};
            a.remove_prefix = Args{"zypper", "--non-interactive", "--no-color", "remove"};
            a.needs_root = true;
            a.lock_group = "rpm";
            a.progress = ProgressStyle::counted_steps;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "pacman";
            a.install_prefix = Args{"pacman", "--sync", "--noconfirm", "--needed", "--color", "never"};
            a.remove_prefix = Args{"pacman", "--remove", "--noconfirm", "--color", "never"};
            a.needs_root = true;
            a.lock_group = "pacman";
            a.progress = ProgressStyle::counted_steps;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "apk";
            a.install_prefix = Args{"apk", "--no-progress", "add"};
            a.remove_prefix = Args{"apk", "--no-progress", "del"};
            a.needs_root = true;
            a.lock_group = "apk";
            a.progress = ProgressStyle::counted_steps;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "xbps";
            a.install_prefix = Args{"xbps-install", "--yes"};
            a.remove_prefix = Args{"xbps-remove", "--yes"};
            a.needs_root = true;
            a.lock_group = "xbps";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "portage";
            a.install_prefix = Args{"emerge", "--ask=n", "--quiet-build=y"};
            a.remove_prefix = Args{"emerge", "--ask=n", "--depclean"};
            a.needs_root = true;
            a.lock_group = "portage";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "nix";
            a.install_prefix = Args{"nix-env", "--install"};
            a.remove_prefix = Args{"nix-env", "--uninstall"};
            a.lock_group = "nix";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "guix";
            a.install_prefix = Args{"guix", "install"};
            a.remove_prefix = Args{"guix", "remove"};
            a.lock_group = "guix";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "macports";
            a.install_prefix = Args{"port", "-N", "install"};
            a.remove_prefix = Args{"port", "-N", "uninstall"};
            a.needs_root = true;
            a.lock_group = "macports";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "pkg";
            a.install_prefix = Args{"pkg", "install", "-y"};
            a.remove_prefix = Args{"pkg", "delete", "-y"};
            a.needs_root = true;
            a.lock_group = "pkg";
            a.progress = ProgressStyle::counted_steps;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "snap";
            a.install_prefix = Args{"snap", "install"};
            a.remove_prefix = Args{"snap", "remove"};
            a.needs_root = true;
            a.lock_group = "snap";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "flatpak";
            a.install_prefix = Args{"flatpak", "install", "--noninteractive", "-y"};
            a.remove_prefix = Args{"flatpak", "uninstall", "--noninteractive", "-y"};
            a.lock_group = "flatpak";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "chocolatey";
            a.install_prefix = Args{"choco", "install"};
            a.install_suffix = Args{"--yes", "--limit-output", "--no-progress", "--no-color"};
            a.remove_prefix = Args{"choco", "uninstall"};
            a.remove_suffix = Args{"--yes", "--limit-output", "--no-color"};
            a.lock_group = "chocolatey";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "scoop";
            a.install_prefix = Args{"scoop", "install"};
            a.remove_prefix = Args{"scoop", "uninstall"};
            a.lock_group = "scoop";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "winget";
            a.install_prefix = Args{"winget", "install", "--exact", "--id"};
            a.install_suffix =
                Args{"--accept-package-agreements", "--accept-source-agreements", "--disable-interactivity"};
            a.remove_prefix = Args{"winget", "uninstall", "--exact", "--id"};
            a.remove_suffix = Args{"--accept-source-agreements", "--disable-interactivity"};
            a.one_name_per_command = true;
            a.lock_group = "winget";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "npm";
            a.install_prefix =
                Args{"npm",       "install",   "--global", "--no-progress", "--no-update-notifier",
                     "--no-fund", "--no-audit"};
            a.remove_prefix = Args{"npm", "uninstall", "--global", "--no-progress", "--no-update-notifier"};
            a.lock_group = "npm";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "pnpm";
            a.install_prefix = Args{"pnpm", "add", "--global"};
            a.remove_prefix = Args{"pnpm", "remove", "--global"};
            a.lock_group = "pnpm";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "yarn";
            a.install_prefix = Args{"yarn", "global", "add", "--non-interactive"};
            a.remove_prefix = Args{"yarn", "global", "remove", "--non-interactive"};
            a.lock_group = "yarn";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "pip";
            a.install_prefix = Args{"pip", "install", "--no-input", "--disable-pip-version-check"};
            a.remove_prefix = Args{"pip", "uninstall", "--yes", "--disable-pip-version-check"};
            a.lock_group = "pip";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "pipx";
            a.install_prefix = Args{"pipx", "install"};
            a.remove_prefix = Args{"pipx", "uninstall"};
            a.one_name_per_command = true;
            a.lock_group = "pipx";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "cargo";
            a.install_prefix = Args{"cargo", "install", "--color", "never"};
            a.remove_prefix = Args{"cargo", "uninstall", "--color", "never"};
            a.lock_group = "cargo";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "gem";
            a.install_prefix = Args{"gem", "install", "--no-document"};
            a.remove_prefix = Args{"gem", "uninstall", "--all", "--executables"};
            a.lock_group = "gem";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "go";
            a.install_prefix = Args{"go", "install"};
            a.name_suffix_if_unversioned = "@latest";
            a.lock_group = "go";
            a.progress = ProgressStyle::last_line;
            a.why_not = "go has no uninstall command; delete the binary from $(go env GOPATH)/bin";
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "composer";
            a.install_prefix = Args{"composer", "global", "require", "--no-interaction"};
            a.remove_prefix = Args{"composer", "global", "remove", "--no-interaction"};
            a.lock_group = "composer";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "conda";
            a.install_prefix = Args{"conda", "install", "--yes"};
            a.remove_prefix = Args{"conda", "remove", "--yes"};
            a.lock_group = "conda";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "mas";
            a.install_prefix = Args{"mas", "install"};
            a.remove_prefix = Args{"mas", "uninstall"};
            a.lock_group = "mas";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "mise";
            a.install_prefix = Args{"mise", "use", "--global", "--yes"};
            a.remove_prefix = Args{"mise", "uninstall", "--yes"};
            a.lock_group = "mise";
            a.progress = ProgressStyle::last_line;
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "sdkman";
            a.why_not = "sdkman's `sdk` is a shell function, not an executable; run `sdk install NAME` in "
                        "a shell where sdkman-init.sh is sourced";
            t.push_back(std::move(a));
        }
        {
            ManagerActions a;
            a.id = "asdf";
            a.why_not = "asdf installs a tool version through a plugin; run `asdf plugin add NAME` and "
                        "`asdf install NAME VERSION`";
            t.push_back(std::move(a));
        }
        return t;
    }();
    return k_table;
}

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
    return operation == Operation::install ? "install" : "remove";
}

std::span<const ManagerActions> manager_actions() {
    return table();
}

const ManagerActions* find_manager_actions(std::string_view id) {
    for (const ManagerActions& a : table()) {
        if (a.id == id) {
            return &a;
        }
    }
    return nullptr;
}

bool can_perform(const ManagerActions& actions, Operation operation) {
    return operation == Operation::install ? !actions.install_prefix.empty() : !actions.remove_prefix.empty();
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
    if (colon != std::string_view::npos && colon > 0 && find_manager_actions(text.substr(0, colon))) {
        request.manager = std::string(text.substr(0, colon));
        name = text.substr(colon + 1);
    }
    auto valid = validate_package_name(name);
    if (!valid) {
        return util::fail(std::move(valid).error());
    }
    request.name = std::string(name);
    return request;
}

util::Result<InstallPlan> build_plan(std::string_view id, Operation operation,
                                     const std::vector<std::string>& names, const PlanOptions& options) {
    const ManagerActions* actions = find_manager_actions(id);
    if (actions == nullptr) {
        return util::fail(util::ErrorKind::invalid_input, "unknown package manager '" + shown(id) + "'");
    }
    if (!can_perform(*actions, operation)) {
        std::string why =
            actions->why_not.empty() ? "no command for it is known" : std::string(actions->why_not);
        return util::fail(util::ErrorKind::unsupported,
                          std::string(id) + " cannot " + std::string(to_string(operation)) + " by name", why);
    }
    if (names.empty()) {
        return util::fail(util::ErrorKind::invalid_input, "no package names given");
    }
    InstallPlan plan;
    plan.manager = std::string(id);
    plan.operation = operation;
    plan.names = names;
    plan.needs_root = actions->needs_root;
    plan.refuses_root = actions->refuses_root;
    plan.lock_group = std::string(actions->lock_group);
    plan.progress = actions->progress;
    for (const auto& [key, value] : actions->env) {
        plan.env.emplace_back(std::string(key), std::string(value));
    }
    const auto& prefix = operation == Operation::install ? actions->install_prefix : actions->remove_prefix;
    const auto& suffix = operation == Operation::install ? actions->install_suffix : actions->remove_suffix;

    auto start = [&] {
        PlannedCommand cmd;
        cmd.argv.emplace_back(options.executable.empty() ? std::string(prefix.front()) : options.executable);
        if (id == "apt") {
            for (const std::string& setting : options.apt_options) {
                cmd.argv.emplace_back("-o");
                cmd.argv.push_back(setting);
            }
        }
        if (id == "apt" && options.prompts == Prompts::ask_terminal) {
            cmd.argv.emplace_back("-o");
            cmd.argv.emplace_back("Dpkg::Use-Pty=0");
        }
        for (std::size_t i = 1; i < prefix.size(); ++i) {
            bool forced_answer = i + 1 < prefix.size() && prefix[i] == "-o" &&
                                 prefix[i + 1].starts_with("Dpkg::Options::=--force-conf");
            if (forced_answer && options.prompts == Prompts::ask_terminal) {
                ++i; // dpkg asks the user instead
                continue;
            }
            cmd.argv.emplace_back(prefix[i]);
        }
        return cmd;
    };
    auto name_arg = [&](const std::string& name) {
        std::string arg = name;
        if (operation == Operation::install && !actions->name_suffix_if_unversioned.empty() &&
            name.find('@') == std::string::npos) {
            arg += actions->name_suffix_if_unversioned;
        }
        return arg;
    };
    auto finish = [&](PlannedCommand& cmd) {
        for (std::string_view s : suffix) {
            cmd.argv.emplace_back(s);
        }
        plan.commands.push_back(std::move(cmd));
    };
    if (actions->one_name_per_command) {
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
    return plan;
}

std::vector<std::string> apt_root_options(std::string_view root) {
    std::string r(root);
    while (r.size() > 1 && r.back() == '/') {
        r.pop_back();
    }
    return {
        "Dir=" + r,
        "Dir::State::status=" + r + "/var/lib/dpkg/status",
        "Dir::Etc::SourceList=" + r + "/etc/apt/sources.list",
        "Dir::Etc::SourceParts=" + r + "/etc/apt/sources.list.d",
        "Dir::Etc::Parts=" + r + "/etc/apt/apt.conf.d",
        "DPkg::Options::=--root=" + r,
        "DPkg::Options::=--admindir=" + r + "/var/lib/dpkg",
        "DPkg::Options::=--force-not-root",
        "Debug::NoLocking=1",
    };
}

util::Result<std::vector<std::string>> parse_apt_options(std::string_view text) {
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
                                  "bad apt setting '" + shown(setting) + "' in ZSYNCCTL_APT_OPTIONS",
                                  "each setting is Key=Value, separated by spaces or newlines");
            }
            out.emplace_back(setting);
        }
        i = j;
    }
    return out;
}

} // namespace zsyncctl::pkg
