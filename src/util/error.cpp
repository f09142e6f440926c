#include "util/error.hpp"

#include <cerrno>
#include <cstring>

namespace zsyncctl::util {

std::string_view to_string(ErrorKind kind) {
    switch (kind) {
    case ErrorKind::not_found:
        return "not_found";
    case ErrorKind::unsupported:
        return "unsupported";
    case ErrorKind::permission_denied:
        return "permission_denied";
    case ErrorKind::timeout:
        return "timeout";
    case ErrorKind::cancelled:
        return "cancelled";
    case ErrorKind::interrupted:
        return "interrupted";
    case ErrorKind::invalid_input:
        return "invalid_input";
    case ErrorKind::command_failed:
        return "command_failed";
    case ErrorKind::parse:
        return "parse";
    case ErrorKind::io:
        return "io";
    case ErrorKind::network:
        return "network";
    case ErrorKind::internal:
        return "internal";
    }
    return "internal";
}

Error make_error(ErrorKind kind, std::string message, std::string hint) {
    return Error{kind, std::move(message), std::move(hint), {}};
}

Error errno_error(std::string_view what, int err) {
    ErrorKind kind = ErrorKind::io;
    if (err == ENOENT || err == ENOTDIR) {
        kind = ErrorKind::not_found;
    } else if (err == EACCES || err == EPERM || err == EROFS) {
        kind = ErrorKind::permission_denied;
    } else if (err == ENOSYS || err == EOPNOTSUPP) {
        kind = ErrorKind::unsupported;
    }
    std::string message(what);
    message += ": ";
    message += std::strerror(err);
    return Error{kind, std::move(message), {}, {}};
}

} // namespace zsyncctl::util
