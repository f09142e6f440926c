#include "net/http_parser.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

#include "util/strings.hpp"

namespace zsyncctl::net {

namespace {

// True for 1 to 5 digits whose value is `port`.
bool is_port(std::string_view text, std::uint16_t port) {
    if (text.empty() || text.size() > 5) {
        return false;
    }
    unsigned value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    return value == port;
}

} // namespace

bool is_loopback_address(std::string_view literal) {
    if (literal.size() > 45) { // INET6_ADDRSTRLEN - 1: longer is no address
        return false;
    }
    std::string text(literal);
    in_addr v4{};
    if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) {
        return (ntohl(v4.s_addr) >> 24) == 127;
    }
    in6_addr v6{};
    return ::inet_pton(AF_INET6, text.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

bool http_host_is_loopback(std::string_view host, std::uint16_t port) {
    std::string_view name;
    std::string_view rest;
    if (!host.empty() && host.front() == '[') {
        std::size_t close = host.find(']');
        if (close == std::string_view::npos) {
            return false;
        }
        name = host.substr(1, close - 1);
        rest = host.substr(close + 1);
        if (name.find(':') == std::string_view::npos || !is_loopback_address(name)) {
            return false; // brackets hold an IPv6 literal only
        }
    } else {
        std::size_t colon = host.find(':');
        name = host.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view() : host.substr(colon);
        // (Unbracketed, the text before the first ':' holds no IPv6 literal.)
        if (!util::iequals(name, "localhost") && !util::iequals(name, "localhost.") &&
            !is_loopback_address(name)) {
            return false;
        }
    }
    return rest.empty() || (rest.front() == ':' && is_port(rest.substr(1), port));
}

bool http_request_is_for_loopback(const HttpRequest& request, std::uint16_t port) {
    auto host = request.header("host");
    if (!host || !http_host_is_loopback(*host, port)) {
        return false;
    }
    std::string_view target = request.target;
    if (target.empty() || target.front() == '/' || target == "*") {
        return true;
    }
    // absolute-form (the parser let only http:// and https:// through): the authority is what the
    // request is for.
    std::size_t start = target.find("://");
    if (start == std::string_view::npos) {
        return false;
    }
    start += 3;
    std::size_t end = target.find_first_of("/?#", start);
    std::string_view authority = target.substr(start, end == std::string_view::npos ? end : end - start);
    return authority.find('@') == std::string_view::npos && http_host_is_loopback(authority, port);
}

} // namespace zsyncctl::net
