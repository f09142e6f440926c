// libFuzzer target: the HTTP/1.x request parser (net/http_parser). Checks, besides "no crash": a complete
// head parses the same from exactly its own bytes; a head never claims more bytes than it was given; the
// chunked body decoder gives the same body and verdict fed at once and fed one byte at a time.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/http_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace zsyncctl::net;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    HttpLimits limits;
    limits.max_head_bytes = 1024;
    limits.max_headers = 16;
    limits.max_body_bytes = 4096;

    HeadParse head = parse_http_head(input, limits);
    if (head.state == HeadParse::State::error &&
        (head.error_status < 400 || head.error_status > 505 || head.error_reason.empty())) {
        __builtin_trap();
    }
    if (head.state != HeadParse::State::complete) {
        return 0;
    }
    if (head.consumed == 0 || head.consumed > input.size()) {
        __builtin_trap();
    }
    HeadParse again = parse_http_head(input.substr(0, head.consumed), limits);
    if (again.state != HeadParse::State::complete || again.consumed != head.consumed ||
        again.request.path != head.request.path ||
        again.request.headers.size() != head.request.headers.size()) {
        __builtin_trap();
    }
    if (head.request.path.empty() || head.request.headers.size() > limits.max_headers) {
        __builtin_trap();
    }
    if (head.framing != BodyFraming::chunked) {
        return 0;
    }
    std::string_view rest = input.substr(head.consumed);
    ChunkedDecoder whole(limits);
    std::string body_whole;
    ChunkedDecoder::Step a = whole.feed(rest, body_whole);
    if (a.consumed > rest.size() || body_whole.size() > limits.max_body_bytes) {
        __builtin_trap();
    }
    ChunkedDecoder bytewise(limits);
    std::string body_bytes;
    ChunkedDecoder::Step b;
    std::size_t used = 0;
    for (std::size_t i = 0; i < rest.size(); ++i) {
        b = bytewise.feed(rest.substr(i, 1), body_bytes);
        used += b.consumed;
        if (b.done || b.error_status != 0) {
            break;
        }
    }
    if (body_whole != body_bytes || a.done != b.done || a.error_status != b.error_status ||
        (a.done && a.consumed != used)) {
        __builtin_trap();
    }
    return 0;
}
