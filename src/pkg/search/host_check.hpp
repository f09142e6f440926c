#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/process.hpp"

namespace zsyncctl::pkg {

/// How long a registry host may take to resolve before a network-only manager is called offline: the
/// managers' own resolver waits and retries take seconds (cargo ~11 s, gem once per installed gem).
inline constexpr std::chrono::milliseconds k_resolve_limit{1500};

/// The system's getent when it may be run (a regular file owned by root, not group- or world-writable,
/// as anything run as root must be), and no proxy is configured (through one, the manager reaches its
/// registry without resolving the name itself); empty otherwise: then no check is made.
std::string resolve_checker();

/// `getent ahosts HOST` with LC_ALL=C, bounded by k_resolve_limit and killed at it like any child.
core::ProcessSpec resolve_check(const std::string& getent, std::string_view host);

/// What resolve_check's run says of the host.
enum class HostLookup { resolved, unresolvable, timed_out, cancelled, unknown };

/// Reads a finished resolve_check: getent's exit 2 is "not found", a timeout or cancellation is said as
/// such; anything else (resolved, or the check could not run) lets the manager decide.
HostLookup read_resolve_check(const util::Result<core::ProcessResult>& ran);

} // namespace zsyncctl::pkg
