// libFuzzer target: the detection cache's line format (src/pkg/detect/cache.cpp). A hostile or damaged
// cache file must parse to nothing or to contents that format back to a file which parses to the same
// contents (format(parse(x)) is a fixed point); never a crash, an out-of-bounds read or an exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pkg/detect/cache.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace zsyncctl;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    auto parsed = pkg::parse_cache(input);
    if (!parsed) {
        return 0;
    }
    auto text = pkg::format_cache(*parsed);
    if (!text) {
        __builtin_trap(); // everything parse_cache accepts is storable (no tab, newline or NUL in a field)
    }
    auto again = pkg::parse_cache(*text);
    if (!again) {
        __builtin_trap();
    }
    auto text2 = pkg::format_cache(*again);
    if (!text2 || *text2 != *text) {
        __builtin_trap();
    }
    return 0;
}
