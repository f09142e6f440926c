#include "net/http_client.hpp"

#include "util/fs.hpp"
#include "util/strings.hpp"

namespace zsyncctl::net {

std::optional<std::string> Response::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (key.size() == name.size() && util::to_lower(key) == util::to_lower(name)) {
            return value;
        }
    }
    return std::nullopt;
}

util::Result<Response> require_success(Response response) {
    if (response.status < 400) {
        return response;
    }
    std::string what = "GET " + response.effective_url + ": HTTP " + std::to_string(response.status);
    switch (response.status) {
    case 404:
    case 410:
        return util::fail(util::ErrorKind::not_found, what);
    case 401:
    case 403:
        return util::fail(util::ErrorKind::permission_denied, what);
    default:
        return util::fail(util::ErrorKind::network, what);
    }
}

util::Result<std::string> CachedResponse::read_body(std::size_t max_bytes) const {
    return util::read_file(body_path, max_bytes);
}

} // namespace zsyncctl::net
