#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pkg/detect/detect.hpp"

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

/// True when `detected` installs into a prefix owned by root (npm's global prefix /usr, a pip in
/// /usr/local): a manager that runs as the user then needs root too. False when the prefix is unknown or
/// missing. Never fails.
bool prefix_owned_by_root(const DetectContext& context, const DetectedManager& detected);

/// True for directories every compiler, linker and shell already searches (/usr/bin, /usr/lib, the
/// multiarch dirs, ...): exporting them again only reorders the search.
bool is_default_search_dir(std::string_view dir, std::string_view arch);

} // namespace zsyncctl::pkg
