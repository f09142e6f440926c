#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace zsyncctl::pkg {

/// The kinds of line apt writes to its status fd (apt's doc/progress-reporting.md).
enum class AptStatusKind { dlstatus, pmstatus, pmerror, pmconffile, media_change };

/// One parsed Status-Fd line: "KIND:ID:PERCENT:MESSAGE". For dlstatus ID is a file number, for the pm*
/// kinds a package name (or "dpkg-exec"); for pmconffile ID is the conffile path.
struct AptStatusLine {
    AptStatusKind kind = AptStatusKind::pmstatus;
    std::string id;
    double percent = 0; // 0..100 as apt printed it (clamped)
    std::string message;
};

/// Parses one Status-Fd line (without its newline; a trailing '\r' is ignored). Splits into at most four
/// fields because messages contain ':'; the legacy form with blanks and a '%' ("pmerror: DEB : 75% : MSG")
/// too. "media-change: MEDIUM:DRIVE:MESSAGE" gives the medium as `id` and the drive as `message`. Returns
/// nullopt for a line of another kind or a malformed one (missing fields, a percentage that is not a number).
/// Never throws.
std::optional<AptStatusLine> parse_apt_status_line(std::string_view line);

} // namespace zsyncctl::pkg
