#include "pkg/install/version_locks.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

// An ini file's `key` in [main] (the plugin's configuration), or empty.
std::string main_value(std::string_view text, std::string_view key) {
    bool in_main = false;
    for (std::string_view line : util::split_lines(text)) {
        line = util::trim(line);
        if (line.starts_with('[')) {
            in_main = line == "[main]";
            continue;
        }
        auto eq = line.find('=');
        if (in_main && eq != std::string_view::npos && util::trim(line.substr(0, eq)) == key) {
            return std::string(util::trim(line.substr(eq + 1)));
        }
    }
    return {};
}

// The name of one lock pattern: before the "-[EPOCH:]VERSION-RELEASE.ARCH" tail when it has one.
std::string lock_name(std::string_view pattern) {
    if (auto colon = pattern.find(':'); colon != std::string_view::npos) {
        auto dash = pattern.rfind('-', colon);
        return dash == std::string_view::npos ? std::string() : std::string(pattern.substr(0, dash));
    }
    auto last = pattern.rfind('-');
    if (last == std::string_view::npos || last == 0) {
        return std::string(pattern);
    }
    auto before = pattern.rfind('-', last - 1);
    if (before == std::string_view::npos || before == 0) {
        return std::string(pattern);
    }
    // NAME-VERSION-RELEASE[.ARCH] only when VERSION starts with a digit or a glob (a name has dashes too).
    char first = pattern[before + 1];
    bool versioned = (first >= '0' && first <= '9') || first == '*' || first == '?';
    return versioned ? std::string(pattern.substr(0, before)) : std::string(pattern);
}

} // namespace

std::vector<std::string> root_locked_names(const InstallFacts& facts, const util::Root& root) {
    std::vector<std::string> names;
    if (root.is_host() || facts.root_version_locks.empty()) {
        return names;
    }
    auto conf = root.read(facts.root_version_locks, 1u << 20);
    if (!conf) {
        return names;
    }
    std::string enabled = util::to_lower(main_value(*conf, "enabled"));
    std::string list = main_value(*conf, "locklist");
    if (enabled == "0" || enabled == "false" || enabled == "no" || list.empty() || list.front() != '/') {
        return names;
    }
    auto text = root.read(list, 16u << 20); // the image's list: the path means the image's file
    if (!text) {
        return names;
    }
    for (std::string_view line : util::split_lines(*text)) {
        line = util::trim(line);
        if (line.empty() || line.front() == '#') {
            continue;
        }
        if (line.front() == '!') {
            line.remove_prefix(1);
        }
        std::string name = lock_name(line);
        // A name is one argument of the manager: nothing that could read as an option or hold a space.
        if (!name.empty() && name.front() != '-' && name.find_first_of(" \t,") == std::string::npos) {
            names.push_back(std::move(name));
        }
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

std::vector<std::string> root_lock_args(const InstallFacts& facts, const util::Root& root) {
    std::vector<std::string> args;
    for (const std::string& name : root_locked_names(facts, root)) {
        args.push_back(std::string(facts.root_lock_exclude) + name);
    }
    return args;
}

} // namespace zsyncctl::pkg
