#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/inventory/inventory.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// One crate `cargo install` recorded.
struct CargoInstall {
    std::string name;
    std::string version;
    std::string
        source; ///< the package id's source: "registry+https://...", "git+https://...#rev", "path+file://..."
    std::vector<std::string> bins;
    /// .crates2.json records chosen features (--features, --all-features, --no-default-features).
    bool custom_features = false;
};

/// A cargo package id, "NAME VERSION (SOURCE)", split; false when it is not one. Never fails otherwise.
bool parse_cargo_package_id(std::string_view id, CargoInstall& out);

/// The crates recorded in `install_root` (logical, inside the root): .crates2.json's "installs" (cargo 1.41
/// and later), else .crates.toml's [v1] table (package id = [bins]), as `cargo install --list` prints them.
/// Sorted by name. Fails with not_found when neither file exists, parse when the one read is damaged.
util::Result<std::vector<CargoInstall>> read_cargo_installs(const util::Root& root,
                                                            const std::string& install_root);

/// pkg list / info / which for cargo (the registry's native_cargo method): the install root is
/// $CARGO_INSTALL_ROOT, else $CARGO_HOME, else ~/.cargo (cargo install's own order without --root or a
/// config file's install.root); which matches <root>/bin/CMD against the recorded binaries; outdated reads
/// the candidates from cargo's index cache under $CARGO_HOME (else ~/.cargo), never fetching
/// (cargo_index.hpp). Fills `report`.
void cargo_inventory(const InventoryRequest& request, InventoryReport& report,
                     const core::CancellationToken& token);

} // namespace zsyncctl::pkg
