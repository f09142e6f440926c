#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zsyncctl::pkg {

/// What apt knows about the file a version comes from, as release pins and origin pins match it
/// (pkgCache::PkgFileIterator): the Release file's fields, the list's component and architecture, the
/// host of the source's URI. dpkg's status file is archive "now" with everything else empty.
struct AptReleaseInfo {
    std::string archive;      ///< "a=": the Release file's Suite
    std::string codename;     ///< "n=": Codename
    std::string origin;       ///< "o=": Origin
    std::string label;        ///< "l=": Label
    std::string version;      ///< "v=": Version
    std::string component;    ///< "c=": the list's component ("main"); empty for a flat repository
    std::string arch;         ///< "b=": the list's architecture
    std::string site;         ///< "Pin: origin": the host of the source URI; empty for file: sources
    bool has_release = false; ///< a Release/InRelease file was read (release pins need one)
};

/// One pin stanza of a preferences file (or APT::Default-Release, a general release pin at 990).
struct AptPin {
    enum class Type { version, release, origin };
    Type type = Type::release;
    std::vector<std::string> packages; ///< names, globs or /regexes/; empty for a general ("*") pin
    std::string data;                  ///< what follows the pin type ("a=stable,o=Debian", "1.2*", a host)
    int priority = 0;
    std::string source; ///< "file:line-of-stanza" for notes
};

/// apt's preferences: the general pins (APT::Default-Release first, then the files in apt's order),
/// which set a list file's priority, and the specific ones, which set a package version's; plus what could
/// not be applied, said plainly.
struct AptPreferences {
    std::vector<AptPin> general;
    std::vector<AptPin> specific;
    std::vector<std::string> unapplied;          ///< "FILE: why" per stanza zsyncctl does not apply
    std::vector<std::string> unapplied_packages; ///< the names those stanzas concern ("*": any)

    /// A list file's priority: the first general pin that matches `file`, else `default_priority`
    /// (500, 100 or 1 from its Release file). Never fails.
    int file_priority(const AptReleaseInfo& file, int default_priority) const;

    /// Index into `specific` of the first pin for package `name` (architecture `arch`) that matches
    /// version `version` found in `file`; -1 when none does. Never fails.
    int specific_pin(std::string_view name, std::string_view arch, std::string_view version,
                     const AptReleaseInfo& file) const;
};

/// Adds the stanzas of one preferences file (`name` for notes) to `prefs` as apt reads them: "Package:"
/// names (globs, /regex/, "*" for a general pin), "Pin: release a=..,n=..,o=..,l=..,v=..,c=..,b=.." or a
/// bare archive/codename/version, "Pin: origin HOST", "Pin: version V*", "Pin-Priority: N" (0 or missing:
/// skipped, as apt does). Stanzas zsyncctl cannot apply (source "src:" pins, architecture-qualified names)
/// go to `unapplied`. Never fails.
void add_apt_preferences(AptPreferences& prefs, std::string_view name, std::string_view text);

/// APT::Default-Release from apt.conf text (`APT::Default-Release "x";` or the nested `APT { ... }`
/// form); empty when not set. Never fails.
std::string apt_default_release(std::string_view conf_text);

/// True when `text` matches apt's pin expression `pattern` (pkgVersionMatch::ExpressionMatches): a
/// "/regex/" (POSIX extended), else a glob (a plain word is a glob matching itself); case ignored in both.
/// An invalid regex matches nothing. Never fails.
bool apt_pin_expression_matches(std::string_view pattern, std::string_view text);

} // namespace zsyncctl::pkg
