#pragma once

#include <cassert>
#include <memory>
#include <type_traits>
#include <utility>

namespace zsyncctl::util {

template <typename Signature>
class UniqueFunction;

/// A move-only std::function: holds lambdas that capture move-only state (promises, fds).
/// Not thread-safe; calling an empty one is a bug.
template <typename R, typename... Args>
class UniqueFunction<R(Args...)> {
public:
    UniqueFunction() = default;
    UniqueFunction(std::nullptr_t) {}
    template <typename F>
    requires(!std::is_same_v<std::decay_t<F>, UniqueFunction> && std::is_invocable_r_v<R, F&, Args...>)
        UniqueFunction(F&& f)
        : m_impl(std::make_unique<Model<std::decay_t<F>>>(std::forward<F>(f))) {}

    UniqueFunction(UniqueFunction&&) noexcept = default;
    UniqueFunction& operator=(UniqueFunction&&) noexcept = default;

    explicit operator bool() const { return m_impl != nullptr; }

    R operator()(Args... args) {
        assert(m_impl);
        return m_impl->call(std::forward<Args>(args)...);
    }

private:
    struct Concept {
        virtual ~Concept() = default;
        virtual R call(Args... args) = 0;
    };
    template <typename F>
    struct Model final : Concept {
        explicit Model(F&& f) : fn(std::move(f)) {}
        explicit Model(const F& f) : fn(f) {}
        R call(Args... args) override { return fn(std::forward<Args>(args)...); }
        F fn;
    };
    std::unique_ptr<Concept> m_impl;
};

} // namespace zsyncctl::util
