#include "pkg/install/apt_status.hpp"

#include <cstdint>

#include "util/strings.hpp"

namespace zsyncctl::pkg {

namespace {

std::optional<double> parse_percent(std::string_view text) {
    // apt prints "%f"-style numbers ("20.0000"); the legacy form "pmerror: DEB : 75% : MSG" has blanks
    // and a '%'. Read by hand, not with std::from_chars(double): that one member of the static libstdc++
    // made the linker keep libm as a NEEDED library, which every start then mapped (0.3 MiB of RSS).
    // Digits, an optional '-' and '.'; the value is digits / 10^decimals, exact for what apt prints.
    text = util::trim(text);
    if (!text.empty() && text.back() == '%') {
        text.remove_suffix(1);
    }
    bool negative = !text.empty() && text.front() == '-';
    if (negative) {
        text.remove_prefix(1);
    }
    std::uint64_t digits = 0;
    int significant = 0;
    int decimals = 0;
    bool point = false;
    bool any_digit = false;
    for (char c : text) {
        if (c == '.' && !point) {
            point = true;
        } else if (c >= '0' && c <= '9') {
            any_digit = true;
            if (significant < 15) { // past 15 digits a percentage has nothing left to say
                digits = digits * 10 + static_cast<std::uint64_t>(c - '0');
                significant += digits != 0 ? 1 : 0;
                decimals += point ? 1 : 0;
            } else if (!point) {
                return std::nullopt; // not a percentage
            }
        } else {
            return std::nullopt;
        }
    }
    if (!any_digit) {
        return std::nullopt;
    }
    double scale = 1;
    for (; decimals > 0; --decimals) {
        scale *= 10;
    }
    double value = static_cast<double>(digits) / scale; // both exact: one correctly rounded division
    value = negative ? -value : value;
    if (value < 0) {
        value = 0;
    }
    if (value > 100) {
        value = 100;
    }
    return value;
}

} // namespace

std::optional<AptStatusLine> parse_apt_status_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    auto c1 = line.find(':');
    if (c1 == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view kind = line.substr(0, c1);
    AptStatusLine out;
    if (kind == "dlstatus") {
        out.kind = AptStatusKind::dlstatus;
    } else if (kind == "pmstatus") {
        out.kind = AptStatusKind::pmstatus;
    } else if (kind == "pmerror") {
        out.kind = AptStatusKind::pmerror;
    } else if (kind == "pmconffile") {
        out.kind = AptStatusKind::pmconffile;
    } else if (kind == "media-change") {
        out.kind = AptStatusKind::media_change;
    } else {
        return std::nullopt;
    }
    std::string_view rest = line.substr(c1 + 1);
    if (out.kind == AptStatusKind::media_change) {
        // apt writes "media-change: MEDIUM:DRIVE:MESSAGE" (no percentage). A medium's label may itself
        // hold ':' ("... 20090905-11:02"); the drive is a path, so it starts at the first ":/".
        rest = util::trim(rest);
        std::size_t c = rest.find(":/");
        if (c == std::string_view::npos) {
            c = rest.find(':');
        }
        out.id = std::string(util::trim(rest.substr(0, c)));
        if (c != std::string_view::npos) {
            std::string_view drive = rest.substr(c + 1);
            out.message = std::string(util::trim(drive.substr(0, drive.find(':'))));
        }
        return out;
    }
    auto c2 = rest.find(':');
    if (c2 == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view id = rest.substr(0, c2);
    rest = rest.substr(c2 + 1);
    auto c3 = rest.find(':');
    if (c3 == std::string_view::npos) {
        return std::nullopt;
    }
    auto percent = parse_percent(rest.substr(0, c3));
    if (!percent) {
        return std::nullopt;
    }
    out.id = std::string(util::trim(id));
    out.percent = *percent;
    std::string_view message = rest.substr(c3 + 1);
    if (!message.empty() && message.front() == ' ') {
        message.remove_prefix(1); // the legacy form's blank after the ':'
    }
    out.message = std::string(message);
    return out;
}

} // namespace zsyncctl::pkg
