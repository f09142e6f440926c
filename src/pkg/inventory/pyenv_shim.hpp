#pragma once

#include <optional>
#include <string>

#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// What a pyenv shim stands for: the program `pyenv exec` would run, and why.
struct ShimTarget {
    std::string executable; ///< logical path of the real program ($PYENV_ROOT/versions/V/bin/pip, or the
                            ///< next one on PATH for "system")
    std::string version;    ///< the pyenv version that chose it ("3.11.7", "system")
    std::string origin;     ///< where the version came from ("PYENV_VERSION", a .python-version, ...)
};

/// When `executable` (logical, inside `root`) is a pyenv shim (the script `pyenv rehash` writes: it exports
/// PYENV_ROOT and execs "PYENV_ROOT/libexec/pyenv exec"), the program it runs, found the way pyenv does
/// without running anything: PYENV_VERSION, else the nearest .python-version from the working directory
/// upward (both on the host only), else PYENV_ROOT/version, else "system" (the next program of that name on
/// PATH after the shims); a selected version that is not installed fails (not_found) as pyenv does; then
/// the first of the versions that has PYENV_ROOT/versions/V/bin/NAME. nullopt
/// when it is no pyenv shim. As root on the host, a version file, version directory or program that
/// another user controls (not root's, writable by others, a symlink on the way) is never followed: fails
/// with permission_denied. Fails with not_found when no selected version has the program.
util::Result<std::optional<ShimTarget>> resolve_pyenv_shim(const util::Root& root,
                                                           const std::string& executable);

/// True unless this process is root on the host and `path` (logical) is something another user controls:
/// its directory or the file it resolves to fails util::root_may_use. Never fails.
bool root_may_follow(const util::Root& root, const std::string& path);

} // namespace zsyncctl::pkg
