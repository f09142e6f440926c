#pragma once

#include <string>
#include <vector>

#include "pkg/registry/registry.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// The package names an image's version locks hold (InstallFacts::root_version_locks: dnf versionlock's
/// configuration, whose [main] `enabled` and `locklist` name the list), read inside `root` natively: each
/// lock line ("NAME-EPOCH:VERSION-RELEASE.ARCH" as `dnf versionlock add` writes it, or a bare name; "!"
/// lines are the plugin's excludes and count too), sorted and unique. Empty for the host, for a manager
/// without the fact, and when the configuration is missing, disabled or names no readable list. Never fails.
std::vector<std::string> root_locked_names(const InstallFacts& facts, const util::Root& root);

/// The arguments that keep the image's locked packages where they are under --root (the host's plugins
/// are off there: they would read the host's list): InstallFacts::root_lock_exclude followed by each name
/// of root_locked_names. Never fails.
std::vector<std::string> root_lock_args(const InstallFacts& facts, const util::Root& root);

} // namespace zsyncctl::pkg
