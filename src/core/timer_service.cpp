#include "core/timer_service.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

namespace zsyncctl::core {

struct TimerService::State {
    mutable std::mutex mutex;
    std::condition_variable cv;
    std::condition_variable fired_cv;
    std::multimap<Clock::time_point, std::pair<TimerId, util::UniqueFunction<void()>>> timers;
    TimerId next_id = 1;
    TimerId firing = 0;
    bool stopping = false;
    std::thread thread;

    void loop() {
        std::unique_lock lock(mutex);
        while (!stopping) {
            if (timers.empty()) {
                cv.wait(lock);
                continue;
            }
            auto it = timers.begin();
            if (Clock::now() < it->first) {
                // Wait on a copy: cancel() may erase this node while the lock is released.
                const Clock::time_point deadline = it->first;
                cv.wait_until(lock, deadline);
                continue;
            }
            auto [id, callback] = std::move(it->second);
            timers.erase(it);
            firing = id;
            lock.unlock();
            callback();
            callback = nullptr;
            lock.lock();
            firing = 0;
            fired_cv.notify_all();
        }
    }
};

TimerService::TimerService() : m_state(std::make_shared<State>()) {}

TimerService::~TimerService() {
    stop();
}

TimerService::TimerId TimerService::schedule_at(Clock::time_point deadline,
                                                util::UniqueFunction<void()> callback) {
    std::unique_lock lock(m_state->mutex);
    if (m_state->stopping) {
        return 0;
    }
    if (!m_state->thread.joinable()) {
        m_state->thread = std::thread([state = m_state] { state->loop(); });
    }
    TimerId id = m_state->next_id++;
    bool earliest = m_state->timers.empty() || deadline < m_state->timers.begin()->first;
    m_state->timers.emplace(deadline, std::make_pair(id, std::move(callback)));
    lock.unlock();
    if (earliest) {
        m_state->cv.notify_one();
    }
    return id;
}

bool TimerService::cancel(TimerId id) {
    util::UniqueFunction<void()> victim; // destroyed outside the lock
    std::unique_lock lock(m_state->mutex);
    for (auto it = m_state->timers.begin(); it != m_state->timers.end(); ++it) {
        if (it->second.first == id) {
            victim = std::move(it->second.second);
            m_state->timers.erase(it);
            return true;
        }
    }
    if (m_state->firing == id && m_state->thread.get_id() != std::this_thread::get_id()) {
        m_state->fired_cv.wait(lock, [&] { return m_state->firing != id; });
    }
    return false;
}

void TimerService::stop() {
    std::multimap<Clock::time_point, std::pair<TimerId, util::UniqueFunction<void()>>> dropped;
    std::thread thread;
    {
        std::lock_guard lock(m_state->mutex);
        m_state->stopping = true;
        dropped.swap(m_state->timers);
        thread = std::move(m_state->thread);
    }
    m_state->cv.notify_all();
    if (thread.joinable()) {
        if (thread.get_id() == std::this_thread::get_id()) {
            thread.detach();
        } else {
            thread.join();
        }
    }
}

bool TimerService::running() const {
    std::lock_guard lock(m_state->mutex);
    return m_state->thread.joinable();
}

} // namespace zsyncctl::core
