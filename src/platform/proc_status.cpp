#include "platform/proc_status.hpp"

#include "util/strings.hpp"

namespace zsyncctl::platform {

namespace {

// CapEff is exactly what the kernel prints: up to 16 hex digits.
std::optional<std::uint64_t> parse_hex_mask(std::string_view hex) {
    if (hex.empty() || hex.size() > 16) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    for (char c : hex) {
        int digit = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
        if (digit < 0) {
            return std::nullopt;
        }
        value = (value << 4) | static_cast<std::uint64_t>(digit);
    }
    return value;
}

std::optional<int> parse_small_int(std::string_view text) {
    auto v = util::parse_int(text);
    if (!v || *v < 0 || *v > 1'000'000) {
        return std::nullopt;
    }
    return static_cast<int>(*v);
}

} // namespace

ProcStatus parse_proc_status(std::string_view text) {
    ProcStatus status;
    for (std::string_view line : util::split_lines(text)) {
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            continue;
        }
        std::string_view key = line.substr(0, colon);
        std::string_view value = util::trim(line.substr(colon + 1));
        if (key == "Seccomp") {
            if (auto v = parse_small_int(value)) {
                status.seccomp = v;
            }
        } else if (key == "Seccomp_filters") {
            if (auto v = parse_small_int(value)) {
                status.seccomp_filters = v;
            }
        } else if (key == "CapEff") {
            if (auto v = parse_hex_mask(value)) {
                status.cap_eff = v;
            }
        } else if (key == "TracerPid") {
            if (auto v = util::parse_uint(value)) {
                status.tracer_pid = v;
            }
        } else if (key == "Cpus_allowed_list") {
            if (!value.empty()) {
                status.cpus_allowed_list = std::string(value);
            }
        }
    }
    return status;
}

} // namespace zsyncctl::platform
