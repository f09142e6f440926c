#include "cli/cli11.hpp"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "cli/completion.hpp"
#include "cli/context.hpp"
#include "cli/install_run.hpp"
#include "pkg/detect/detect.hpp"
#include "pkg/install/install_plan.hpp"
#include "util/strings.hpp"

namespace zsyncctl::cli {

namespace {

struct RefreshArgs {
    std::vector<std::string> managers;
    RunConsent consent;
};

// -m values (repeatable, comma-separated), or the detected managers that can refresh, in registry order.
std::vector<std::string> managers_to_refresh(Context& context, const RefreshArgs& args) {
    std::vector<std::string> out;
    for (const std::string& value : args.managers) {
        for (std::string_view part : util::split(value, ',')) {
            std::string id(part);
            if (id.empty()) {
                continue;
            }
            const pkg::Manager* m = pkg::find_installable_manager(id);
            if (m == nullptr || !pkg::can_perform(*m, pkg::Operation::refresh)) {
                raise_usage(pkg::find_manager(id) != nullptr
                                ? id + " has no metadata refresh"
                                : "unknown package manager '" + util::sanitize_for_display(id) + "'",
                            "managers that can refresh: " + managers_that_can_text(pkg::Operation::refresh));
            }
            if (std::find(out.begin(), out.end(), id) == out.end()) {
                out.push_back(id);
            }
        }
    }
    if (!out.empty()) {
        return out;
    }
    auto detection = pkg::detect_managers(pkg::DetectContext::current(context.root()),
                                          context.options.no_cache ? pkg::UseCache::no : pkg::UseCache::yes);
    for (const pkg::DetectedManager& d : detection.managers) {
        std::string id(d.manager->id);
        const pkg::Manager* m = pkg::find_installable_manager(id);
        if (m != nullptr && pkg::can_perform(*m, pkg::Operation::refresh) &&
            std::find(out.begin(), out.end(), id) == out.end()) {
            out.push_back(std::move(id));
        }
    }
    if (out.empty()) {
        raise_usage("no detected package manager has a metadata refresh",
                    "managers that can refresh: " + managers_that_can_text(pkg::Operation::refresh));
    }
    return out;
}

// One run per manager, in order, each with install's privilege, lock, progress and interruption handling;
// the first failure ends the command with its status.
ExitCode run_refresh(Context& context, const RefreshArgs& args, JsonState& json) {
    for (const std::string& manager : managers_to_refresh(context, args)) {
        pkg::PlanOptions plan_options;
        pkg::InstallPlan plan = make_plan(context, manager, pkg::Operation::refresh, {}, plan_options);
        ManagerChoice choice{manager, args.managers.empty() ? "search" : "option", {}};
        ExitCode code = run_plan(context, choice, plan, plan_options, args.consent, json);
        if (code != ExitCode::success) {
            return code;
        }
        json = JsonState{};
    }
    return ExitCode::success;
}

} // namespace

void register_pkg_refresh(CLI::App& pkg, Context& context) {
    auto* cmd = pkg.add_subcommand("refresh", "Refresh the managers' package metadata (apt-get update, "
                                              "pacman -Sy), with progress");
    auto args = std::make_shared<RefreshArgs>();
    complete_with(cmd->add_option("-m,--manager", args->managers,
                                  "Only this manager (repeatable or comma-separated; default: every detected "
                                  "manager that has a refresh)")
                      ->type_name("M")
                      ->allow_extra_args(false),
                  "refresh-managers");
    add_run_flags(*cmd, args->consent);
    cmd->footer("search, list and outdated never refresh; this does, explicitly: apt-get update into the "
                "apt lists, pacman -Sy into pacman's own sync db (run pkg upgrade after it: a sync without "
                "the upgrade is a partial upgrade), zypper refresh into libzypp's caches, dnf --refresh "
                "makecache into dnf's cache (the root's under --root), flatpak update --appstream, apk "
                "update into apk's APKINDEX cache. Privilege (one "
                "sudo prompt), locks, progress and "
                "interruption as pkg install; nothing to confirm (no package changes).\n"
                "Exit status: 0 refreshed, 1 the manager failed, 2 usage, 130/143/129 interrupted.");
    set_run_action(*cmd, context, pkg::Operation::refresh,
                   [&context, args](JsonState& json) { return run_refresh(context, *args, json); });
}

} // namespace zsyncctl::cli
