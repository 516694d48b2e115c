#include "sim/scheduler.hpp"

#include <condition_variable>

namespace meshorch::sim::detail {

struct Scheduler::State {
    std::mutex mutex;
    std::condition_variable cv;
    std::map<std::pair<Clock::time_point, std::uint64_t>, Task> queue;
    std::uint64_t next_seq = 0;
    bool stopping = false;
};

Scheduler::Scheduler(int threads) : state_(std::make_shared<State>()) {
    if (threads < 1) threads = 1;
    threads_.reserve(static_cast<std::size_t>(threads));
    for (int i = 0; i < threads; ++i) {
        threads_.emplace_back([s = state_] { run(s); });
    }
}

Scheduler::~Scheduler() {
    stop();
}

bool Scheduler::post_at(Clock::time_point when, Task task) {
    {
        std::lock_guard lock(state_->mutex);
        if (state_->stopping) return false;  // `task` is destroyed on return, outside the lock
        state_->queue.emplace(std::make_pair(when, state_->next_seq++), std::move(task));
    }
    state_->cv.notify_one();
    return true;
}

void Scheduler::run(const std::shared_ptr<State>& s) {
    std::unique_lock lock(s->mutex);
    for (;;) {
        if (s->stopping) return;
        if (s->queue.empty()) {
            s->cv.wait(lock);
            continue;
        }
        auto it = s->queue.begin();
        const auto when = it->first.first;
        if (when > Clock::now()) {
            s->cv.wait_until(lock, when);
            continue;
        }
        Task task = std::move(it->second);
        s->queue.erase(it);
        // Another task may be due too: let a waiting thread look at the queue.
        if (!s->queue.empty()) s->cv.notify_one();
        lock.unlock();
        task();
        task = nullptr;  // captures go before the lock is taken again
        lock.lock();
    }
}

void Scheduler::stop() {
    {
        std::lock_guard lock(stop_mutex_);
        if (stopped_) return;
        stopped_ = true;
    }
    std::map<std::pair<Clock::time_point, std::uint64_t>, Task> dropped;
    {
        std::lock_guard lock(state_->mutex);
        state_->stopping = true;
        dropped.swap(state_->queue);
    }
    state_->cv.notify_all();
    const auto self = std::this_thread::get_id();
    for (auto& t : threads_) {
        if (!t.joinable()) continue;
        if (t.get_id() == self) {
            t.detach();  // we are inside one of its tasks; it exits when the task returns
        } else {
            t.join();
        }
    }
    dropped.clear();
}

}  // namespace meshorch::sim::detail
