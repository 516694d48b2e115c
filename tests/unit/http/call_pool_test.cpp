// CallPool: bounded threads, first in first out, and every callback exactly once, also when
// the pool goes away with work still queued.
#include "http/call_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace meshorch::http::test {
namespace {

using namespace std::chrono_literals;

TEST(CallPool, OneThreadRunsJobsInOrderOfArrival) {
    std::vector<int> order;
    std::promise<void> all;
    {
        CallPool pool(1);
        for (int i = 0; i < 20; ++i) {
            pool.submit(
                [&, i] {
                    order.push_back(i);
                    if (i == 19) all.set_value();
                },
                [] { ADD_FAILURE() << "dropped"; });
        }
        ASSERT_EQ(all.get_future().wait_for(5s), std::future_status::ready);
    }
    std::vector<int> expected(20);
    for (int i = 0; i < 20; ++i) expected[static_cast<std::size_t>(i)] = i;
    EXPECT_EQ(order, expected);
}

TEST(CallPool, NeverRunsMoreJobsAtOnceThanItHasThreads) {
    std::atomic<int> running{0};
    std::atomic<int> most{0};
    std::atomic<int> done{0};
    {
        CallPool pool(3);
        for (int i = 0; i < 30; ++i) {
            pool.submit(
                [&] {
                    const int now = ++running;
                    int seen = most;
                    while (now > seen && !most.compare_exchange_weak(seen, now)) {
                    }
                    std::this_thread::sleep_for(2ms);
                    --running;
                    ++done;
                },
                [] {});
        }
        while (done < 30) std::this_thread::sleep_for(1ms);
    }
    EXPECT_EQ(most, 3);
}

TEST(CallPool, DestructionFinishesRunningJobsAndDropsQueuedOnesExactlyOnce) {
    std::promise<void> started;
    std::promise<void> release;
    auto released = release.get_future().share();
    std::atomic<int> ran{0};
    std::atomic<int> dropped{0};
    std::atomic<bool> first_finished{false};
    auto pool = std::make_unique<CallPool>(1);
    pool->submit(
        [&] {
            started.set_value();
            released.wait();
            first_finished = true;
            ++ran;
        },
        [&] { ++dropped; });
    started.get_future().wait();
    for (int i = 0; i < 5; ++i) pool->submit([&] { ++ran; }, [&] { ++dropped; });
    std::thread destroyer([&] { pool.reset(); });
    std::this_thread::sleep_for(50ms);
    EXPECT_FALSE(first_finished);  // the destructor waits for the running job
    release.set_value();
    destroyer.join();
    EXPECT_TRUE(first_finished);
    EXPECT_EQ(ran, 1);
    EXPECT_EQ(dropped, 5);
}

TEST(CallPool, RunHandsTheResultToDoneAndADroppedJobAnswersCancelled) {
    std::promise<Result<int>> answer;
    std::promise<void> started;
    std::promise<void> release;
    auto released = release.get_future().share();
    std::promise<Result<int>> dropped_answer;
    std::thread releaser;
    {
        CallPool pool(1);
        pool.run([] { return Result<int>(7); },
                 [&](Result<int> r) { answer.set_value(std::move(r)); });
        pool.run(
            [&] {
                started.set_value();
                released.wait();
                return Result<int>(1);
            },
            [](Result<int>) {});
        started.get_future().wait();
        pool.run([] { return Result<int>(2); },
                 [&](Result<int> r) { dropped_answer.set_value(std::move(r)); });
        // Lets the running job finish only once the destructor has dropped the queued one.
        releaser = std::thread([&] {
            std::this_thread::sleep_for(50ms);
            release.set_value();
        });
    }
    releaser.join();
    auto a = answer.get_future().get();
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(*a, 7);
    auto d = dropped_answer.get_future().get();
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().code, Errc::cancelled);
}

}  // namespace
}  // namespace meshorch::http::test
