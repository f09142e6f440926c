#include "net/http_parser.hpp"

#include <algorithm>
#include <array>
#include <limits>

#include "util/strings.hpp"

namespace zsyncctl::net {

namespace {

constexpr std::array<bool, 256> make_token_table() {
    std::array<bool, 256> table{};
    for (int c = '0'; c <= '9'; ++c) {
        table[static_cast<std::size_t>(c)] = true;
    }
    for (int c = 'a'; c <= 'z'; ++c) {
        table[static_cast<std::size_t>(c)] = true;
        table[static_cast<std::size_t>(c - 'a' + 'A')] = true;
    }
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) {
        table[static_cast<unsigned char>(c)] = true;
    }
    return table;
}
constexpr std::array<bool, 256> k_token = make_token_table();

// field-content: VCHAR, SP, HTAB and obs-text; never other controls, DEL or a bare CR.
bool is_field_char(unsigned char c) {
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

// request-target characters: visible ASCII only (no spaces, controls or raw non-ASCII bytes).
bool is_target_char(unsigned char c) {
    return c > 0x20 && c < 0x7f;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// True when header name `name` is `lower` (lower case) in any case; most names differ in length, which
// is checked before a call.
inline bool is_field(std::string_view name, std::string_view lower) {
    return name.size() == lower.size() && util::iequals(name, lower);
}

// Makes `out` an error (in place, for the parse that reuses its HeadParse).
void fail(HeadParse& out, int status, std::string_view reason) {
    out.state = HeadParse::State::error;
    out.error_status = status;
    out.error_reason.assign(reason);
}

// Calls `f(token)` for each comma-separated element of a list header, trimmed; empty elements skipped.
template <typename F>
void for_each_element(std::string_view value, F f) {
    while (!value.empty()) {
        std::size_t comma = value.find(',');
        std::string_view item = trim_ows(value.substr(0, comma));
        if (!item.empty()) {
            f(item);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        value.remove_prefix(comma + 1);
    }
}

bool parse_request_line(std::string_view line, HttpRequest& request, HeadParse& out) {
    std::size_t sp1 = line.find(' ');
    if (sp1 == std::string_view::npos || sp1 == 0) {
        fail(out, 400, "malformed request line");
        return false;
    }
    std::string_view method = line.substr(0, sp1);
    if (!std::all_of(method.begin(), method.end(), is_http_token_char)) {
        fail(out, 400, "malformed method");
        return false;
    }
    std::size_t sp2 = line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || sp2 == sp1 + 1) {
        fail(out, 400, "malformed request line");
        return false;
    }
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    if (!std::all_of(target.begin(), target.end(),
                     [](char c) { return is_target_char(static_cast<unsigned char>(c)); })) {
        fail(out, 400, "malformed request target");
        return false;
    }
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' || version[5] < '0' ||
        version[5] > '9' || version[7] < '0' || version[7] > '9') {
        fail(out, 400, "malformed HTTP version");
        return false;
    }
    if (version[5] != '1' || (version[7] != '0' && version[7] != '1')) {
        fail(out, 505, "HTTP version not supported");
        return false;
    }
    request.version_minor = version[7] - '0';
    request.method.assign(method);
    request.target.assign(target);

    std::string_view path = target;
    if (target == "*") {
        if (method != "OPTIONS") {
            fail(out, 400, "asterisk-form target is only for OPTIONS");
            return false;
        }
    } else if (target.front() != '/') {
        // absolute-form: scheme "://" authority path-abempty; the authority is not used for routing.
        std::size_t scheme_end = target.find("://");
        if (scheme_end == std::string_view::npos || (!util::iequals(target.substr(0, scheme_end), "http") &&
                                                     !util::iequals(target.substr(0, scheme_end), "https"))) {
            fail(out, 400, "malformed request target");
            return false;
        }
        std::size_t slash = target.find_first_of("/?", scheme_end + 3);
        if (slash == scheme_end + 3) {
            fail(out, 400, "absolute-form target without a host");
            return false;
        }
        path = slash == std::string_view::npos ? std::string_view() : target.substr(slash);
    }
    std::size_t q = path.find('?');
    std::string_view only_path = path.substr(0, q);
    std::string_view query = q == std::string_view::npos ? std::string_view() : path.substr(q + 1);
    // absolute-form "http://h" and "http://h?q" have an empty path, which means "/".
    if (only_path.empty()) {
        request.path.assign(1, '/');
    } else {
        request.path.assign(only_path);
    }
    request.query.assign(query);
    return true;
}

} // namespace

bool is_http_token_char(char c) {
    return k_token[static_cast<unsigned char>(c)];
}

std::optional<std::string_view> HttpRequest::header(std::string_view name) const {
    for (const auto& h : headers) {
        if (util::iequals(h.name, name)) {
            return std::string_view(h.value);
        }
    }
    return std::nullopt;
}

void parse_http_head(std::string_view input, const HttpLimits& limits, HeadParse& out) {
    // Reset what a previous parse left, keeping the strings' and the header vector's capacity.
    out.state = HeadParse::State::need_more;
    out.consumed = 0;
    out.error_status = 0;
    out.error_reason.clear();
    out.framing = BodyFraming::none;
    out.content_length = 0;
    // RFC 9112 2.2: a server SHOULD ignore at least one empty line before the request line.
    std::size_t start = 0;
    while (start + 1 < input.size() && input[start] == '\r' && input[start + 1] == '\n') {
        start += 2;
    }
    if (start > limits.max_head_bytes) {
        return fail(out, 431, "request head too large");
    }
    std::string_view window = input.substr(0, std::min(input.size(), limits.max_head_bytes + start));
    std::size_t end = window.find("\r\n\r\n", start);
    if (end == std::string_view::npos) {
        // Reject what can already be seen to be wrong instead of waiting for more of it (a TLS hello,
        // binary junk): the method's characters, bare LFs, NULs and lone CRs.
        for (std::size_t i = start; i < window.size() && window[i] != ' '; ++i) {
            if (!is_http_token_char(window[i]) && !(window[i] == '\r' && i + 1 == window.size())) {
                return fail(out, 400, "malformed method");
            }
        }
        for (std::size_t i = start; i < window.size(); ++i) {
            unsigned char c = static_cast<unsigned char>(window[i]);
            if (c == '\n' && (i == 0 || window[i - 1] != '\r')) {
                return fail(out, 400, "bare LF in request head");
            }
            if (c == 0 || (c == '\r' && i + 1 < window.size() && window[i + 1] != '\n')) {
                return fail(out, 400, "control character in request head");
            }
        }
        if (input.size() - start >= limits.max_head_bytes) {
            return fail(out, 431, "request head too large");
        }
        return;
    }

    HttpRequest& request = out.request;
    request.version_minor = 1;
    request.headers.clear();
    request.body.clear();
    request.keep_alive = true;
    request.expect_continue = false;
    std::string_view head = input.substr(start, end + 2 - start); // every line with its CRLF
    std::size_t line_end = head.find("\r\n");
    std::string_view request_line = head.substr(0, line_end);
    for (char c : request_line) {
        if (c == '\r' || c == '\n' || c == 0) {
            return fail(out, 400, "control character in request line");
        }
    }
    if (!parse_request_line(request_line, request, out)) {
        return;
    }

    bool have_length = false;
    bool have_te = false;
    bool have_host = false;
    std::uint64_t length = 0;
    std::size_t pos = line_end + 2;
    while (pos < head.size()) {
        std::size_t eol = head.find("\r\n", pos);
        std::string_view line = head.substr(pos, eol - pos);
        pos = eol + 2;
        if (request.headers.size() >= limits.max_headers) {
            return fail(out, 431, "too many header fields");
        }
        if (line.front() == ' ' || line.front() == '\t') {
            return fail(out, 400, "obsolete line folding");
        }
        std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            return fail(out, 400, "malformed header field");
        }
        std::string_view name = line.substr(0, colon);
        if (!std::all_of(name.begin(), name.end(), is_http_token_char)) {
            return fail(out, 400, "malformed header field name");
        }
        std::string_view raw_value = line.substr(colon + 1);
        if (!std::all_of(raw_value.begin(), raw_value.end(),
                         [](char c) { return is_field_char(static_cast<unsigned char>(c)); })) {
            return fail(out, 400, "control character in header field value");
        }
        std::string_view value = trim_ows(raw_value);

        if (is_field(name, "content-length")) {
            if (value.empty() || value.size() > 19 ||
                !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
                return fail(out, 400, "malformed Content-Length");
            }
            std::uint64_t v = 0;
            for (char c : value) {
                v = v * 10 + static_cast<std::uint64_t>(c - '0');
            }
            if (have_length && v != length) {
                return fail(out, 400, "conflicting Content-Length fields");
            }
            have_length = true;
            length = v;
        } else if (is_field(name, "transfer-encoding")) {
            if (have_te) {
                return fail(out, 501, "more than one Transfer-Encoding field");
            }
            have_te = true;
            if (!util::iequals(value, "chunked")) {
                return fail(out, 501, "unsupported Transfer-Encoding");
            }
        } else if (is_field(name, "host")) {
            if (have_host) {
                return fail(out, 400, "more than one Host field");
            }
            have_host = true;
        } else if (is_field(name, "connection")) {
            for_each_element(value, [&](std::string_view option) {
                if (util::iequals(option, "close")) {
                    request.keep_alive = false;
                } else if (util::iequals(option, "keep-alive") && request.version_minor == 0) {
                    request.keep_alive = true;
                }
            });
        } else if (is_field(name, "expect")) {
            if (!util::iequals(value, "100-continue")) {
                return fail(out, 417, "unsupported expectation");
            }
            request.expect_continue = request.version_minor >= 1;
        }
        request.headers.push_back(HttpHeader{std::string(name), std::string(value)});
    }
    if (request.version_minor == 0) {
        // HTTP/1.0: close unless the client asked for keep-alive (the loop above saw only that).
        bool asked = false;
        if (auto c = request.header("connection")) {
            for_each_element(
                *c, [&](std::string_view option) { asked = asked || util::iequals(option, "keep-alive"); });
            for_each_element(
                *c, [&](std::string_view option) { asked = asked && !util::iequals(option, "close"); });
        }
        request.keep_alive = asked;
        if (have_te) {
            return fail(out, 400, "Transfer-Encoding in an HTTP/1.0 request");
        }
    } else if (!have_host) {
        return fail(out, 400, "missing Host field");
    }
    if (have_te && have_length) {
        return fail(out, 400, "both Content-Length and Transfer-Encoding");
    }
    if (have_length && length > limits.max_body_bytes) {
        return fail(out, 413, "request body too large");
    }
    out.state = HeadParse::State::complete;
    out.consumed = end + 4;
    if (have_te) {
        out.framing = BodyFraming::chunked;
    } else if (have_length && length > 0) {
        out.framing = BodyFraming::length;
        out.content_length = length;
    }
    if (out.framing == BodyFraming::none) {
        request.expect_continue = false; // nothing to wait for
    }
}

