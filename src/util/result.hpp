#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "util/error.hpp"

namespace zsyncctl::util {

/// Wrapper that marks a value as the error alternative of a Result (like std::unexpected).
struct Failure {
    Error error;
};

/// Shorthand to return an error from a function returning Result<T>.
inline Failure fail(Error error) {
    return Failure{std::move(error)};
}

/// Shorthand to return an error built from kind and message.
inline Failure fail(ErrorKind kind, std::string message, std::string hint = {}) {
    return Failure{make_error(kind, std::move(message), std::move(hint))};
}

/// A value or an Error. Accessing the wrong alternative is a bug (assert).
template <typename T>
class [[nodiscard]] Result {
public:
    using value_type = T;

    Result(T value) : m_storage(std::in_place_index<0>, std::move(value)) {}
    Result(Failure failure) : m_storage(std::in_place_index<1>, std::move(failure.error)) {}
    template <typename U>
    requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Result> &&
             !std::is_same_v<std::decay_t<U>, Failure> && !std::is_same_v<std::decay_t<U>, T>)
        Result(U&& value)
        : m_storage(std::in_place_index<0>, T(std::forward<U>(value))) {}

    bool ok() const { return m_storage.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        assert(ok());
        return std::get<0>(m_storage);
    }
    const T& value() const& {
        assert(ok());
        return std::get<0>(m_storage);
    }
    T&& value() && {
        assert(ok());
        return std::get<0>(std::move(m_storage));
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    /// The value, or `fallback` when this holds an error.
    T value_or(T fallback) const& { return ok() ? std::get<0>(m_storage) : std::move(fallback); }

    const Error& error() const& {
        assert(!ok());
        return std::get<1>(m_storage);
    }
    Error&& error() && {
        assert(!ok());
        return std::get<1>(std::move(m_storage));
    }

private:
    std::variant<T, Error> m_storage;
};

/// Result of an operation without a value.
template <>
class [[nodiscard]] Result<void> {
public:
    using value_type = void;

    Result() = default;
    Result(Failure failure) : m_error(std::move(failure.error)), m_failed(true) {}

    bool ok() const { return !m_failed; }
    explicit operator bool() const { return ok(); }
    void value() const { assert(ok()); }

    const Error& error() const& {
        assert(!ok());
        return m_error;
    }
    Error&& error() && {
        assert(!ok());
        return std::move(m_error);
    }

private:
    Error m_error;
    bool m_failed = false;
};

/// Success value for Result<void>.
inline Result<void> ok() {
    return {};
}

template <typename T>
struct is_result : std::false_type {};
template <typename T>
struct is_result<Result<T>> : std::true_type {};
/// True when T is a Result<U>.
template <typename T>
inline constexpr bool is_result_v = is_result<std::decay_t<T>>::value;

template <typename T>
struct result_value {
    using type = T;
};
template <typename T>
struct result_value<Result<T>> {
    using type = T;
};
/// U for Result<U>, T itself otherwise: the value type a task returning T produces.
template <typename T>
using result_value_t = typename result_value<std::decay_t<T>>::type;

} // namespace zsyncctl::util
