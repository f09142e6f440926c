#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/inventory/inventory_types.hpp"
#include "pkg/registry/registry.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// The Python environment a pip executable works on, found without running anything.
struct PythonEnvironment {
    std::string interpreter; ///< logical path of the interpreter pip's first line names
    std::string version;     ///< "3.11"
    bool venv = false;       ///< a pyvenv.cfg next to the interpreter's bin directory
    /// The directories pip lists, in sys.path order, existing ones only: PYTHONPATH, the user site (when
    /// Python enables it), then the prefix's site-packages / Debian dist-packages (and the base
    /// environment's for a venv with include-system-site-packages).
    std::vector<std::string> site_dirs;
};

/// The environment of the pip script `executable` (logical, inside `root`): its "#!" line (or the
/// "'''exec' PYTHON" line pip writes for long paths) names the interpreter; the version comes from the
/// interpreter's name after its symlinks ("python3.11"), else pyvenv.cfg's version; the environment
/// variables (PYTHONPATH, PYTHONUSERBASE, PYTHONNOUSERSITE, HOME) are read on the host only. Fails with
/// not_found when the script names no Python (a pyenv shim: the hint says to put the environment's bin
/// directory first on PATH), or when no version can be told.
util::Result<PythonEnvironment> python_environment(const util::Root& root, const std::string& executable);

/// pip list natively: every *.dist-info/METADATA and *.egg-info (PKG-INFO) of the site directories, the
/// first of a name (PEP 503 spelling) winning as in pip; name as the metadata writes it, version in PEP
/// 440's normal form (what `pip list --format=json` prints); pip's own skipped names (python, wsgiref,
/// argparse) left out. Reason explicit/dependency from REQUESTED where INSTALLER is pip, else unknown.
/// Sorted by name. Fails with cancelled.
util::Result<std::vector<InstalledPackage>>
read_pip_site(const util::Root& root, const PythonEnvironment& env, const core::CancellationToken& token);

/// The packages of `pip list --outdated --format=json` output ([{"name", "version", "latest_version"}]),
/// sorted by name. Fails with parse on anything else.
util::Result<std::vector<OutdatedPackage>> parse_pip_outdated(const std::string& json);

/// The first of pip's debug-log lines "Could not fetch URL U: REASON - skipping" whose reason is no
/// client error (4xx: not on that index), as "U: REASON" shortened; empty when every page was fetched.
std::string pip_index_failure(std::string_view log);

/// Runs `<executable> list --outdated --format=json` with its debug log on stderr (LC_ALL=C, pip's own
/// index configuration, PIP_RETRIES=0 and a 10 s PIP_TIMEOUT so an unreachable index fails at once) and
/// parses it; a page of the index that could not be fetched fails the whole answer (pip itself prints
/// "[]" and exits 0). Packages whose candidate a PIP_CONSTRAINT file excludes get skip_reason "pinned"
/// (`note` names the constraint). Fails with the spawn error, cancelled, timeout, network (the index
/// unreachable) or command_failed (pip's last stderr line).
util::Result<std::vector<OutdatedPackage>> pip_outdated(const util::Root& root, const std::string& executable,
                                                        std::string* note,
                                                        const core::CancellationToken& token);

/// pkg info for pip: `name` (any spelling) from the site directories (version, METADATA's Summary) and,
/// on the host, its candidate from pip_outdated (the installed version when pip lists it as up to date).
/// Empty when not installed. Fails like read_pip_site; a failed outdated check leaves the candidate empty.
util::Result<std::vector<PackageInfo>> pip_package_info(const util::Root& root, const PythonEnvironment& env,
                                                        const std::string& executable, std::string_view name,
                                                        const core::CancellationToken& token);

} // namespace zsyncctl::pkg
