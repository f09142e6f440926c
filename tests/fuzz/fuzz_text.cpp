// libFuzzer target: small text parsers. Input "a\0b": pacman desc files, Debian version comparison
// (must be antisymmetric and reflexive), and util's string helpers (sanitize_for_display must return
// valid UTF-8; parse_int/parse_uint must agree with each other).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pkg/search/native/deb_version.hpp"
#include "pkg/search/native/index_pacman.hpp"
#include "util/strings.hpp"

namespace {
int sign(int v) {
    return (v > 0) - (v < 0);
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace zsyncctl;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::size_t nul = input.find('\0');
    std::string_view a = input.substr(0, nul);
    std::string_view b = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);

    (void)pkg::parse_pacman_desc(input);

    if (sign(pkg::compare_deb_versions(a, b)) != -sign(pkg::compare_deb_versions(b, a)) ||
        pkg::compare_deb_versions(a, a) != 0) {
        __builtin_trap();
    }

    if (!util::is_valid_utf8(util::sanitize_for_display(input))) {
        __builtin_trap();
    }
    auto u = util::parse_uint(a);
    auto i = util::parse_int(a);
    if (u && i && *i >= 0 && static_cast<std::uint64_t>(*i) != *u) {
        __builtin_trap();
    }
    (void)util::split_lines(input);
    (void)util::trim(input);
    return 0;
}
