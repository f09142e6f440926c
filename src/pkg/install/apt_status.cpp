#include "pkg/install/apt_status.hpp"

#include <charconv>
#include <cmath>

namespace zsyncctl::pkg {

namespace {

std::optional<double> parse_percent(std::string_view text) {
    // apt prints "%f"-style numbers ("20.0000"); from_chars for double is in libstdc++ 11+.
    double value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr != text.data() + text.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
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
        // "media-change:MEDIUM:DRIVE" carries no percentage.
        auto c = rest.find(':');
        out.id = std::string(rest.substr(0, c));
        out.message = c == std::string_view::npos ? std::string() : std::string(rest.substr(c + 1));
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
    out.id = std::string(id);
    out.percent = *percent;
    out.message = std::string(rest.substr(c3 + 1));
    return out;
}

} // namespace zsyncctl::pkg
