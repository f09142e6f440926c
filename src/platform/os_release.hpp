#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/root.hpp"

namespace zsyncctl::platform {

/// The distribution as described by os-release (in a container: the image's userland). Plain data.
struct Distro {
    std::string id;                   // ID, lower-case ("debian"); "linux" when the file has none
    std::vector<std::string> id_like; // ID_LIKE split on spaces ("rhel", "fedora")
    std::string name;                 // NAME
    std::string pretty_name;          // PRETTY_NAME
    std::string version_id;           // VERSION_ID; empty on rolling distros
    std::string version_codename;     // VERSION_CODENAME
    std::string build_id;             // BUILD_ID (rolling distros often set it instead of VERSION_ID)
    bool rolling = false;             // no VERSION_ID, or a known rolling distro
    std::string source;               // the file it came from ("/etc/os-release")
};

/// Parses os-release / lsb-release text (KEY=value lines; values unquoted, "double" with \" \\ \$ \`
/// escapes, or 'single'); comments and malformed lines are skipped.
std::map<std::string, std::string> parse_os_release(std::string_view text);

/// The distro from `fields` of an os-release file (`source` is recorded as is).
Distro distro_from_fields(const std::map<std::string, std::string>& fields, std::string source);

/// Reads /etc/os-release, then /usr/lib/os-release, then /etc/lsb-release (DISTRIB_* keys) through `root`;
/// nullopt when none is readable.
std::optional<Distro> read_distro(const util::Root& root);

} // namespace zsyncctl::platform
