// The registry's watchdog answers port calls whose backend never does: after the deadline plus
// call_grace with Errc::timeout, after a cancel plus call_grace with Errc::cancelled; the
// backend's late answer is dropped. It parks when nothing is in flight and wakes for the next
// call.
#include "engine/async.hpp"

#include <meshorch/ports.hpp>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <future>
#include <thread>

namespace meshorch::engine {
namespace {

using namespace std::chrono_literals;

// An io_context on one thread with a registry whose waker starts the watchdog, as Core does.
struct Engine {
    asio::io_context io;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{
        io.get_executor()};
    std::shared_ptr<Registry> registry = std::make_shared<Registry>();
    Semaphore unlimited{0};
    std::thread thread;

    Engine() {
        registry->set_waker(
            [this] { asio::co_spawn(io.get_executor(), watch_calls(registry), asio::detached); });
        thread = std::thread([this] { io.run(); });
    }
    ~Engine() {
        registry->abandon_all();
        work.reset();
        io.stop();
        thread.join();
    }

    // Runs a call on the engine's thread and waits for its result.
    Result<int> run(std::function<Task<Result<int>>()> make) {
        std::promise<Result<int>> promise;
        auto future = promise.get_future();
        auto wrapper = [&]() -> Task<void> {
            auto t = make();
            Result<int> r = co_await std::move(t);
            promise.set_value(std::move(r));
        };
        asio::co_spawn(io.get_executor(), wrapper(), asio::detached);
        return future.get();
    }

    // Calls a backend that keeps the callback and never answers; returns the result and how
    // long it took. `kept` receives the callback, for a late answer.
    std::pair<Result<int>, Clock::duration> call_unanswered(CallContext ctx,
                                                            std::function<void()> after_start,
                                                            Callback<int>* kept) {
        const auto began = Clock::now();
        auto task = [this, ctx, kept]() -> Task<Result<int>> {
            auto t = call_port<int>(
                registry, unlimited, ctx,
                [kept](const CallContext&, Callback<int> done) { *kept = std::move(done); });
            Result<int> r = co_await std::move(t);
            co_return r;
        };
        std::optional<Result<int>> result;
        std::thread caller([&] { result.emplace(run(task)); });
        after_start();
        caller.join();
        return {std::move(*result), Clock::now() - began};
    }
};

TEST(CallWatchdog, ACallPastItsDeadlineIsAnsweredWithTimeoutAfterTheGrace) {
    Engine e;
    CallContext ctx;
    ctx.deadline = Clock::now() + 100ms;
    Callback<int> kept;
    auto [result, took] = e.call_unanswered(
        ctx, [] {}, &kept);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, Errc::timeout);
    EXPECT_GE(took, 100ms + call_grace);
    EXPECT_LT(took, 100ms + call_grace + 3 * watch_interval + 500ms);
    ASSERT_TRUE(kept);
    kept(Result<int>(7));  // the late answer goes nowhere
}

TEST(CallWatchdog, ACallThatIgnoresACancelIsAnsweredCancelledAfterTheGrace) {
    Engine e;
    CancelSource source;
    CallContext ctx;
    ctx.cancel = source.token();  // no deadline: only the cancel ends it
    Callback<int> kept;
    auto [result, took] = e.call_unanswered(
        ctx,
        [&] {
            std::this_thread::sleep_for(50ms);
            source.cancel();
        },
        &kept);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, Errc::cancelled);
    EXPECT_GE(took, 50ms + call_grace);
    EXPECT_LT(took, 50ms + call_grace + 3 * watch_interval + 500ms);
}

TEST(CallWatchdog, AnAnswerInTimeIsDeliveredAndTheWatchdogWakesForTheNextCall) {
    Engine e;
    CallContext ctx;
    ctx.deadline = Clock::now() + 10s;
    auto answered = [&]() -> Task<Result<int>> {
        auto t = call_port<int>(e.registry, e.unlimited, ctx,
                                [](const CallContext&, Callback<int> done) { done(42); });
        Result<int> r = co_await std::move(t);
        co_return r;
    };
    Result<int> r = e.run(answered);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, 42);

    // Nothing in flight for a while: the watchdog parks; a later overrunning call wakes it.
    std::this_thread::sleep_for(3 * watch_interval);
    CallContext late;
    late.deadline = Clock::now() + 50ms;
    Callback<int> kept;
    auto [result, took] = e.call_unanswered(
        late, [] {}, &kept);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, Errc::timeout);
}

}  // namespace
}  // namespace meshorch::engine
