// libFuzzer target: the query-string parser (net::parse_query, what `zsyncctl serve` reads /v1/search's
// parameters with). Checks, besides "no crash":
// - the verdict: it fails exactly when some '%' is not followed by two hex digits;
// - the shape: one pair per non-empty '&'-separated piece, in order; each name and value is as long as its
//   raw text less 2 bytes per escape; a literal '=' or '&' only comes from an escape, a '+' only from %2B,
//   and a piece with neither '%' nor '+' decodes to itself;
// - the round trip: the pairs percent-encoded again (every byte but the unreserved ones) parse back to the
//   same pairs, and a second encoding is the same text as the first.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_split.hpp"
#include "net/http_parser.hpp"

namespace {

// An invariant broke: say which, then stop with a crash report.
[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_http_query: %s\n", what);
    __builtin_trap();
}

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::size_t count_of(std::string_view text, char c) {
    std::size_t n = 0;
    for (char x : text) {
        n += x == c ? 1 : 0;
    }
    return n;
}

// The bytes a query may carry as themselves (RFC 3986 unreserved); everything else becomes %XX.
std::string encode(std::string_view text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
            c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += hex[u >> 4];
            out += hex[u & 15];
        }
    }
    return out;
}

std::string encode_all(const std::vector<zsyncctl::net::QueryParam>& params) {
    std::string out;
    for (const auto& p : params) {
        if (!out.empty()) {
            out += '&';
        }
        out += encode(p.name) + "=" + encode(p.value);
    }
    return out;
}

// A decoded component against its raw text: length, and the bytes that only an escape can produce.
void check_component(std::string_view raw, const std::string& decoded) {
    std::size_t escapes = count_of(raw, '%');
    if (decoded.size() != raw.size() - 2 * escapes) {
        fail("decoded length");
    }
    if (escapes == 0 && count_of(raw, '+') == 0 && decoded != raw) {
        fail("plain text changed");
    }
    if (count_of(decoded, '+') > escapes || count_of(decoded, '&') > escapes) {
        fail("'+' or '&' not from an escape");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace zsyncctl;
    std::string_view input = fuzz::as_text(data, size);

    bool well_formed = true;
    for (std::size_t i = 0; i < input.size(); ++i) {
        if (input[i] == '%') {
            if (i + 2 >= input.size() || !is_hex(input[i + 1]) || !is_hex(input[i + 2])) {
                well_formed = false;
                break;
            }
            i += 2;
        }
    }

    auto parsed = net::parse_query(input);
    if (static_cast<bool>(parsed) != well_formed) {
        fail("verdict differs from the escapes' well-formedness");
    }
    if (!parsed) {
        if (parsed.error().kind != util::ErrorKind::invalid_input || parsed.error().message.empty()) {
            fail("error kind or message");
        }
        return 0;
    }

    // The raw pieces, split here independently.
    std::vector<std::string_view> pieces;
    std::string_view rest = input;
    while (true) {
        std::size_t amp = rest.find('&');
        std::string_view piece = rest.substr(0, amp);
        if (!piece.empty()) {
            pieces.push_back(piece);
        }
        if (amp == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(amp + 1);
    }
    if (parsed->size() != pieces.size()) {
        fail("one pair per non-empty piece");
    }
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        std::size_t eq = pieces[i].find('=');
        std::string_view raw_name = pieces[i].substr(0, eq);
        std::string_view raw_value =
            eq == std::string_view::npos ? std::string_view() : pieces[i].substr(eq + 1);
        check_component(raw_name, (*parsed)[i].name);
        check_component(raw_value, (*parsed)[i].value);
        if (count_of((*parsed)[i].name, '=') > count_of(raw_name, '%')) {
            fail("'=' in a name not from an escape");
        }
    }

    // Round trip. A pair with an empty name and value encodes to "=", which parses back to the same pair.
    std::string encoded = encode_all(*parsed);
    auto again = net::parse_query(encoded);
    if (!again || again->size() != parsed->size()) {
        fail("re-encoded query does not parse to as many pairs");
    }
    for (std::size_t i = 0; i < parsed->size(); ++i) {
        if ((*again)[i].name != (*parsed)[i].name || (*again)[i].value != (*parsed)[i].value) {
            fail("round trip changed a pair");
        }
    }
    if (encode_all(*again) != encoded) {
        fail("encoding is not stable");
    }
    return 0;
}
