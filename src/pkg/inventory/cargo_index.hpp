#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/inventory/cargo_installs.hpp"
#include "pkg/inventory/inventory_types.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// One version of a crate as a registry index line records it.
struct CargoIndexVersion {
    std::string version; ///< "vers"
    bool yanked = false;
};

/// The versions in one file of cargo's index cache (registry/index/<dir>/.cache/...): a cache version byte,
/// a little-endian u32 index schema version, the index file's own version string (an ETag or
/// Last-Modified line) and a NUL, then NUL-terminated (version, JSON line) pairs. Fails with parse when the
/// header is not there or a pair is cut; JSON lines that are not an index entry are dropped.
util::Result<std::vector<CargoIndexVersion>> parse_cargo_index_cache(std::string_view bytes);

/// The path of a crate's file inside an index (and its .cache), as cargo lays both out: "1/a", "2/ab",
/// "3/a/abc", "ab/cd/abcd…", of the lowercased name. Never fails.
std::string cargo_index_path(std::string_view name);

/// Semantic Versioning 2.0 precedence (build metadata ignored, pre-releases before their release,
/// numeric identifiers numerically and before alphanumeric ones): <0, 0, >0. Never fails.
int compare_semver(std::string_view a, std::string_view b);

/// The version `cargo install NAME` would take from `versions`: the highest that is neither yanked nor a
/// pre-release; empty when there is none. Never fails.
std::string cargo_install_candidate(const std::vector<CargoIndexVersion>& versions);

/// The host names whose index directories under $CARGO_HOME/registry/index (named "<host>-<hash>") can
/// hold the index of `source` (a package id's "registry+URL" / "sparse+URL"), following the
/// [source.crates-io] replace-with chain of $CARGO_HOME/config.toml (and config) as cargo does; `why_not`
/// gets the reason when the replacement is no remote registry (a local-registry or directory source).
/// Never fails: empty when nothing matches.
std::vector<std::string> cargo_index_hosts(const util::Root& root, const std::string& cargo_home,
                                           std::string_view source, std::string* why_not);

/// pkg outdated for cargo installs: each registry crate's candidate from cargo's own index cache under
/// `cargo_home` (the newest cache file of a matching index directory; never a fetch: the cache holds what
/// cargo last resolved, which `note` says), git and path installs and those built with chosen features
/// listed with an empty candidate and the reason they are skipped. Sorted by name. Fails only with
/// cancelled.
util::Result<std::vector<OutdatedPackage>> cargo_outdated(const util::Root& root,
                                                          const std::string& cargo_home,
                                                          const std::vector<CargoInstall>& installs,
                                                          std::string* note,
                                                          const core::CancellationToken& token);

} // namespace zsyncctl::pkg
