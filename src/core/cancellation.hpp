#pragma once

#include <cstdint>
#include <memory>

#include "util/unique_function.hpp"

namespace zsyncctl::core {

/// A shared, hierarchical cancellation flag. Copies share one state; cancelling a token cancels every
/// child made from it (and their children), never its parent. Thread-safe.
class CancellationToken {
public:
    using CallbackId = std::uint64_t;

    /// A fresh token that nothing has cancelled.
    CancellationToken();

    /// A new token that is cancelled when this one is (immediately, if this one already is).
    CancellationToken child() const;

    /// Cancels this token and all its descendants and runs their callbacks; idempotent.
    void cancel() const;

    /// True once cancel() was called on this token or an ancestor.
    bool is_cancelled() const;

    /// Registers `callback` to run once on cancellation (on the cancelling thread). If already cancelled,
    /// runs it now and returns 0.
    CallbackId on_cancel(util::UniqueFunction<void()> callback) const;

    /// Unregisters a callback. When it returns, the callback is not running on another thread and will not
    /// run; returns false when it already ran (or was never registered).
    bool remove_callback(CallbackId id) const;

private:
    struct State;
    explicit CancellationToken(std::shared_ptr<State> state);
    std::shared_ptr<State> m_state;
};

/// Unregisters a cancellation callback when it goes out of scope.
class CancellationRegistration {
public:
    CancellationRegistration(CancellationToken token, util::UniqueFunction<void()> callback);
    ~CancellationRegistration();
    CancellationRegistration(const CancellationRegistration&) = delete;
    CancellationRegistration& operator=(const CancellationRegistration&) = delete;

private:
    CancellationToken m_token;
    CancellationToken::CallbackId m_id;
};

} // namespace zsyncctl::core
