#include "pkg/inventory/zypper_outdated.hpp"

#include <algorithm>
#include <chrono>

#include "core/process.hpp"
#include "pkg/inventory/manager_command.hpp"
#include "pkg/search/parsers/xml_scan.hpp"
#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

using parsers::next_xml_tag;
using parsers::xml_attribute;
using parsers::xml_element_text;
using parsers::XmlTag;

// Calls `f(tag)` for every tag of `xml`.
template <typename F>
void each_tag(std::string_view xml, F f) {
    std::size_t pos = 0;
    for (XmlTag tag = next_xml_tag(xml, pos); !tag.name.empty(); tag = next_xml_tag(xml, pos)) {
        pos = tag.end;
        f(tag);
    }
}

// The text of the messages of `type` ("error", "warning"), one line each.
std::vector<std::string> messages(std::string_view xml, std::string_view type) {
    std::vector<std::string> out;
    each_tag(xml, [&](const XmlTag& tag) {
        if (!tag.closing && tag.name == "message" && xml_attribute(tag.attributes, "type") == type) {
            std::string text(util::trim(xml_element_text(xml, tag)));
            std::replace(text.begin(), text.end(), '\n', ' ');
            if (!text.empty()) {
                out.push_back(std::move(text));
            }
        }
    });
    return out;
}

// Fails unless `xml` is zypper's XML stream; with zypper's own error when it printed one.
util::Result<void> check_stream(std::string_view xml) {
    if (auto errors = messages(xml, "error"); !errors.empty()) {
        return util::fail(util::ErrorKind::command_failed, "zypper: " + util::join(errors, "; "));
    }
    if (xml.find("<stream>") == std::string_view::npos || xml.find("</stream>") == std::string_view::npos) {
        return util::fail(util::ErrorKind::parse, "zypper did not print its XML stream (--xmlout)");
    }
    return util::ok();
}

bool before(const OutdatedPackage& a, const OutdatedPackage& b) {
    return a.name != b.name ? a.name < b.name : a.architecture < b.architecture;
}

// The last `limit` bytes of a stream, on one line.
std::string tail_of(std::string_view text, std::size_t limit = 300) {
    std::string t(util::trim(text));
    std::replace(t.begin(), t.end(), '\n', ' ');
    return t.size() > limit ? "..." + t.substr(t.size() - limit) : t;
}

// A "{root}" template with the root directory in place.
std::string with_root(std::string_view text, const std::string& root) {
    std::string out;
    std::size_t at = 0;
    for (std::size_t found = text.find("{root}"); found != std::string_view::npos;
         found = text.find("{root}", at)) {
        out.append(text.substr(at, found - at));
        out += root;
        at = found + 6;
    }
    out.append(text.substr(at));
    return out;
}

// Runs one of the manager's inventory commands (`args` after the executable, `extra` after them) under
// `root` and returns its stdout once the exit code is a success by the manager's table.
util::Result<std::string> run_zypper(const Manager& manager, const util::Root& root,
                                     const std::vector<std::string_view>& args,
                                     const std::vector<std::string>& extra,
                                     const core::CancellationToken& token) {
    if (args.empty() || manager.executables.empty()) {
        return util::fail(util::ErrorKind::unsupported,
                          std::string(manager.id) + " has no command for this in the registry");
    }
    core::ProcessSpec spec;
    spec.argv.emplace_back(manager.executables.front());
    if (!root.is_host()) {
        std::string dir = root.dir().string();
        for (std::string_view arg : manager.install.root_args) {
            spec.argv.push_back(with_root(arg, dir));
        }
        for (const auto& [name, value] : manager.install.root_env) {
            spec.set_env(std::string(name), with_root(value, dir));
        }
    }
    for (std::string_view arg : args) {
        spec.argv.emplace_back(arg);
    }
    spec.argv.insert(spec.argv.end(), extra.begin(), extra.end());
    spec.set_env("LC_ALL", "C");
    spec.timeout = std::chrono::minutes(5);
    std::vector<std::string> argv = spec.argv;
    auto ran = run_manager_command(std::move(spec), std::string(manager.id), token);
    if (!ran) {
        util::Error error = std::move(ran).error();
        if (error.kind == util::ErrorKind::not_found) {
            error.message = std::string(manager.id) + " is not installed on this machine: " + error.message;
        }
        return util::fail(std::move(error));
    }
    bool answered = ran->success() || (ran->outcome == core::ProcessOutcome::exited &&
                                       non_failure_exit(manager, argv, ran->exit_code) != nullptr);
    if (answered) {
        return std::move(ran->stdout_text);
    }
    // zypper prints its errors into the XML stream (exit 7: "System management is locked by the
    // application with pid N").
    auto errors = messages(ran->stdout_text, "error");
    std::string why = !errors.empty() ? util::join(errors, "; ") : tail_of(ran->stderr_text);
    return util::fail(util::ErrorKind::command_failed,
                      std::string(manager.id) + " " + ran->describe() + (why.empty() ? "" : ": " + why));
}

