#include "cli/cli11.hpp"

#include <array>
#include <string_view>

#include "cli/context.hpp"

namespace zsyncctl::cli {

void register_pkg_install(CLI::App& pkg, Context& context);
void register_pkg_remove(CLI::App& pkg, Context& context);
void register_pkg_managers(CLI::App& pkg, Context& context);
void register_pkg_paths(CLI::App& pkg, Context& context);

// The `pkg` group's subcommands, one cmd_pkg_<name>.cpp each, in --help order. Add a line here for a
// new one. An empty list is allowed while the group is being built.
void register_pkg_search(CLI::App& pkg, Context& context);
void register_pkg_list(CLI::App& pkg, Context& context);
void register_pkg_outdated(CLI::App& pkg, Context& context);
void register_pkg_which(CLI::App& pkg, Context& context);
void register_pkg_upgrade(CLI::App& pkg, Context& context);
void register_pkg_refresh(CLI::App& pkg, Context& context);
void register_pkg_info(CLI::App& pkg, Context& context);

namespace {
using PkgRegistrar = void (*)(CLI::App& pkg, Context& context);

struct PkgMember {
    std::string_view name; // the subcommand the registrar adds
    PkgRegistrar registrar;
};

constexpr std::array<PkgMember, 11> k_pkg_members{{
    {"managers", &register_pkg_managers},
    {"paths", &register_pkg_paths},
    {"search", &register_pkg_search},
    {"install", &register_pkg_install},
    {"remove", &register_pkg_remove},
    {"upgrade", &register_pkg_upgrade},
    {"list", &register_pkg_list},
    {"outdated", &register_pkg_outdated},
    {"info", &register_pkg_info},
    {"which", &register_pkg_which},
    {"refresh", &register_pkg_refresh},
}};

// The `pkg` group with the members whose name is `member` (every member when empty).
void register_pkg_group(CLI::App& app, Context& context, std::string_view member) {
    auto* pkg = app.add_subcommand("pkg", "Package managers: detect, paths, search, install, remove, "
                                          "upgrade, list, outdated, info, which, refresh");
    pkg->require_subcommand(0, 1);
    for (const PkgMember& entry : k_pkg_members) {
        if (member.empty() || entry.name == member) {
            entry.registrar(*pkg, context);
        }
    }
    pkg->final_callback([&context, pkg] {
        if (!context.action()) {
            context.set_action([pkg, &context] {
                context.out.print(pkg->help());
                return ExitCode::success;
            });
        }
    });
}

} // namespace

// Declared where they are used (commands.cpp).
bool is_pkg_member(std::string_view name);
void register_pkg_only(CLI::App& app, Context& context, std::string_view member);

bool is_pkg_member(std::string_view name) {
    for (const PkgMember& entry : k_pkg_members) {
        if (entry.name == name) {
            return true;
        }
    }
    return false;
}

void register_pkg(CLI::App& app, Context& context) {
    register_pkg_group(app, context, {});
}

void register_pkg_only(CLI::App& app, Context& context, std::string_view member) {
    register_pkg_group(app, context, member);
}

} // namespace zsyncctl::cli
