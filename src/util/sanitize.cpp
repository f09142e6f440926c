#include "util/sanitize.hpp"

#include "util/strings.hpp"

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace zsyncctl::util {

namespace {

bool is_bidi_control(std::uint32_t cp) {
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

// Where a control string (OSC, DCS, SOS, PM, APC) that starts at `i` ends: after its BEL, ST (ESC \) or
// 8-bit ST (U+009C); the end of the text when it is unterminated.
std::size_t skip_string(std::string_view text, std::size_t i) {
    while (i < text.size()) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == 0x07) {
            return i + 1;
        }
        if (c == 0x1B) {
            return i + 1 < text.size() && text[i + 1] == '\\' ? i + 2 : i + 1;
        }
        if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) == 0x9C) {
            return i + 2;
        }
        ++i;
    }
    return i;
}

// Where a CSI sequence whose parameters start at `i` ends: after its final byte (0x40-0x7E); a byte
// outside the parameter/intermediate ranges ends it early (and stays for the caller).
std::size_t skip_csi(std::string_view text, std::size_t i) {
    while (i < text.size()) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x40 && c <= 0x7E) {
            return i + 1;
        }
        if (c < 0x20 || c > 0x3F) {
            return i;
        }
        ++i;
    }
    return i;
}

// The end of the escape sequence that starts with ESC at `i`.
std::size_t skip_escape(std::string_view text, std::size_t i) {
    std::size_t j = i + 1;
    if (j >= text.size()) {
        return j;
    }
    char kind = text[j];
    if (kind == '[') {
        return skip_csi(text, j + 1);
    }
    if (kind == ']' || kind == 'P' || kind == 'X' || kind == '^' || kind == '_') {
        return skip_string(text, j + 1);
    }
    // nF forms: intermediates 0x20-0x2F, then one final byte.
    while (j < text.size() && static_cast<unsigned char>(text[j]) >= 0x20 &&
           static_cast<unsigned char>(text[j]) <= 0x2F) {
        ++j;
    }
    if (j < text.size() && static_cast<unsigned char>(text[j]) >= 0x30 &&
        static_cast<unsigned char>(text[j]) <= 0x7E) {
        ++j;
    }
    return j;
}

} // namespace

std::string sanitize_terminal(std::string_view text, SanitizeOptions options) {
    if (is_terminal_safe(text)) {
        return std::string(text);
    }
    const std::string_view mark = options.mark_removed ? "?" : "";
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const Utf8Char ch = decode_utf8(text, i);
        const std::uint32_t cp = ch.code_point;
        const std::size_t len = ch.length;
        if (len == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
            continue;
        }
        if (cp == 0x1B) {
            out += mark;
            i = skip_escape(text, i);
            continue;
        }
        if (cp == 0x9B) { // 8-bit CSI
            out += mark;
            i = skip_csi(text, i + len);
            continue;
        }
        if (cp == 0x9D || cp == 0x90 || cp == 0x98 || cp == 0x9E || cp == 0x9F) { // 8-bit OSC, DCS, ...
            out += mark;
            i = skip_string(text, i + len);
            continue;
        }
        if (cp == '\n' && options.keep_newlines) {
            out += '\n';
        } else if (cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029) {
            out += ' ';
        } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || is_bidi_control(cp)) {
            out += mark;
        } else {
            out.append(text.substr(i, len));
        }
        i += len;
    }
    return out;
}

bool is_terminal_safe(std::string_view text) {
    std::size_t i = 0;
#if defined(__SSE2__)
    // 16 bytes at a time while they are all printable ASCII (0x20-0x7E), which is the whole of nearly every
    // package name, version and description (a search for "lib" checks 31k hits' fields, a third of its
    // instructions byte by byte); the first block with anything else is checked byte by byte below, from
    // its start (a character boundary: everything before it was ASCII). The last bytes are one more block:
    // the final 16 bytes (overlapping what was checked) or, for a text shorter than 16, a copy of it of
    // which only its own lanes count. Names and versions are mostly shorter than 16 bytes, and checking
    // them byte by byte cost "lib" a fifth of its instructions.
    const __m128i below_space = _mm_set1_epi8(0x1F);
    const __m128i del = _mm_set1_epi8(0x7F);
    // The lanes of a block that hold printable ASCII, as a 16-bit mask. Signed compares: bytes 0x80-0xFF
    // are negative, so they fail "greater than 0x1F".
    auto printable = [&](__m128i v) {
        return _mm_movemask_epi8(_mm_and_si128(_mm_cmpgt_epi8(v, below_space), _mm_cmplt_epi8(v, del)));
    };
    const std::size_t n = text.size();
    if (n < 16) {
        alignas(16) char block[16] = {};
        if (n > 0) {
            std::memcpy(block, text.data(), n);
        }
        const int own = (1 << n) - 1; // the lanes that hold the text; the rest are zero bytes
        if ((printable(_mm_load_si128(reinterpret_cast<const __m128i*>(block))) & own) == own) {
            return true;
        }
    } else {
        for (; i + 16 <= n; i += 16) {
            if (printable(_mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + i))) != 0xFFFF) {
                break;
            }
        }
        if (i == n) {
            return true;
        }
        if (i + 16 > n &&
            printable(_mm_loadu_si128(reinterpret_cast<const __m128i*>(text.data() + n - 16))) == 0xFFFF) {
            return true; // the tail: the last 16 bytes, all printable ASCII
        }
    }
#endif
    for (; i < text.size();) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F) {
                return false;
            }
            ++i;
            continue;
        }
        const Utf8Char ch = decode_utf8(text, i);
        const std::uint32_t cp = ch.code_point;
        const std::size_t len = ch.length;
        if (len == 0 || cp <= 0x9F || is_bidi_control(cp) || cp == 0x2028 || cp == 0x2029) {
            return false;
        }
        i += len;
    }
    return true;
}

} // namespace zsyncctl::util
