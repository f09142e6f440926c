#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pkg/registry/registry.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// Where a detection fact came from.
struct Evidence {
    enum class Source { path_entry, well_known, db, env };
    Source source = Source::path_entry;
    std::string
        path; // the PATH directory, the well-known file, the db/marker file (logical, inside the root)

    /// "PATH entry /usr/bin", "well-known /opt/homebrew/bin/brew", "db /var/lib/pacman/local".
    std::string describe() const;
};

/// One manager found on this machine (Homebrew may appear once per prefix).
struct DetectedManager {
    const Manager* manager = nullptr; // the registry entry; never null in a result
    std::string executable;           // logical path inside the root; empty for marker-only managers
    std::string prefix;               // logical; empty when unknown
    std::vector<Evidence> evidence;   // the executable's origin first, then db/marker files
    bool preferred = true;            // false for a second Homebrew when a native one exists
    std::string mismatch;             // non-empty when flagged (an Intel brew on Apple Silicon, ...)
};

/// A PATH candidate that looked like a manager but was rejected, and why ("a directory", ...).
struct Rejected {
    std::string path;   // logical
    std::string reason; // "a directory", "not executable", "a dangling symlink", "not a regular file"
};

/// Homebrew facts for doctor: every brew found, and the problems worth a check.
struct HomebrewFindings {
    struct Install {
        std::string prefix;     // logical
        std::string executable; // logical
        bool native = true;     // matches the host OS/arch (an arm64 brew on arm64 macOS, ...)
        bool preferred = false; // the one `pkg` uses by default
        std::string mismatch;   // why it is not native; empty when native
    };
    std::vector<Install> installs;
    /// True when more than one prefix holds a brew.
    bool multiple() const { return installs.size() > 1; }
    /// True when a brew that does not match the host arch is installed.
    bool any_mismatch() const;
};

/// The outcome of detection; plain data, copyable.
struct Detection {
    std::string os;                        // the OS detection ran for (after ZSYNCCTL_OS)
    std::string arch;                      // the arch (after ZSYNCCTL_ARCH)
    std::vector<DetectedManager> managers; // registry order; several Homebrew entries preferred-first
    std::vector<Rejected> rejected;
    HomebrewFindings homebrew;
    bool from_cache = false;

    /// The detected entries for `id` (empty when not detected).
    std::vector<const DetectedManager*> find(std::string_view id) const;
};

/// Where detection looks: the root, the OS/arch, and the environment values it depends on.
/// Tests build it directly; `current()` reads the process environment.
struct DetectContext {
    util::Root root;
    std::string os;
    std::string arch;
    std::string path_env;            // $PATH
    std::optional<std::string> home; // $HOME (logical)
    /// Values of the {env:NAME} variables the registry mentions, and HOMEBREW_PREFIX.
    std::vector<std::pair<std::string, std::string>> env;

    /// The context for this process: `root`, platform::host_identity(), and the environment.
    static DetectContext current(util::Root root);

    /// The value of env NAME, or nullopt when unset or empty.
    std::optional<std::string> getenv(std::string_view name) const;
};

enum class UseCache { yes, no };

/// Detects every registry manager present for `context`. With UseCache::yes, a cache file in
/// util::cache_dir() keyed by root+os+arch+environment is reused while every file it depended on keeps
/// its mtime, and rewritten otherwise (atomically; a corrupt one is ignored). Never fails: unreadable
/// places count as absent, and cache problems only cost speed.
Detection detect_managers(const DetectContext& context, UseCache use_cache = UseCache::yes);

/// Detection without the cache (what detect_managers does on a miss). Fills `dependencies` when given.
Detection detect_uncached(const DetectContext& context, std::vector<std::string>* dependencies = nullptr);

/// Expands a template ({home}, {env:NAME}, {prefix}, {multiarch}); nullopt when a variable it names is
/// unset or empty (the template is then skipped).
std::optional<std::string> expand_template(std::string_view text, const DetectContext& context,
                                           std::string_view prefix = {});

/// The Debian multiarch triplet for a normalised arch ("x86_64" -> "x86_64-linux-gnu").
std::string multiarch_triplet(std::string_view arch);

} // namespace zsyncctl::pkg
