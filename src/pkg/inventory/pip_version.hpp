#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/root.hpp"

namespace zsyncctl::pkg {

/// A project name as pip compares it (PEP 503): lowercase, every run of '-', '_' and '.' one '-'.
/// Never fails.
std::string canonical_pip_name(std::string_view name);

/// A version as pip prints it (PEP 440's normal form, what str(packaging.version.Version) gives: "1.0.0-beta"
/// is "1.0.0b0", "v1.0" is "1.0"); a string PEP 440 does not parse comes back trimmed but unchanged (pip
/// 23's legacy versions). Never fails.
std::string normalize_pep440(std::string_view version);

/// Orders two versions as PEP 440 does (epoch, release with trailing zeros ignored, pre, post, dev; a local
/// label sorts after its public version): negative, zero or positive. Unparsable versions compare as
/// strings after every parsable one. Never fails.
int compare_pep440(std::string_view a, std::string_view b);

/// True when `version` satisfies the comma-separated PEP 440 specifiers `specifiers` ("==1.0",
/// ">=1,<2", "~=1.4", "==1.*", "!=1.3"); empty specifiers allow everything. An operator it does not know
/// allows everything. Never fails.
bool satisfies_pep440(std::string_view version, std::string_view specifiers);

/// One requirement line of a constraints file: the project and its specifiers.
struct PipConstraint {
    std::string name;       ///< canonical (canonical_pip_name)
    std::string specifiers; ///< ">=1,<2", "==1.0"; empty when the line names no version
    std::string line;       ///< the line as written (trimmed, without its comment)
    std::string file;       ///< the constraints file (logical)
};

/// The constraints of the files named by PIP_CONSTRAINT (`env_value`: paths separated by whitespace, as pip
/// splits it), read inside `root`: requirement lines "NAME[extras] SPECIFIERS ; MARKERS" (markers are not
/// evaluated: the constraint counts), "-c FILE" / "-r FILE" lines followed relative to the file (5 levels
/// deep), comments, blank lines, other options and URL requirements skipped. Files that cannot be read are
/// skipped. Never fails.
std::vector<PipConstraint> read_pip_constraints(const util::Root& root, std::string_view env_value);

/// The first constraint of `constraints` on `name` (any spelling) that `version` does not satisfy, or
/// nullopt. Never fails.
std::optional<PipConstraint> violated_constraint(const std::vector<PipConstraint>& constraints,
                                                 std::string_view name, std::string_view version);

} // namespace zsyncctl::pkg
