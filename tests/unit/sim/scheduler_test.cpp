// The simulation's task queue: deadline order whatever the posting order, ties in posting order,
// and stop() drops what has not run.
#include "sim/scheduler.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

namespace meshorch::sim::detail {
namespace {

using namespace std::chrono_literals;

// Collects the labels of the tasks that ran, in the order they ran.
class Ran {
public:
    void add(int label) {
        std::lock_guard lock(mutex_);
        labels_.push_back(label);
        cv_.notify_all();
    }
    bool wait_for_count(std::size_t n) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, 10s, [&] { return labels_.size() >= n; });
    }
    std::vector<int> labels() {
        std::lock_guard lock(mutex_);
        return labels_;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<int> labels_;
};

// Posted in an order that mixes later, earlier and equal deadlines: they run by deadline, and
// tasks with the same deadline in the order they were posted.
TEST(SimScheduler, RunsTasksByDeadlineWhateverThePostingOrder) {
    Ran ran;
    Scheduler scheduler(1);
    const auto base = Clock::now() + 100ms;
    const std::vector<std::pair<int, std::chrono::milliseconds>> posts = {
        {3, 30ms}, {5, 50ms}, {1, 10ms}, {4, 30ms}, {6, 60ms}, {2, 20ms}, {0, 0ms}, {7, 60ms},
    };
    for (const auto& [label, offset] : posts) {
        ASSERT_TRUE(scheduler.post_at(base + offset, [&ran, label = label] { ran.add(label); }));
    }
    ASSERT_TRUE(ran.wait_for_count(posts.size()));
    EXPECT_EQ(ran.labels(), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
}

// A task due before everything queued is not held up behind them: the waiting thread wakes
// for it.
TEST(SimScheduler, AnEarlierTaskPostedLaterRunsFirst) {
    Ran ran;
    Scheduler scheduler(1);
    const auto start = Clock::now();
    ASSERT_TRUE(scheduler.post_at(start + 2s, [&ran] { ran.add(2); }));
    ASSERT_TRUE(scheduler.post_at(start + 10ms, [&ran] { ran.add(1); }));
    ASSERT_TRUE(ran.wait_for_count(1));
    EXPECT_LT(Clock::now() - start, 1500ms);
    EXPECT_EQ(ran.labels(), std::vector<int>{1});
}

// Every task runs exactly once with several threads, in deadline order within each thread's
// share; here the order across threads is not asserted, only that none is lost or repeated.
TEST(SimScheduler, SeveralThreadsRunEveryTaskOnce) {
    Ran ran;
    Scheduler scheduler(3);
    const auto base = Clock::now() + 20ms;
    constexpr int count = 2000;
    for (int i = 0; i < count; ++i) {
        // Alternately in and out of time order.
        const auto offset = std::chrono::microseconds(i % 2 == 0 ? i * 10 : (count - i) * 10);
        ASSERT_TRUE(scheduler.post_at(base + offset, [&ran, i] { ran.add(i); }));
    }
    ASSERT_TRUE(ran.wait_for_count(count));
    std::vector<int> labels = ran.labels();
    std::sort(labels.begin(), labels.end());
    ASSERT_EQ(labels.size(), static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) EXPECT_EQ(labels[static_cast<std::size_t>(i)], i);
}

// stop() drops what is queued, in either part of the queue: those tasks never run and what
// they captured is released; later posts are refused.
TEST(SimScheduler, StopDropsQueuedTasksAndRefusesNewOnes) {
    std::atomic<int> runs = 0;
    auto captured = std::make_shared<int>(0);
    {
        Scheduler scheduler(1);
        const auto late = Clock::now() + 1h;
        ASSERT_TRUE(scheduler.post_at(late + 1s, [&runs, captured] { ++runs; }));
        ASSERT_TRUE(scheduler.post_at(late, [&runs, captured] { ++runs; }));  // out of order
        EXPECT_EQ(captured.use_count(), 3);
        scheduler.stop();
        EXPECT_EQ(captured.use_count(), 1);
        EXPECT_FALSE(scheduler.post([&runs] { ++runs; }));
    }
    EXPECT_EQ(runs.load(), 0);
}

}  // namespace
}  // namespace meshorch::sim::detail
