#pragma once

#include <cassert>
#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace zsyncctl::util {

template <typename Signature>
class UniqueFunction;

/// A move-only std::function: holds lambdas that capture move-only state (promises, fds).
/// Callables up to k_inline_size bytes that are nothrow-movable live inline (no allocation: the thread
/// pool's hot path); larger ones on the heap. Not thread-safe; calling an empty one is a bug.
template <typename R, typename... Args>
class UniqueFunction<R(Args...)> {
public:
    static constexpr std::size_t k_inline_size = 64;

    UniqueFunction() = default;
    UniqueFunction(std::nullptr_t) {}
    template <typename F>
    requires(!std::is_same_v<std::decay_t<F>, UniqueFunction> && std::is_invocable_r_v<R, F&, Args...>)
        UniqueFunction(F&& f) {
        using Fn = std::decay_t<F>;
        if constexpr (fits_inline<Fn>()) {
            ::new (static_cast<void*>(m_storage)) Fn(std::forward<F>(f));
            m_ops = &k_inline_ops<Fn>;
        } else {
            ::new (static_cast<void*>(m_storage)) Fn*(new Fn(std::forward<F>(f)));
            m_ops = &k_heap_ops<Fn>;
        }
    }

    UniqueFunction(UniqueFunction&& other) noexcept { take(other); }
    UniqueFunction& operator=(UniqueFunction&& other) noexcept {
        if (this != &other) {
            reset();
            take(other);
        }
        return *this;
    }
    UniqueFunction& operator=(std::nullptr_t) noexcept {
        reset();
        return *this;
    }
    UniqueFunction(const UniqueFunction&) = delete;
    UniqueFunction& operator=(const UniqueFunction&) = delete;
    ~UniqueFunction() { reset(); }

    explicit operator bool() const { return m_ops != nullptr; }

    R operator()(Args... args) {
        assert(m_ops);
        return m_ops->call(m_storage, std::forward<Args>(args)...);
    }

private:
    struct Ops {
        R (*call)(void* storage, Args&&... args);
        void (*move)(void* from, void* to) noexcept; // move-constructs into `to`, destroys `from`
        void (*destroy)(void* storage) noexcept;
    };

    template <typename Fn>
    static constexpr bool fits_inline() {
        return sizeof(Fn) <= k_inline_size && alignof(Fn) <= alignof(std::max_align_t) &&
               std::is_nothrow_move_constructible_v<Fn>;
    }

    template <typename Fn>
    static constexpr Ops k_inline_ops{
        [](void* s, Args&&... args) -> R {
            return (*std::launder(static_cast<Fn*>(s)))(std::forward<Args>(args)...);
        },
        [](void* from, void* to) noexcept {
            Fn* f = std::launder(static_cast<Fn*>(from));
            ::new (to) Fn(std::move(*f));
            f->~Fn();
        },
        [](void* s) noexcept { std::launder(static_cast<Fn*>(s))->~Fn(); },
    };

    template <typename Fn>
    static constexpr Ops k_heap_ops{
        [](void* s, Args&&... args) -> R { return (**static_cast<Fn**>(s))(std::forward<Args>(args)...); },
        [](void* from, void* to) noexcept { *static_cast<Fn**>(to) = *static_cast<Fn**>(from); },
        [](void* s) noexcept { delete *static_cast<Fn**>(s); },
    };

    void take(UniqueFunction& other) noexcept {
        if (other.m_ops != nullptr) {
            other.m_ops->move(other.m_storage, m_storage);
            m_ops = other.m_ops;
            other.m_ops = nullptr;
        }
    }

    void reset() noexcept {
        if (m_ops != nullptr) {
            const Ops* ops = m_ops;
            m_ops = nullptr; // a destructor that re-enters sees an empty function
            ops->destroy(m_storage);
        }
    }

    alignas(std::max_align_t) std::byte m_storage[k_inline_size];
    const Ops* m_ops = nullptr;
};

} // namespace zsyncctl::util
