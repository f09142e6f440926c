#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/process.hpp"
#include "core/runtime.hpp"
#include "pkg/detect/detect.hpp"
#include "util/error.hpp"

namespace zsyncctl::pkg {

/// The outcome of one manager's version command (or version file).
struct VersionResult {
    std::optional<std::string> version; // "2.6.1"; nullopt when unknown
    std::string raw;                    // the output line it came from (sanitised), or the last line seen
    std::optional<util::Error> error;   // timeout, command_failed, not_found, unsupported, parse
    std::chrono::milliseconds elapsed{0};
};

/// What a probe command left: how it ended, and its stdout and stderr interleaved (the first 64 KiB).
struct ProbeOutcome {
    core::ProcessResult result;
    std::string output;
};

/// Starts a probe command (a version command, gem environment) on the runtime's loop: argv only, LC_ALL=C,
/// stdin from /dev/null, its own process group killed at `timeout`. The future fails only when the
/// process could not be started (not_found, ...); how it ended is in the outcome.
core::Future<ProbeOutcome> start_probe_command(core::Runtime& runtime, std::vector<std::string> argv,
                                               std::chrono::milliseconds timeout,
                                               const core::CancellationToken& token);

/// Runs every manager's version command concurrently (all processes start at once; the runtime's pool
/// collects them) with LC_ALL=C, stdin from /dev/null, argv only. Each one gets until `timeout` after
/// the start; one still running then has its process group killed and is reported as a timeout.
/// Results are in the order of `managers`. A failure is reported in its result, never thrown.
/// Under a non-host root nothing inside it runs: versions come from the root's package database (the
/// registry's version_db) or are reported unknown ("not executed under --root").
std::vector<VersionResult> probe_versions(core::Runtime& runtime, const DetectContext& context,
                                          const std::vector<DetectedManager>& managers,
                                          std::chrono::milliseconds timeout);

/// The first version-looking token in `output` ("apt 2.6.1 (amd64)" -> "2.6.1", "go1.19.8" -> "1.19.8"):
/// digits with at least one dot, plus any suffix of letters, digits and .+~_-. nullopt when none.
std::optional<std::string> extract_version(std::string_view output);

} // namespace zsyncctl::pkg
