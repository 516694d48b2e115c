// Internal: the engine's strands on an executor the caller provides
// (OrchestratorOptions::executor).
//
// An Asio handler is move-only and the caller's executor takes a std::function, so each handler
// travels in a shared shell. The shells are counted: a handler may use what the engine's
// io_context owns (its strands, its timers), so shutdown waits until the caller has run or
// dropped every shell before that io_context goes.
#pragma once

#include <meshorch/orchestrator.hpp>

#include <boost/asio/execution.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <type_traits>
#include <utility>

namespace meshorch::engine {

// The caller's executor, with the count of the handlers handed to it and not yet run or dropped.
class Handoff {
public:
    Handoff(boost::asio::io_context& io, TaskExecutor executor)
        : io_(io), executor_(std::move(executor)), count_(std::make_shared<Count>()) {}

    template <class F>
    void hand_over(F&& f) {
        auto shell = std::make_shared<Shell<std::decay_t<F>>>(std::forward<F>(f), count_);
        executor_([shell = std::move(shell)] { shell->run(); });
    }

    // Waits until every handler handed over has been run or dropped; false after `limit`.
    bool wait_until_idle(std::chrono::milliseconds limit) {
        std::unique_lock lock(count_->mutex);
        return count_->idle.wait_for(lock, limit, [&] { return count_->handed == 0; });
    }

    // The engine is going while the caller still holds some of its handlers: from now on they
    // are neither run nor destroyed (both would use the engine), only leaked. Waits for the
    // handlers being run or destroyed at that moment.
    void abandon() {
        std::unique_lock running(count_->running);
        count_->abandoned = true;
    }

    boost::asio::io_context& context() const noexcept { return io_; }

private:
    struct Count {
        std::mutex mutex;
        std::condition_variable idle;
        std::size_t handed = 0;     // under `mutex`
        std::shared_mutex running;  // held shared by each handler while it runs
        std::atomic<bool> abandoned = false;
    };
    // Runs its handler at most once (a caller may copy the task), and counts itself out when
    // the last copy goes, run or not.
    template <class F>
    struct Shell {
        template <class G>  // the handler, moved or copied in
        Shell(G&& f, std::shared_ptr<Count> c)
            : fn(std::make_unique<F>(std::forward<G>(f))), count(std::move(c)) {
            std::lock_guard lock(count->mutex);
            ++count->handed;
        }
        Shell(const Shell&) = delete;
        Shell& operator=(const Shell&) = delete;
        ~Shell() {
            {
                std::shared_lock running(count->running);
                if (count->abandoned) {
                    (void)fn.release();  // leaked: see abandon()
                } else {
                    fn.reset();
                }
            }
            std::lock_guard lock(count->mutex);
            if (--count->handed == 0) count->idle.notify_all();
        }
        void run() {
            if (ran.exchange(true)) return;
            std::shared_lock running(count->running);
            if (count->abandoned) return;
            F& handler = *fn;
            std::move(handler)();
        }
        std::unique_ptr<F> fn;
        std::shared_ptr<Count> count;
        std::atomic<bool> ran = false;
    };

    boost::asio::io_context& io_;
    TaskExecutor executor_;
    std::shared_ptr<Count> count_;
};

// An Asio executor over a Handoff. It never runs a handler inline (blocking.never); the engine
// wraps it in strands, as it does its own io_context.
class CallerExecutor {
public:
    explicit CallerExecutor(std::shared_ptr<Handoff> handoff) noexcept
        : handoff_(std::move(handoff)) {}

    template <class F>
    void execute(F&& f) const {
        handoff_->hand_over(std::forward<F>(f));
    }

    // Timers made with this executor live in the engine's io_context, whose one thread keeps
    // time; their handlers come back through execute().
    boost::asio::io_context& query(boost::asio::execution::context_t) const noexcept {
        return handoff_->context();
    }
    static constexpr boost::asio::execution::blocking_t query(
        boost::asio::execution::blocking_t) noexcept {
        return boost::asio::execution::blocking.never;
    }
    CallerExecutor require(boost::asio::execution::blocking_t::never_t) const noexcept {
        return *this;
    }

    friend bool operator==(const CallerExecutor& a, const CallerExecutor& b) noexcept {
        return a.handoff_ == b.handoff_;
    }
    friend bool operator!=(const CallerExecutor& a, const CallerExecutor& b) noexcept {
        return !(a == b);
    }

private:
    std::shared_ptr<Handoff> handoff_;
};

}  // namespace meshorch::engine
