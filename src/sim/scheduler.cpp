#include "sim/scheduler.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <vector>

namespace meshorch::sim::detail {

struct Scheduler::State {
    std::mutex mutex;
    std::condition_variable cv;
    std::map<std::pair<Clock::time_point, std::uint64_t>, Task> queue;
    std::uint64_t next_seq = 0;
    std::atomic<bool> stopping = false;  // set under `mutex`; read between the tasks of a batch
    int threads = 1;
};

Scheduler::Scheduler(int threads) : state_(std::make_shared<State>()) {
    if (threads < 1) threads = 1;
    state_->threads = threads;
    threads_.reserve(static_cast<std::size_t>(threads));
    for (int i = 0; i < threads; ++i) {
        threads_.emplace_back([s = state_] { run(s); });
    }
}

Scheduler::~Scheduler() {
    stop();
}

bool Scheduler::post_at(Clock::time_point when, Task task) {
    bool earliest = false;
    {
        std::lock_guard lock(state_->mutex);
        if (state_->stopping) return false;  // `task` is destroyed on return, outside the lock
        auto it =
            state_->queue.emplace(std::make_pair(when, state_->next_seq++), std::move(task)).first;
        earliest = it == state_->queue.begin();
    }
    // A thread waits for the earliest task; a later one changes nothing for it. With a fixed
    // latency almost every task is the latest, so most posts wake nobody.
    if (earliest) state_->cv.notify_one();
    return true;
}

void Scheduler::run(const std::shared_ptr<State>& s) {
    std::vector<Task> due;
    std::unique_lock lock(s->mutex);
    for (;;) {
        if (s->stopping) return;
        if (s->queue.empty()) {
            s->cv.wait(lock);
            continue;
        }
        const auto now = Clock::now();
        auto it = s->queue.begin();
        if (const auto when = it->first.first; when > now) {
            // A copy: wait_until reads it after waking, when another thread may have erased
            // the task.
            s->cv.wait_until(lock, when);
            continue;
        }
        // Every task due by now, in order, taken under one lock: a burst of answers costs one
        // lock round and one clock read, not one per task. With several threads each takes a
        // share of them (kept in order within the share).
        const std::size_t share = s->threads > 1 ? 64 : SIZE_MAX;
        while (it != s->queue.end() && it->first.first <= now && due.size() < share) {
            due.push_back(std::move(it->second));
            it = s->queue.erase(it);
        }
        // Another task may be due too: let a waiting thread look at the queue.
        if (!s->queue.empty() && s->threads > 1) s->cv.notify_one();
        lock.unlock();
        for (auto& task : due) {
            if (s->stopping) break;  // stop() drops what has not run yet
            task();
            task = nullptr;  // captures go before the next task runs
        }
        due.clear();  // outside the lock, like stop()'s drop
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
