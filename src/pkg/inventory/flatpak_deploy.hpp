#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/registry/registry.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// What flatpak records of one deployed commit in its `deploy` file (GVariant "(ssasta{sv})").
struct FlatpakDeployData {
    std::string origin;               ///< the remote the ref came from
    std::string commit;               ///< the deployed ostree commit (64 hex digits)
    std::uint64_t installed_size = 0; ///< bytes
    std::string appdata_version;      ///< metadata "appdata-version" (what flatpak list shows as Version)
    std::string appdata_name;         ///< metadata "appdata-name"
    std::string appdata_summary;      ///< metadata "appdata-summary"
};

/// Parses a deploy file's bytes. Fails with parse when the bytes are no "(ssasta{sv})" serialization
/// (every offset is bounds-checked: a damaged file is an error, never a read past the buffer).
util::Result<FlatpakDeployData> parse_flatpak_deploy(std::string_view bytes);

/// One remote of an installation's repo/config.
struct FlatpakRemote {
    std::string name;
    std::string url;
    bool disabled = false; ///< xa.disable=true
};

/// The parts of an installation's repo/config (a GKeyFile) that inventory needs.
struct FlatpakRepoConfig {
    std::vector<std::string> masked; ///< [core] xa.masked patterns (`flatpak mask`)
    std::vector<FlatpakRemote> remotes;
};

/// Parses repo/config text; unknown groups and keys are ignored. Never fails.
FlatpakRepoConfig parse_flatpak_repo_config(std::string_view text);

/// True when `ref` ("app/ID/ARCH/BRANCH") matches one of the mask patterns as flatpak mask means them:
/// "[app/|runtime/]ID[/ARCH[/BRANCH]]", '*' any run of characters inside a part, a missing or empty part
/// any. Never fails.
bool flatpak_ref_masked(const std::vector<std::string>& patterns, std::string_view ref);

/// One deployed ref of one installation.
struct FlatpakRef {
    std::string kind; ///< "app" or "runtime"
    std::string id;
    std::string arch;
    std::string branch;
    std::string installation; ///< "user", "system"
    std::string option;       ///< "--user", "--system"
    std::string dir;          ///< the installation's directory (logical, inside the root)
    FlatpakDeployData deploy;
    bool masked = false;

    /// "app/ID/ARCH/BRANCH", as flatpak names a ref.
    std::string ref() const { return kind + "/" + id + "/" + arch + "/" + branch; }
};

/// One installation as found: its facts, directory and what its repo/config says.
struct FlatpakInstallation {
    const InstallationFacts* facts = nullptr;
    std::string dir; ///< logical, inside the root
    FlatpakRepoConfig config;
};

/// The installations of `facts` that exist inside `root` (the first template of each that expands),
/// in order. Never fails: a missing directory is no installation.
std::vector<FlatpakInstallation> flatpak_installations(const util::Root& root,
                                                       const std::vector<InstallationFacts>& facts);

/// Every ref of the installations with an `active` deployment, sorted by id, arch, branch, installation.
/// A ref whose deploy file cannot be read or parsed is left out and named in `*damaged` (one line each);
/// never fails otherwise.
std::vector<FlatpakRef> read_flatpak_refs(const util::Root& root,
                                          const std::vector<FlatpakInstallation>& installations,
                                          std::vector<std::string>* damaged);

} // namespace zsyncctl::pkg
