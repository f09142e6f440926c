#pragma once

#include <string>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/inventory/inventory_types.hpp"
#include "pkg/registry/registry.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// npm's global packages under `prefix` (logical, inside `root`): every <prefix>/lib/node_modules/NAME
/// and @SCOPE/NAME with a package.json naming a version (what `npm ls -g --depth=0` lists), name and
/// version from that package.json (name falls back to the directory), reason explicit. Sorted by name.
/// A prefix without lib/node_modules has nothing installed (an empty list). Fails with the read error
/// of the directory, or cancelled.
util::Result<std::vector<InstalledPackage>> read_npm_global(const util::Root& root, const std::string& prefix,
                                                            const core::CancellationToken& token);

/// The packages of `npm outdated -g --json` output (an object NAME -> {current, wanted, latest}):
/// installed is current, candidate is latest. Sorted by name. Fails with parse on anything else, and
/// with command_failed carrying npm's own message when the document is npm's {"error": {...}}.
util::Result<std::vector<OutdatedPackage>> parse_npm_outdated(const std::string& json);

/// Marks the packages of `outdated` whose <prefix>/lib/node_modules entry is a symbolic link (`npm link`,
/// `npm install -g DIR`) as skipped "linked": `npm outdated -g` lists them, `npm update -g` keeps them (it
/// asks for the link's file: spec), and `npm install -g NAME@VERSION` would replace the link with a
/// registry copy. Reads the host's file system (npm runs on the host); never fails.
void mark_npm_links(const std::string& prefix, std::vector<OutdatedPackage>& outdated);

/// Runs `<executable> outdated --global --json --prefix <prefix>` (LC_ALL=C, npm's configured registry,
/// no update notifier) and parses it, linked packages marked (mark_npm_links); exit 1 is "some outdated"
/// through `manager`'s exit-code table.
/// Fails with the spawn error, cancelled, timeout, or command_failed (npm's stderr tail).
util::Result<std::vector<OutdatedPackage>> npm_outdated(const Manager& manager, const std::string& executable,
                                                        const std::string& prefix,
                                                        const core::CancellationToken& token);

} // namespace zsyncctl::pkg
