#pragma once

// Shared between the detection files of src/pkg; not part of the public interface.

#include <set>
#include <string>
#include <vector>

#include "pkg/detect/detect.hpp"
#include "pkg/detect/probe.hpp"

namespace zsyncctl::pkg::detail {

/// Mutable state of one detection run.
struct DetectState {
    const DetectContext& context;
    std::vector<std::string> path_dirs; // logical, cleaned, absolute, deduplicated
    Detection result;
    std::set<std::string> dependencies; // host paths whose stamps validate the cache
    std::set<std::string> rejected_seen;
    std::set<std::string> depended_logical; // logical paths already in `dependencies` (one walk each)

    /// Probes `logical`, records its parent directory as a cache dependency (and the path itself when it
    /// is a candidate executable or a symlink), and records a rejection when something non-executable is
    /// there.
    FileProbe probe_candidate(const std::string& logical, bool record_rejection);
    /// Records a logical path's host location as a cache dependency.
    void depend_on(const std::string& logical);
};

/// Adds one DetectedManager per Homebrew prefix found, and fills result.homebrew.
void detect_homebrew(DetectState& state, const Manager& entry);

/// The executable names to try for `name` on `os` (Windows adds .exe, .cmd, .bat).
std::vector<std::string> executable_names(std::string_view name, std::string_view os);

/// The markers of `entry` that exist, expanded with `prefix`, as db evidence.
std::vector<Evidence> find_markers(DetectState& state, const Manager& entry, const std::string& prefix);

} // namespace zsyncctl::pkg::detail
