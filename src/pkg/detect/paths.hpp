#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/runtime.hpp"
#include "pkg/detect/detect.hpp"
#include "util/error.hpp"

namespace zsyncctl::pkg {

/// The directories a detected manager installs into, as seen inside the root. Only directories that
/// exist are listed (a fresh machine shows nothing it cannot use).
struct ManagerPaths {
    const DetectedManager* detected = nullptr;
    std::string prefix;
    /// Whether `prefix` exists (a nix profile not created yet, a cargo home before the first install).
    bool prefix_exists = false;
    std::vector<std::string> bin;
    std::vector<std::string> lib;
    std::vector<std::string> include;
    std::vector<std::string> pkg_config;
    /// Homebrew only: keg-only formulae (in <prefix>/opt but not linked), whose dirs are listed above.
    std::vector<std::string> keg_only;
};

/// Expands the registry's path templates for `detected` and keeps the directories that exist. For
/// Homebrew, adds <prefix>/opt/<formula>/{bin,lib,include,lib/pkgconfig} for keg-only formulae: those in
/// <prefix>/opt without a link record in <prefix>/var/homebrew/linked. Never fails.
ManagerPaths resolve_paths(const DetectContext& context, const DetectedManager& detected);

/// Asks the manager where it installs, when its registry entry has a paths_query (gem environment), and
/// puts the answer in `paths`: the prefix it names, the bin directory it names (when it exists), and lib,
/// include and pkg-config expanded again under that prefix. Runs on the host only (never under another
/// root), with `timeout`. Fails with unsupported (no query, or not the host; `paths` unchanged), timeout,
/// command_failed (its status and last line) or parse (a key missing from its output).
util::Result<void> ask_manager_paths(core::Runtime& runtime, const DetectContext& context,
                                     ManagerPaths& paths, std::chrono::milliseconds timeout);

/// The value of the first "KEY: value" line of `text` whose key is `key` (leading blanks and "- "
/// ignored, the value trimmed): "  - INSTALLATION DIRECTORY: /var/lib/gems/3.1.0". nullopt when none.
std::optional<std::string> value_of_key(std::string_view text, std::string_view key);

/// True when `detected` installs into a prefix owned by root (npm's global prefix /usr, a pip in
/// /usr/local): a manager that runs as the user then needs root too. False when the prefix is unknown or
/// missing. Never fails.
bool prefix_owned_by_root(const DetectContext& context, const DetectedManager& detected);

/// True for directories every compiler, linker and shell already searches (/usr/bin, /usr/lib, the
/// multiarch dirs, ...): exporting them again only reorders the search.
bool is_default_search_dir(std::string_view dir, std::string_view arch);

} // namespace zsyncctl::pkg
