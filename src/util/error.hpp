#pragma once

#include <string>
#include <string_view>

namespace zsyncctl::util {

/// The few error categories a caller can act on; cli maps them to exit codes.
enum class ErrorKind {
    not_found,
    unsupported,
    permission_denied,
    timeout,
    cancelled,
    interrupted,
    invalid_input,
    command_failed,
    parse,
    io,
    network,
    internal,
};

/// Stable lowercase name of an error kind ("not_found"); never fails.
std::string_view to_string(ErrorKind kind);

/// An error value: what went wrong, plus an optional fix the user can apply and an optional
/// taxonomy code (e.g. "TimeoutExpired") for errors raised by the runtime.
struct Error {
    ErrorKind kind = ErrorKind::internal;
    std::string message;
    std::string hint;
    std::string code;
};

/// Builds an Error of the given kind; the hint may be empty.
Error make_error(ErrorKind kind, std::string message, std::string hint = {});

/// Builds an io/not_found/permission_denied Error from an errno value, prefixed by `what`.
Error errno_error(std::string_view what, int err);

} // namespace zsyncctl::util
