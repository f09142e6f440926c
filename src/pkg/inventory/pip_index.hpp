#pragma once

#include <string>
#include <vector>

#include "core/cancellation.hpp"

namespace zsyncctl::pkg {

/// The hosts of the package indexes `pip list` would ask: index-url (pypi.org unless set) and
/// extra-index-url as pip settles them (the global, user and site pip.conf files beside `executable`'s
/// prefix, PIP_CONFIG_FILE, then PIP_INDEX_URL / PIP_EXTRA_INDEX_URL; [list] over [global]); empty when
/// pip would ask no host whose name can be checked (no-index, a file:// index). Reads files only.
std::vector<std::string> pip_index_hosts(const std::string& executable);

/// The first of pip_index_hosts when none of them resolves (getent, bounded like search's check), else
/// empty: offline, `pip list --outdated` tries every installed distribution's page in turn (15 s for 94
/// here) before it says what one lookup says at once.
std::string unresolvable_pip_index(const std::string& executable, const core::CancellationToken& token);

} // namespace zsyncctl::pkg
