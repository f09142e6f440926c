#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/inventory/inventory.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// One package record of apk's installed database.
struct ApkPackage {
    std::string name;               ///< P:
    std::string version;            ///< V:
    std::string arch;               ///< A:
    std::string description;        ///< T:
    std::string origin;             ///< o:
    std::int64_t size = -1;         ///< I: (bytes)
    std::vector<std::string> files; ///< F: directory + R: file, as "usr/bin/x" (no leading '/')
};

/// The records of apk's lib/apk/db/installed text (blank-line separated "L:value" lines, apk-package(5));
/// a record without P: or V: is dropped. Never fails.
std::vector<ApkPackage> parse_apk_installed(std::string_view text);

/// The package names of apk's world file (etc/apk/world: one dependency per line or space-separated, the
/// name before a version constraint (=, <, >, ~), a "@tag" pinning or a "!" conflict). Never fails.
std::vector<std::string> parse_apk_world(std::string_view text);

/// pkg list / which / info for apk (the registry's native_apk method) from lib/apk/db/installed under the
/// root (explicit when etc/apk/world names the package, else dependency); outdated and info's candidate from
/// apk's cached APKINDEX files (apk_index.hpp). Fills `report`.
void apk_inventory(const InventoryRequest& request, InventoryReport& report,
                   const core::CancellationToken& token);

} // namespace zsyncctl::pkg
