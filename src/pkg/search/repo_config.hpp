#pragma once

#include <cstddef>
#include <string>

#include "pkg/registry/registry.hpp"
#include "util/root.hpp"

namespace zsyncctl::pkg {

/// What a manager's repository configuration says, read natively (RepositoryConfig).
enum class RepositoryPresence {
    none,    ///< no enabled repository is defined anywhere the manager reads
    some,    ///< at least one enabled repository is defined
    unknown, ///< something was not understood or not readable: only the manager can tell
};

/// The answer of read_repository_config: the presence, and for messages where it was read
/// ("/etc/dnf/dnf.conf, /etc/yum.repos.d, ...") and how many repositories were found disabled.
struct RepositoryReading {
    RepositoryPresence presence = RepositoryPresence::unknown;
    std::string where;
    std::size_t disabled = 0;
    /// Why the presence is unknown (a file that could not be read, a variable in a value); empty otherwise.
    std::string why_unknown;
};

/// Reads `config` (registry facts) inside `root` as the manager would: its main configuration files, the
/// repository directories they name (else the defaults), each repository file's sections and their
/// enabled key. Unknown when config has no directories. Never fails; blocking (file reads).
RepositoryReading read_repository_config(const RepositoryConfig& config, const util::Root& root);

} // namespace zsyncctl::pkg
