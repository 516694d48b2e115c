#include "http/call_pool.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace meshorch::http {
namespace {

struct Job {
    std::function<void()> run;
    std::function<void()> dropped;
};

// Shared with the workers, so a pool destroyed from one of its own jobs stays valid for the
// thread that ran it.
struct State {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<Job> queue;
    bool stopping = false;
};

void work(const std::shared_ptr<State>& s) {
    std::unique_lock lock(s->mutex);
    for (;;) {
        s->cv.wait(lock, [&] { return s->stopping || !s->queue.empty(); });
        if (s->stopping) return;  // the destructor answers what is still queued
        Job job = std::move(s->queue.front());
        s->queue.pop_front();
        lock.unlock();
        job.run();
        job = {};  // captures go before the lock is taken again
        lock.lock();
    }
}

}  // namespace

struct CallPool::Impl {
    std::shared_ptr<State> state = std::make_shared<State>();
    std::vector<std::thread> threads;
};

CallPool::CallPool(std::size_t threads) : impl_(std::make_unique<Impl>()) {
    if (threads == 0) threads = 1;
    impl_->threads.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) {
        impl_->threads.emplace_back([s = impl_->state] { work(s); });
    }
}

CallPool::~CallPool() {
    auto& s = *impl_->state;
    std::deque<Job> queued;
    {
        std::lock_guard lock(s.mutex);
        s.stopping = true;
        queued.swap(s.queue);
    }
    s.cv.notify_all();
    for (auto& job : queued) {
        if (job.dropped) job.dropped();
    }
    queued.clear();
    const auto self = std::this_thread::get_id();
    for (auto& t : impl_->threads) {
        if (t.get_id() == self) {
            t.detach();  // destroyed from one of its own jobs: it leaves when the job returns
        } else if (t.joinable()) {
            t.join();
        }
    }
}

void CallPool::submit(std::function<void()> job, std::function<void()> dropped) {
    auto& s = *impl_->state;
    {
        std::lock_guard lock(s.mutex);
        if (!s.stopping) {
            s.queue.push_back(Job{std::move(job), std::move(dropped)});
            s.cv.notify_one();
            return;
        }
    }
    if (dropped) dropped();
}

}  // namespace meshorch::http