// "Key : value" of one info block.
std::string info_field(std::string_view block, std::string_view key) {
    for (std::string_view line : util::split_lines(block)) {
        auto colon = line.find(':');
        if (colon != std::string_view::npos && util::trim(line.substr(0, colon)) == key) {
            return std::string(util::trim(line.substr(colon + 1)));
        }
    }
    return {};
}

} // namespace

util::Result<std::vector<OutdatedPackage>> parse_zypper_updates(std::string_view xml) {
    if (auto valid = check_stream(xml); !valid) {
        return util::fail(valid.error());
    }
    std::vector<OutdatedPackage> out;
    each_tag(xml, [&](const XmlTag& tag) {
        if (tag.closing || tag.name != "update") {
            return;
        }
        std::string kind = xml_attribute(tag.attributes, "kind");
        if (!kind.empty() && kind != "package") {
            return;
        }
        OutdatedPackage p;
        p.name = xml_attribute(tag.attributes, "name");
        p.architecture = xml_attribute(tag.attributes, "arch");
        p.installed = xml_attribute(tag.attributes, "edition-old");
        p.candidate = xml_attribute(tag.attributes, "edition");
        if (!p.name.empty()) {
            out.push_back(std::move(p));
        }
    });
    std::sort(out.begin(), out.end(), before);
    return out;
}

util::Result<std::vector<ZypperLocked>> parse_zypper_locked(std::string_view xml) {
    if (auto valid = check_stream(xml); !valid) {
        return util::fail(valid.error());
    }
    std::vector<ZypperLocked> out;
    each_tag(xml, [&](const XmlTag& tag) {
        if (!tag.closing && tag.name == "match" && xml_attribute(tag.attributes, "installed") == "true") {
            out.push_back({xml_attribute(tag.attributes, "name"), xml_attribute(tag.attributes, "arch")});
        }
    });
    return out;
}

util::Result<std::vector<PackageInfo>> parse_zypper_info(std::string_view xml) {
    if (auto valid = check_stream(xml); !valid) {
        return util::fail(valid.error());
    }
    std::vector<PackageInfo> out;
    each_tag(xml, [&](const XmlTag& tag) {
        if (tag.closing || tag.name != "message" || xml_attribute(tag.attributes, "type") != "info") {
            return;
        }
        std::string block = xml_element_text(xml, tag);
        PackageInfo i;
        i.name = info_field(block, "Name");
        if (i.name.empty()) {
            return; // "Loading repository data..." and the like
        }
        i.architecture = info_field(block, "Arch");
        i.candidate = info_field(block, "Version");
        i.repository = info_field(block, "Repository");
        i.description = info_field(block, "Summary");
        std::string status = info_field(block, "Status");
        constexpr std::string_view k_out_of_date = "out-of-date (version ";
        if (status.starts_with(k_out_of_date)) {
            std::string_view rest = std::string_view(status).substr(k_out_of_date.size());
            i.installed = std::string(rest.substr(0, rest.find(' ')));
        } else if (status == "up-to-date" || info_field(block, "Installed") == "Yes") {
            i.installed = i.candidate;
        }
        out.push_back(std::move(i));
    });
    return out;
}

