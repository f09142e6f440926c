#include "util/error.hpp"

#include "util/enum_names.hpp"

#include <array>
#include <cerrno>
#include <cstring>

namespace zsyncctl::util {

namespace {

constexpr std::array<EnumName<ErrorKind>, 12> k_error_kinds{{
    {ErrorKind::not_found, "not_found"},
    {ErrorKind::unsupported, "unsupported"},
    {ErrorKind::permission_denied, "permission_denied"},
    {ErrorKind::timeout, "timeout"},
    {ErrorKind::cancelled, "cancelled"},
    {ErrorKind::interrupted, "interrupted"},
    {ErrorKind::invalid_input, "invalid_input"},
    {ErrorKind::command_failed, "command_failed"},
    {ErrorKind::parse, "parse"},
    {ErrorKind::io, "io"},
    {ErrorKind::network, "network"},
    {ErrorKind::internal, "internal"},
}};

} // namespace

std::string_view to_string(ErrorKind kind) {
    return enum_name(k_error_kinds, kind, "internal");
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
