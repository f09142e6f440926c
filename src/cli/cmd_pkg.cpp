#include <CLI/CLI.hpp>

#include <array>

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
constexpr std::array<PkgRegistrar, 11> k_pkg_registrars{
    &register_pkg_managers, &register_pkg_paths,  register_pkg_search,  register_pkg_install,
    register_pkg_remove,    register_pkg_upgrade, register_pkg_list,    register_pkg_outdated,
    register_pkg_info,      register_pkg_which,   register_pkg_refresh,
};
} // namespace

void register_pkg(CLI::App& app, Context& context) {
    auto* pkg = app.add_subcommand("pkg", "Package managers: detect, paths, search, install, remove, "
                                          "upgrade, list, outdated, info, which, refresh");
    pkg->require_subcommand(0, 1);
    for (PkgRegistrar registrar : k_pkg_registrars) {
        registrar(*pkg, context);
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

} // namespace zsyncctl::cli
