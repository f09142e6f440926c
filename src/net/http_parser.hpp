#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.hpp"

namespace zsyncctl::net {

/// One request header as received (name case preserved; compare with header()).
struct HttpHeader {
    std::string name;
    std::string value;
};

/// A parsed HTTP/1.x request: the head, and the body once it is complete.
struct HttpRequest {
    std::string method;
    std::string target;    // as received: origin-form "/a?b", absolute-form "http://h/a", or "*"
    std::string path;      // the target's path ("/a"), "*" for an asterisk-form target
    std::string query;     // after '?', without it; empty when there is none
    int version_minor = 1; // HTTP/1.<minor>: 0 or 1
    std::vector<HttpHeader> headers;
    std::string body;
    bool keep_alive = true;       // from the version and the Connection header
    bool expect_continue = false; // "Expect: 100-continue"

    /// The value of the first header named `name` (ASCII case-insensitive), or nullopt.
    std::optional<std::string_view> header(std::string_view name) const;
};

/// The parser's bounds: the request line and headers together (from the first byte to the blank line),
/// the number of header lines, and the decoded body.
struct HttpLimits {
    std::size_t max_head_bytes = 8192;
    std::size_t max_headers = 100;
    std::size_t max_body_bytes = 1024 * 1024;
};

/// How the body of a parsed head is framed.
enum class BodyFraming { none, length, chunked };

/// The outcome of parse_http_head().
struct HeadParse {
    enum class State { need_more, complete, error } state = State::need_more;
    std::size_t consumed = 0; // bytes of the head, including the blank line (complete only)
    int error_status = 0;     // 400, 413, 417, 431, 501 or 505 (error only)
    std::string error_reason; // one line for a log or a response body (error only)
    HttpRequest request;      // without the body (complete only)
    BodyFraming framing = BodyFraming::none;
    std::uint64_t content_length = 0; // BodyFraming::length only
};

/// Parses a request head at the start of `input` strictly (RFC 9112): CRLF line ends, a token method,
/// one SP between the three parts, HTTP/1.0 or HTTP/1.1 (another 1-digit version is 505), token header
/// names with no space before the colon, no obs-fold, no control characters, a Host on HTTP/1.1,
/// Content-Length digits only and never with Transfer-Encoding, and Transfer-Encoding exactly "chunked"
/// (others are 501). Empty lines before the request line are skipped. need_more while the blank line
/// has not arrived and `limits` allow more; a head over max_head_bytes or max_headers is 431, a
/// Content-Length over max_body_bytes 413, an Expect other than 100-continue 417. Never throws.
HeadParse parse_http_head(std::string_view input, const HttpLimits& limits);

/// The same parse into `out`, reusing the capacity of its request's strings and header vector (a
/// connection parses every request of its keep-alive life into one HeadParse).
void parse_http_head(std::string_view input, const HttpLimits& limits, HeadParse& out);

/// An incremental decoder of a chunked request body (RFC 9112 section 7.1): hex sizes (at most 15
/// digits), chunk extensions skipped, trailers read and dropped (they count against max_head_bytes).
/// Not thread-safe.
class ChunkedDecoder {
public:
    explicit ChunkedDecoder(const HttpLimits& limits) : m_limits(limits) {}

    /// The outcome of one feed() call.
    struct Step {
        std::size_t consumed = 0; // bytes of `input` used
        bool done = false;        // the last chunk and the trailers were read
        int error_status = 0;     // 400 malformed, 413 over max_body_bytes, 431 trailers too long
    };

    /// Decodes from `input`, appending the chunk data to `body`; stops at the end of the body or of input.
    Step feed(std::string_view input, std::string& body);

private:
    enum class State { size, extension, size_lf, data, data_cr, data_lf, trailer, trailer_lf, done };
    HttpLimits m_limits;
    State m_state = State::size;
    std::uint64_t m_size = 0;
    int m_size_digits = 0;
    std::uint64_t m_left = 0;
    std::size_t m_trailer_bytes = 0;
    std::size_t m_line_bytes = 0; // bytes on the current trailer line
};

/// The standard reason phrase for `status` ("OK", "Not Found", ...), "Unknown" for others.
std::string_view http_reason(int status);

/// True when `c` may appear in a token (RFC 9110 tchar).
bool is_http_token_char(char c);

/// True when `literal` is an IP address literal of the loopback interface: IPv4 in 127.0.0.0/8, or the IPv6
/// loopback (without brackets). False for names (localhost is the caller's to accept) and malformed text.
bool is_loopback_address(std::string_view literal);

/// True when `host`, a Host field value (uri-host [":" port], RFC 9110 section 7.2), names this machine's
/// loopback interface by a name no DNS answer can change: localhost (or "localhost."), an IPv4 literal in
/// 127.0.0.0/8 or a bracketed IPv6 loopback literal ("[::1]"), compared case-insensitively, either alone
/// or with ":PORT" equal to `port`. False for any other name or port and for a malformed value. Never
/// throws.
bool http_host_is_loopback(std::string_view host, std::uint16_t port);

/// True when `request` is addressed to a loopback name (http_host_is_loopback) at `port`: its Host field,
/// and for an absolute-form target also the target's authority, which RFC 9112 section 3.2.2 puts before
/// Host. False without a Host field (HTTP/1.0) or for a target with userinfo. Never throws.
bool http_request_is_for_loopback(const HttpRequest& request, std::uint16_t port);

/// One name=value pair of a query string, percent-decoded ('+' is a space).
struct QueryParam {
    std::string name;
    std::string value;
};

/// Splits an application/x-www-form-urlencoded `query` ("q=a+b&exact=1&flag") into its pairs in order
/// (a pair without '=' has an empty value; empty pairs are skipped). Fails with invalid_input for a bad
/// percent escape. Never throws.
util::Result<std::vector<QueryParam>> parse_query(std::string_view query);

} // namespace zsyncctl::net
