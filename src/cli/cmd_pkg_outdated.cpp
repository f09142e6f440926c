#include "cli/cli11.hpp"

#include <memory>

#include "cli/cmd_pkg_list_report.hpp"

namespace zsyncctl::cli {

void register_pkg_outdated(CLI::App& pkg, Context& context) {
    add_inventory_command(
        pkg, context, pkg::InventoryKind::outdated, "outdated",
        "Installed packages with a newer candidate in the manager's current metadata (never refreshed "
        "implicitly)",
        "apt: installed vs apt's candidate from the configured lists (as apt list --upgradable; "
        "preferences pins and APT::Default-Release applied; a pin it cannot apply is named in a "
        "note). pacman: the local db vs the first sync db that has the package (as pacman -Qu). npm: its "
        "registry's dist-tags.latest is on no disk, so npm outdated -g --json is run (LC_ALL=C, the "
        "configured registry; not under --root), current vs latest. dnf: dnf -C check-update (cache "
        "only) vs rpm's installed versions. pip: pip list --outdated "
        "--format=json (its configured index, PIP_RETRIES=0; an index page it could not fetch is an "
        "error). gem: gem outdated (a source it could not read is an error). flatpak: flatpak remote-ls "
        "--updates --cached per remote (masked refs skipped). A package an "
        "upgrade would skip is shown with the reason: held (apt-mark hold), ignored "
        "(IgnorePkg/IgnoreGroup), excluded (dnf excludepkgs, includepkgs or versionlock), locked (under "
        "--root: the image's dnf versionlock list, read by zsyncctl), pinned (a PIP_CONSTRAINT file).\n"
        "Exit status: 0 nothing outdated, 100 some package would be upgraded (held or ignored ones alone\n"
        "give 0), 2 usage error, 3 could not check (a manager failed, e.g. no lists), 130/143/129/131\n"
        "stopped by SIGINT/SIGTERM/SIGHUP/SIGQUIT, 141 the reader of stdout left.",
        std::make_shared<InventoryOptions>());
}

} // namespace zsyncctl::cli
