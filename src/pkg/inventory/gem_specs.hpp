#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/inventory/inventory_types.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// Where RubyGems keeps the specifications `gem list --local` reads.
struct GemDirs {
    std::vector<std::string> gem_path; ///< Gem.path in order (GEM_PATH entries, then GEM_HOME)
    std::string default_specs;         ///< the default gems' specifications/default; empty when unknown
    bool asked_gem = false;            ///< Gem.path came from `gem environment gempath`
};

/// A gemspec file name taken apart: "nokogiri-1.13.0-x86_64-linux.gemspec" is nokogiri, 1.13.0,
/// x86_64-linux. The version is the first "-" part after the name that RubyGems accepts as a version
/// (digits, then "." parts of letters and digits). False when the name has none.
bool split_gemspec_name(std::string_view file, std::string& name, std::string& version,
                        std::string& platform);

/// Orders two gem versions as Gem::Version does (numeric parts by number, letter parts before numbers,
/// trailing zeros ignored): negative, zero or positive. Never fails.
int compare_gem_versions(std::string_view a, std::string_view b);

/// RubyGems' directories for the gem script `executable` (logical): with GEM_PATH set (not ending in ':')
/// and GEM_HOME set, read natively (Gem::PathSupport: GEM_PATH entries then GEM_HOME); otherwise Gem.path
/// is asked of gem (`gem environment gempath`, LC_ALL=C, host only). The default gems' directory is
/// <interpreter prefix>/lib/ruby/gems/X.Y.0/specifications/default, the interpreter from the script's "#!"
/// line. Fails with unsupported under another root without GEM_PATH/GEM_HOME, or with gem's failure.
util::Result<GemDirs> gem_dirs(const util::Root& root, const std::string& executable,
                               const core::CancellationToken& token);

/// gem list natively: every specifications/*.gemspec file name under each Gem.path directory and the
/// default gems (state "default"), one entry per name, version and platform (architecture: the platform,
/// empty for ruby), a full name seen twice counted once with the default gem first, as RubyGems does.
/// Sorted by name, then newest version first. Fails with cancelled.
util::Result<std::vector<InstalledPackage>> read_gem_specs(const util::Root& root, const GemDirs& dirs,
                                                           const core::CancellationToken& token);

/// The lines "NAME (INSTALLED < LATEST)" of `gem outdated`, sorted by name. Other lines are ignored.
std::vector<OutdatedPackage> parse_gem_outdated(std::string_view text);

/// The first "Gem::RemoteFetcher::FetchError" of gem's --debug output (the source could not be read),
/// as its message; empty when there is none.
std::string gem_source_failure(std::string_view debug_log);

/// Runs `<executable> outdated --debug` (LC_ALL=C, the configured sources) and parses it; a source that
/// could not be read fails the answer (gem outdated itself ignores it and exits 0), and so does, before gem
/// runs, a source host (from the gemrc files' :sources:, else rubygems.org) that getent cannot resolve
/// within 1.5 s (no proxy set). Fails with the spawn
/// error, cancelled, timeout, network (the source) or command_failed (gem's ERROR line).
util::Result<std::vector<OutdatedPackage>> gem_outdated(const std::string& executable,
                                                        const core::CancellationToken& token);

/// pkg info for RubyGems: `name`'s newest installed version and its summary (the gemspec's s.summary),
/// and on the host its candidate from gem_outdated (the installed version when it is up to date). Empty
/// when not installed. Fails with cancelled.
util::Result<std::vector<PackageInfo>> gem_package_info(const util::Root& root, const GemDirs& dirs,
                                                        const std::string& executable, std::string_view name,
                                                        const core::CancellationToken& token);

} // namespace zsyncctl::pkg
