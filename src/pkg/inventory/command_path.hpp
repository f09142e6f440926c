#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/cancellation.hpp"
#include "pkg/inventory/inventory_types.hpp"
#include "util/result.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// What `pkg which QUERY` looks at: the file the shell would run for a command (or the path given), and
/// every name it goes by on the way.
struct CommandResolution {
    std::string query;
    /// The file PATH found for a command, or the path given; empty when a command is nowhere.
    std::string found;
    /// True when a command was found by the PATH search (false for a path, or for a command found only in a
    /// standard directory that is not on PATH).
    bool on_path = false;
    /// `found`, then each symbolic link's target and a pyenv shim's program, the last one the file itself
    /// with every directory link resolved. Empty when nothing was found.
    std::vector<std::string> steps;
    /// "pyenv 3.11.7 (from /root/.pyenv/version)" when a pyenv shim was followed; empty otherwise.
    std::string shim;
    /// The index in `steps` of the program the shim runs; 0 when no shim was followed.
    std::size_t shim_step = 0;
    /// Why the resolution stopped early (a shim pyenv could not resolve); empty otherwise.
    std::string note;
    /// The names the file lists are matched against: every step under each of its names (the merged-/usr
    /// twin, /bin/ls for /usr/bin/ls where /bin is a link to usr/bin); when nothing was found, the
    /// command's place in each standard PATH directory (which_candidates).
    std::vector<std::string> paths;
};

/// Resolves `query` the way the shell would run it, inside `root`, without running anything: a command
/// name is looked up in PATH order (the host's $PATH; under --root the standard directories), then in the
/// standard directories; symbolic links are followed hop by hop (40 at most), and a pyenv shim is resolved
/// to the program pyenv would run (resolve_pyenv_shim). A relative path is taken from the working directory
/// on the host, from "/" under --root. Never fails: what could not be followed is in `note`.
CommandResolution resolve_command(const util::Root& root, std::string_view query);

/// The logical path of `path` inside `root` with every symbolic link resolved (realpath confined to the
/// root); the lexically normal `path` when it does not exist. Never fails.
std::string canonical_in_root(const util::Root& root, const std::string& path);

/// pkg which for npm: the global packages (read_npm_global under `prefix`) that a step of `resolution` lies
/// in (<prefix>/lib/node_modules/NAME/...), as `npm ls -g` names them; the path is the bin link in
/// <prefix>/bin when the command went through one. When the command was found nowhere, a bin link
/// <prefix>/bin/QUERY is followed instead. Fails like read_npm_global.
util::Result<std::vector<FileOwner>> npm_file_owners(const util::Root& root, const std::string& prefix,
                                                     const CommandResolution& resolution,
                                                     const core::CancellationToken& token);

/// pkg which for pip: the distributions whose RECORD (an egg-info's installed-files.txt) lists a step of
/// `resolution`, as `pip show -f` does, in the Python environment each step's "#!" line names (a venv,
/// --user, a pyenv version); a distribution with neither file claims a script of its interpreter's
/// directory that its entry_points.txt names. Steps that are no Python script are skipped. Never fails
/// but by cancellation.
util::Result<std::vector<FileOwner>> pip_file_owners(const util::Root& root,
                                                     const CommandResolution& resolution,
                                                     const core::CancellationToken& token);

} // namespace zsyncctl::pkg
