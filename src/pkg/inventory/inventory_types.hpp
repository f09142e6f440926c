#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zsyncctl::pkg {

/// Why a package was installed, where the manager records it.
enum class InstallReason { unknown, explicit_install, dependency };

/// One installed package as its manager's database records it.
struct InstalledPackage {
    std::string name;
    std::string version;
    std::string architecture; ///< as the database says ("amd64", "all", "any"); may be empty
    /// The manager's own state words: dpkg's "want eflag status" ("install ok installed"), "installed"
    /// where a manager has no states.
    std::string state;
    /// dpkg's ${db:Status-Abbrev} ("ii ", "rc ", "hi ", "iUR"); empty for other managers.
    std::string state_abbrev;
    InstallReason reason = InstallReason::unknown;
    bool held = false; ///< upgrades skip it (dpkg hold selection, pacman IgnorePkg/IgnoreGroup)
    /// True when the database gives the package a current version (dpkg: installed, unpacked,
    /// half-configured, ...; false for config-files and not-installed).
    bool present = true;
    /// flatpak: the ref's branch, the remote it came from and its active (deployed) commit; empty elsewhere.
    std::string branch;
    std::string origin;
    std::string commit;
};

/// An installed package with a newer candidate.
struct OutdatedPackage {
    std::string name;
    std::string architecture;
    std::string installed;
    std::string candidate;
    /// Why an upgrade would skip it ("held", "ignored"); empty when an upgrade would take it.
    std::string skip_reason;
    /// flatpak: the installation it is installed in ("user", "system", as InstallationFacts::name); empty
    /// for managers with one installation.
    std::string installation{};
};

/// An installed package that ships a path (`pkg which`).
struct FileOwner {
    std::string package; ///< as the manager names it ("coreutils", "libc6:amd64" for Multi-Arch: same)
    std::string path;    ///< the path as the package's file list records it
    /// pkg which's "could be installed from": the repository (pacman's sync db, apt's Contents list) of a
    /// package that is not installed; empty for an installed owner.
    std::string repository;
};

/// What `pkg info NAME` tells about one package of one manager, read from its databases (no process).
struct PackageInfo {
    std::string manager;
    std::string name;
    std::string architecture; ///< may be empty
    std::string installed;    ///< the installed version; empty when not installed
    std::string candidate;    ///< the version an install or upgrade would take; empty when none is known
    std::string description;  ///< the one-line summary (sanitized)
    std::string repository;   ///< where the candidate comes from (apt: its list; pacman: the sync repository)
    std::int64_t installed_size = -1; ///< bytes, -1 when unknown
    std::int64_t download_size = -1;  ///< bytes of the candidate's archive, -1 when unknown
    bool held = false;                ///< an upgrade skips it (dpkg hold, IgnorePkg/IgnoreGroup)
    InstallReason reason = InstallReason::unknown;
};

/// How one manager's inventory went.
enum class InventoryStatus {
    ok,          ///< read
    error,       ///< the data could not be read (message in `error`)
    unsupported, ///< zsyncctl cannot read this manager's inventory yet, or not for this command
    skipped,     ///< not looked at (a command manager under --root)
    cancelled,   ///< stopped by an interruption
};

/// The JSON/text word for a status ("ok", "error", ...).
std::string_view to_string(InventoryStatus status);

/// The words for a reason: "explicit", "dependency", "unknown".
std::string_view to_string(InstallReason reason);

/// One manager's answer to `pkg list` or `pkg outdated`.
struct InventoryReport {
    std::string manager;
    InventoryStatus status = InventoryStatus::ok;
    std::string error;                      ///< why not ok; empty when ok
    std::string hint;                       ///< what to run to fix it ("run zsyncctl pkg refresh -m apt")
    std::string note;                       ///< a caveat about an ok answer (apt pinning not applied)
    std::vector<InstalledPackage> packages; ///< pkg list: sorted by name, then architecture
    std::vector<OutdatedPackage> outdated;  ///< pkg outdated: sorted by name, then architecture
    std::vector<FileOwner> owners;          ///< pkg which: the packages that ship the path
    /// pkg which, when no installed package of this manager ships it: packages of its repositories that would
    std::vector<FileOwner> providers;
    std::vector<PackageInfo> info; ///< pkg info: the package, one per architecture
    std::int64_t elapsed_ms = 0;
};

} // namespace zsyncctl::pkg
