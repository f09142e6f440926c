#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace zsyncctl::cli {

/// The version of the paths object below, in `pkg paths --json` (schema_version) and doctor --json
/// (whose own schema_version covers it).
inline constexpr int k_paths_schema_version = 1;

/// One manager's directories as `pkg paths --json` and doctor --json (facts.package_managers[].paths)
/// both print them: every key always present, prefix a string or null, the others lists.
inline nlohmann::json paths_object(const std::string& prefix, const std::vector<std::string>& bin,
                                   const std::vector<std::string>& lib,
                                   const std::vector<std::string>& include,
                                   const std::vector<std::string>& pkg_config,
                                   const std::vector<std::string>& keg_only) {
    return {{"prefix", prefix.empty() ? nlohmann::json(nullptr) : nlohmann::json(prefix)},
            {"bin", bin},
            {"lib", lib},
            {"include", include},
            {"pkg_config", pkg_config},
            {"keg_only", keg_only}};
}

} // namespace zsyncctl::cli
