#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/inventory/inventory.hpp"
#include "pkg/inventory/inventory_types.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// One installed formula (a rack Cellar/<name> with at least one keg) or cask (Caskroom/<token>).
struct BrewInstalled {
    std::string name;
    bool cask = false;
    std::string version;               ///< the keg opt/ (or var/homebrew/linked/) points to, else the highest
    std::vector<std::string> versions; ///< every keg's version (formulae); the one installed version (casks)
    std::vector<int> schemes;          ///< each keg's receipt source.versions.version_scheme (0 when absent)
    bool linked = false;               ///< `version` is linked (opt/ or var/homebrew/linked/)
    bool pinned = false;               ///< var/homebrew/pinned/<name> (pinned_casks/<token> for casks)
    InstallReason reason = InstallReason::unknown;
    std::string tap; ///< the receipt's source.tap of `version` ("homebrew/core", "user/tap"); may be empty
};

/// The installed side of one Homebrew prefix.
struct BrewPrefix {
    std::string prefix;                  ///< logical path inside the root ("/opt/homebrew")
    std::vector<BrewInstalled> packages; ///< sorted by name, a formula before a cask of the same name
    std::vector<std::string> damaged;    ///< "NAME VERSION" of kegs whose INSTALL_RECEIPT.json is not JSON
    std::vector<std::string> others;     ///< other prefixes under the root that have a Cellar or Caskroom
};

/// The Homebrew prefix to read under `root`: the first of $HOMEBREW_PREFIX, /opt/homebrew, /usr/local,
/// /home/linuxbrew/.linuxbrew and ~/.linuxbrew that has a Cellar or a Caskroom, read natively: racks and
/// kegs (Cellar/<name>/<version>) with their INSTALL_RECEIPT.json (installed_on_request: explicit, else
/// dependency; source.versions.version_scheme), the linked keg (opt/<name>), casks
/// (Caskroom/<token>/.metadata/<version>/<timestamp>/Casks/<token>.{json,rb}, the newest timestamp) and pins.
/// A prefix with only bin/brew (nothing installed yet) is read as empty. Fails with not_found when no
/// prefix has any of them, io when a directory cannot be read, or cancelled.
util::Result<BrewPrefix> read_brew_prefix(const util::Root& root, const core::CancellationToken& token);

/// pkg list / outdated / info / which for Homebrew (the registry's native_homebrew method), natively: the
/// prefix as read_brew_prefix reads it, candidates from brew's own API cache (brew_cached_api_files:
/// Homebrew 6's internal/packages.<tag>.jws.json or 5.x's formula/cask JSON; never a download) compared as
/// `brew outdated` does (pkg_version and version_scheme, an unlinked current keg outdated unless pinned,
/// `version :latest` casks left out; pins, auto-updating casks and formulae with only HEAD kegs ("HEAD,
/// upgrade with --fetch-HEAD") shown skipped; a formula of another tap than homebrew/core compared with its
/// tap's formula file as read_brew_tap_formula reads it, "tap formula USER/TAP, not checked" without one,
/// "version not readable" when its Ruby hides it), `which` from
/// the prefix's bin/sbin links into the Cellar or Caskroom and "could be installed from" from the cache's
/// executables.txt. Fills `report` (status, note, hint); never throws.
void homebrew_inventory(const InventoryRequest& request, InventoryReport& report,
                        const core::CancellationToken& token);

} // namespace zsyncctl::pkg
