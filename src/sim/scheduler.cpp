#include "sim/scheduler.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <vector>

namespace meshorch::sim::detail {

// The queue is two parts: tasks posted in time order (with a fixed latency, nearly all of them)
// join a FIFO at its end, without a tree node or a rebalance; a task due before the FIFO's last
// one goes into an ordered map. The earliest task is at the front of one of the two.
struct Scheduler::State {
    using Key = std::pair<Clock::time_point, std::uint64_t>;  // (when, posting order)
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<std::pair<Key, Task>> in_order;
    std::map<Key, Task> out_of_order;
    std::uint64_t next_seq = 0;
    std::atomic<bool> stopping = false;  // set under `mutex`; read between the tasks of a batch
    int threads = 1;

    bool empty() const { return in_order.empty() && out_of_order.empty(); }
    // The key of the earliest task; the queue is not empty.
    const Key& earliest() const {
        if (out_of_order.empty()) return in_order.front().first;
        if (in_order.empty()) return out_of_order.begin()->first;
        return std::min(in_order.front().first, out_of_order.begin()->first);
    }
    // Adds a task; true when it is now the earliest.
    bool push(Clock::time_point when, Task task) {
        const Key key{when, next_seq++};
        if (in_order.empty() || !(key < in_order.back().first)) {
            in_order.emplace_back(key, std::move(task));
        } else {
            out_of_order.emplace(key, std::move(task));
        }
        return earliest() == key;
    }
    // Removes and returns the earliest task; the queue is not empty.
    Task pop() {
        Task task;
        if (!in_order.empty() && in_order.front().first == earliest()) {
            task = std::move(in_order.front().second);
            in_order.pop_front();
        } else {
            auto it = out_of_order.begin();
            task = std::move(it->second);
            out_of_order.erase(it);
        }
        return task;
    }
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
        earliest = state_->push(when, std::move(task));
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
        if (s->empty()) {
            s->cv.wait(lock);
            continue;
        }
        const auto now = Clock::now();
        if (const auto when = s->earliest().first; when > now) {
            // A copy: wait_until reads it after waking, when another thread may have taken
            // the task.
            s->cv.wait_until(lock, when);
            continue;
        }
        // Every task due by now, in order, taken under one lock: a burst of answers costs one
        // lock round and one clock read, not one per task. With several threads each takes a
        // share of them (kept in order within the share).
        const std::size_t share = s->threads > 1 ? 64 : SIZE_MAX;
        while (!s->empty() && s->earliest().first <= now && due.size() < share) {
            due.push_back(s->pop());
        }
        // Another task may be due too: let a waiting thread look at the queue.
        if (!s->empty() && s->threads > 1) s->cv.notify_one();
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
    std::deque<std::pair<State::Key, Task>> dropped_in_order;
    std::map<State::Key, Task> dropped_out_of_order;
    {
        std::lock_guard lock(state_->mutex);
        state_->stopping = true;
        dropped_in_order.swap(state_->in_order);
        dropped_out_of_order.swap(state_->out_of_order);
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
    dropped_in_order.clear();
    dropped_out_of_order.clear();
}

}  // namespace meshorch::sim::detail
