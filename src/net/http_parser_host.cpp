#include "net/http_parser.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

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
        in6_addr v6{};
        if (name.size() > 45 || ::inet_pton(AF_INET6, std::string(name).c_str(), &v6) != 1 ||
            !IN6_IS_ADDR_LOOPBACK(&v6)) {
            return false;
        }
    } else {
        std::size_t colon = host.find(':');
        name = host.substr(0, colon);
        rest = colon == std::string_view::npos ? std::string_view() : host.substr(colon);
        in_addr v4{};
        if (!http_iequals(name, "localhost") && !http_iequals(name, "localhost.") &&
            (name.size() > 15 || ::inet_pton(AF_INET, std::string(name).c_str(), &v4) != 1 ||
             (ntohl(v4.s_addr) >> 24) != 127)) {
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