util::Result<std::vector<OutdatedPackage>> zypper_outdated(const Manager& manager, const util::Root& root,
                                                           std::string* note,
                                                           const core::CancellationToken& token) {
    const InventoryFacts& facts = manager.inventory;
    // --all first: when it lists nothing, neither does the plain list-updates (one zypper run for the
    // common "nothing outdated"); zypper takes its lock for each, so they cannot run at once.
    const auto& first_argv = facts.outdated_all_argv.empty() ? facts.outdated_argv : facts.outdated_all_argv;
    auto first_text = run_zypper(manager, root, first_argv, {}, token);
    if (!first_text) {
        return util::fail(first_text.error());
    }
    auto all = parse_zypper_updates(*first_text);
    if (!all) {
        return all;
    }
    if (note != nullptr) {
        *note = util::join(messages(*first_text, "warning"), "; ");
    }
    if (facts.outdated_all_argv.empty() || all->empty()) {
        return all;
    }
    auto taken = run_zypper(manager, root, facts.outdated_argv, {}, token);
    if (!taken) {
        return util::fail(taken.error());
    }
    auto out = parse_zypper_updates(*taken);
    if (!out) {
        return out;
    }
    std::vector<OutdatedPackage> left;
    for (auto& p : *all) {
        bool listed = std::any_of(out->begin(), out->end(), [&](const OutdatedPackage& o) {
            return o.name == p.name && o.architecture == p.architecture;
        });
        if (!listed) {
            left.push_back(std::move(p));
        }
    }
    if (left.empty()) {
        return out;
    }
    std::vector<ZypperLocked> locked;
    if (!facts.locks_argv.empty()) {
        auto locks_text = run_zypper(manager, root, facts.locks_argv, {}, token);
        if (!locks_text) {
            return util::fail(locks_text.error());
        }
        auto parsed = parse_zypper_locked(*locks_text);
        if (!parsed) {
            return util::fail(parsed.error());
        }
        locked = std::move(*parsed);
    }
    for (auto& p : left) {
        bool is_locked = std::any_of(locked.begin(), locked.end(), [&](const ZypperLocked& l) {
            return l.name == p.name && (l.architecture.empty() || l.architecture == p.architecture);
        });
        p.skip_reason = is_locked ? "locked" : "not installable";
        out->push_back(std::move(p));
    }
    std::sort(out->begin(), out->end(), before);
    return out;
}

util::Result<std::vector<PackageInfo>> zypper_package_info(const Manager& manager, const util::Root& root,
                                                           std::string_view name,
                                                           const core::CancellationToken& token) {
    const InventoryFacts& facts = manager.inventory;
    auto text = run_zypper(manager, root, facts.info_argv, {"--", std::string(name)}, token);
    if (!text) {
        return util::fail(text.error());
    }
    auto info = parse_zypper_info(*text);
    if (!info) {
        return info;
    }
    bool any_installed =
        std::any_of(info->begin(), info->end(), [](const auto& i) { return !i.installed.empty(); });
    if (any_installed && !facts.locks_argv.empty()) {
        auto locks_text = run_zypper(manager, root, facts.locks_argv, {}, token);
        if (!locks_text) {
            return util::fail(locks_text.error());
        }
        auto locked = parse_zypper_locked(*locks_text);
        if (!locked) {
            return util::fail(locked.error());
        }
        for (auto& i : *info) {
            i.held =
                !i.installed.empty() &&
                std::any_of(locked->begin(), locked->end(), [&](const ZypperLocked& l) {
                    return l.name == i.name && (l.architecture.empty() || l.architecture == i.architecture);
                });
        }
    }
    for (auto& i : *info) {
        i.manager = std::string(manager.id);
    }
    return info;
}

} // namespace zsyncctl::pkg
