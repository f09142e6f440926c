#include "core/cancellation.hpp"

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace zsyncctl::core {

struct CancellationToken::State {
    std::mutex mutex;
    std::condition_variable callback_done;
    std::atomic<bool> cancelled{false};
    std::map<CallbackId, util::UniqueFunction<void()>> callbacks;
    std::vector<std::weak_ptr<State>> children;
    CallbackId next_id = 1;
    CallbackId running_id = 0;
    std::thread::id cancelling_thread;

    void cancel() {
        std::vector<std::weak_ptr<State>> kids;
        {
            std::lock_guard lock(mutex);
            if (cancelled.exchange(true)) {
                return;
            }
            cancelling_thread = std::this_thread::get_id();
            kids.swap(children);
        }
        while (true) {
            util::UniqueFunction<void()> callback;
            {
                std::lock_guard lock(mutex);
                if (callbacks.empty()) {
                    running_id = 0;
                    callback_done.notify_all();
                    break;
                }
                auto it = callbacks.begin();
                running_id = it->first;
                callback = std::move(it->second);
                callbacks.erase(it);
            }
            callback();
            {
                std::lock_guard lock(mutex);
                running_id = 0;
            }
            callback_done.notify_all();
        }
        for (auto& weak : kids) {
            if (auto kid = weak.lock()) {
                kid->cancel();
            }
        }
    }
};

CancellationToken::CancellationToken() : m_state(std::make_shared<State>()) {}

CancellationToken::CancellationToken(std::shared_ptr<State> state) : m_state(std::move(state)) {}

CancellationToken CancellationToken::child() const {
    auto kid = std::make_shared<State>();
    {
        std::lock_guard lock(m_state->mutex);
        if (!m_state->cancelled.load()) {
            auto& list = m_state->children;
            std::erase_if(list, [](const std::weak_ptr<State>& w) { return w.expired(); });
            list.push_back(kid);
            return CancellationToken(std::move(kid));
        }
    }
    kid->cancel();
    return CancellationToken(std::move(kid));
}

void CancellationToken::cancel() const {
    m_state->cancel();
}

bool CancellationToken::is_cancelled() const {
    return m_state->cancelled.load(std::memory_order_acquire);
}

CancellationToken::CallbackId CancellationToken::on_cancel(util::UniqueFunction<void()> callback) const {
    {
        std::lock_guard lock(m_state->mutex);
        if (!m_state->cancelled.load()) {
            CallbackId id = m_state->next_id++;
            m_state->callbacks.emplace(id, std::move(callback));
            return id;
        }
    }
    callback();
    return 0;
}

bool CancellationToken::remove_callback(CallbackId id) const {
    if (id == 0) {
        return false;
    }
    std::unique_lock lock(m_state->mutex);
    if (m_state->callbacks.erase(id) != 0) {
        return true;
    }
    if (m_state->cancelling_thread != std::this_thread::get_id()) {
        m_state->callback_done.wait(lock, [&] { return m_state->running_id != id; });
    }
    return false;
}

CancellationRegistration::CancellationRegistration(CancellationToken token,
                                                   util::UniqueFunction<void()> callback)
    : m_token(std::move(token)), m_id(m_token.on_cancel(std::move(callback))) {}

CancellationRegistration::~CancellationRegistration() {
    m_token.remove_callback(m_id);
}

} // namespace zsyncctl::core