HeadParse parse_http_head(std::string_view input, const HttpLimits& limits) {
    HeadParse out;
    parse_http_head(input, limits, out);
    return out;
}

ChunkedDecoder::Step ChunkedDecoder::feed(std::string_view input, std::string& body) {
    Step step;
    std::size_t i = 0;
    auto fail = [&](int status) {
        step.consumed = i;
        step.error_status = status;
        return step;
    };
    while (i < input.size() && m_state != State::done) {
        char c = input[i];
        switch (m_state) {
        case State::size: {
            int digit = -1;
            if (c >= '0' && c <= '9') {
                digit = c - '0';
            } else if (c >= 'a' && c <= 'f') {
                digit = c - 'a' + 10;
            } else if (c >= 'A' && c <= 'F') {
                digit = c - 'A' + 10;
            }
            if (digit >= 0) {
                if (++m_size_digits > 15) {
                    return fail(400);
                }
                m_size = m_size * 16 + static_cast<std::uint64_t>(digit);
                ++i;
                break;
            }
            if (m_size_digits == 0) {
                return fail(400);
            }
            if (m_size > m_limits.max_body_bytes - std::min(m_limits.max_body_bytes, body.size())) {
                return fail(413);
            }
            if (c == ';' || c == ' ' || c == '\t') {
                m_state = State::extension;
            } else if (c == '\r') {
                m_state = State::size_lf;
            } else {
                return fail(400);
            }
            ++i;
            break;
        }
        case State::extension:
            if (++m_line_bytes > m_limits.max_head_bytes) {
                return fail(431);
            }
            if (c == '\r') {
                m_state = State::size_lf;
            } else if (!is_field_char(static_cast<unsigned char>(c))) {
                return fail(400);
            }
            ++i;
            break;
        case State::size_lf:
            if (c != '\n') {
                return fail(400);
            }
            ++i;
            m_line_bytes = 0;
            if (m_size == 0) {
                m_state = State::trailer;
            } else {
                m_left = m_size;
                m_state = State::data;
            }
            break;
        case State::data: {
            std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(m_left, input.size() - i));
            body.append(input.substr(i, take));
            i += take;
            m_left -= take;
            if (m_left == 0) {
                m_state = State::data_cr;
            }
            break;
        }
        case State::data_cr:
            if (c != '\r') {
                return fail(400);
            }
            m_state = State::data_lf;
            ++i;
            break;
        case State::data_lf:
            if (c != '\n') {
                return fail(400);
            }
            m_state = State::size;
            m_size = 0;
            m_size_digits = 0;
            ++i;
            break;
        case State::trailer:
            if (++m_trailer_bytes > m_limits.max_head_bytes) {
                return fail(431);
            }
            if (c == '\r') {
                m_state = State::trailer_lf;
            } else if (!is_field_char(static_cast<unsigned char>(c)) && c != ':') {
                return fail(400);
            } else {
                ++m_line_bytes;
            }
            ++i;
            break;
        case State::trailer_lf:
            if (c != '\n') {
                return fail(400);
            }
            ++i;
            if (m_line_bytes == 0) {
                m_state = State::done;
            } else {
                m_line_bytes = 0;
                m_state = State::trailer;
            }
            break;
        case State::done:
            break;
        }
    }
    step.consumed = i;
    step.done = m_state == State::done;
    return step;
}

std::string_view http_reason(int status) {
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 421:
        return "Misdirected Request";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}

} // namespace zsyncctl::net
