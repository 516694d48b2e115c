// Internal: the few Asio/coroutine tools the engine's state machines are written with.
//
// Everything runs on strands of one io_context. Port callbacks arrive on foreign threads; a
// Completion hands their result back to the waiting coroutine's strand, exactly once.
#pragma once

#include <meshorch/cancel.hpp>
#include <meshorch/error.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace meshorch::engine {

namespace asio = boost::asio;

template <class T>
using Task = asio::awaitable<T>;
using Executor = asio::any_io_executor;

// How long a call may overrun its deadline, or ignore a cancel, before the engine stops
// waiting for its answer.
inline constexpr std::chrono::milliseconds call_grace{1000};

class CompletionBase {
public:
    virtual ~CompletionBase() = default;
    // Drops the waiting handler without running it (shutdown).
    virtual void abandon() noexcept = 0;
    // Answers the waiting coroutine with Errc::timeout or Errc::cancelled (the watchdog).
    virtual void expire(Errc code) = 0;
};

// How often the watchdog looks for port calls that overran, while any is in flight.
inline constexpr std::chrono::milliseconds watch_interval{100};

// What the watchdog holds a port call to: answered with Errc::timeout once `give_up_at`
// passes, with Errc::cancelled call_grace after `cancel` fires.
struct Watch {
    Clock::time_point give_up_at = Clock::time_point::max();
    CancelToken cancel;
};

// Every Completion not yet completed, so that shutdown can drop what a backend never answered
// before the io_context goes away; and the watchdog of the port calls among them.
//
// The gate closes the race between a backend thread completing a call and shutdown: a
// completion holds the gate shared while it posts to (and lets go of) the engine's executor, and
// shutdown takes it exclusively to close the registry, so no executor is touched once the
// io_context may be gone.
//
// One watchdog for every call, instead of a timer and a cancel registration per call: those
// were a seventh of the engine's work per call. It runs every watch_interval while a watched
// call is in flight, and is parked otherwise (the waker starts it again).
class Registry {
public:
    // Returns 0 when the registry is already closed: the caller drops its handler at once.
    std::uint64_t add(std::weak_ptr<CompletionBase> c, std::optional<Watch> watch = {}) {
        bool wake = false;
        std::uint64_t id = 0;
        {
            std::lock_guard lock(mutex_);
            if (closed_) return 0;
            id = next_++;
            Entry& e = live_[id];
            e.completion = std::move(c);
            if (watch) {
                e.watch = std::move(*watch);
                if (watched_++ == 0 && parked_) {
                    parked_ = false;
                    wake = true;
                }
            }
        }
        if (wake && waker_) waker_();
        return id;
    }
    void remove(std::uint64_t id) {
        std::lock_guard lock(mutex_);
        auto it = live_.find(id);
        if (it == live_.end()) return;
        if (it->second.watch) --watched_;
        live_.erase(it);
    }
    // Called (outside the registry's lock) when a watched call arrives and the watchdog is
    // parked: it starts the watchdog, which then calls expire_overdue() every watch_interval.
    void set_waker(std::function<void()> waker) { waker_ = std::move(waker); }
    // Answers the watched calls that overran. False when none is watched any more: the
    // watchdog stops, parked until the next watched call wakes it.
    bool expire_overdue(Clock::time_point now) {
        std::vector<std::pair<std::shared_ptr<CompletionBase>, Errc>> due;
        {
            std::lock_guard lock(mutex_);
            if (closed_ || watched_ == 0) {
                parked_ = true;
                return false;
            }
            for (auto& [id, e] : live_) {
                if (!e.watch) continue;
                std::optional<Errc> code;
                if (now >= e.watch->give_up_at) {
                    code = Errc::timeout;
                } else if (e.watch->cancel.cancelled()) {
                    // Seen now: the backend has call_grace from here to honour the cancel.
                    if (e.cancel_seen == Clock::time_point::max()) {
                        e.cancel_seen = now;
                    } else if (now >= e.cancel_seen + call_grace) {
                        code = Errc::cancelled;
                    }
                }
                if (!code) continue;
                if (auto c = e.completion.lock()) due.emplace_back(std::move(c), *code);
            }
        }
        for (auto& [c, code] : due) c->expire(code);  // each removes itself
        return true;
    }
    // Held shared for as long as a completion touches the engine's executor.
    std::shared_lock<std::shared_mutex> enter() { return std::shared_lock(gate_); }
    // Without the registry's lock: a completion asks it on every call, holding the gate, and
    // closing takes the gate exclusively.
    bool closed() const { return closed_.load(std::memory_order_acquire); }
    void abandon_all() {
        std::vector<std::shared_ptr<CompletionBase>> all;
        {
            std::unique_lock gate(gate_);  // waits for completions in progress
            std::lock_guard lock(mutex_);
            closed_.store(true, std::memory_order_release);
            for (auto& [id, e] : live_) {
                if (auto c = e.completion.lock()) all.push_back(std::move(c));
            }
            live_.clear();
            watched_ = 0;
        }
        // Outside the gate: dropping a handler can destroy coroutine frames whose own
        // completions then try to enter it.
        for (auto& c : all) c->abandon();
    }

private:
    struct Entry {
        std::weak_ptr<CompletionBase> completion;
        std::optional<Watch> watch;
        Clock::time_point cancel_seen = Clock::time_point::max();
    };
    std::shared_mutex gate_;
    mutable std::mutex mutex_;
    std::atomic<bool> closed_ = false;  // set under the gate and `mutex_`
    bool parked_ = true;
    std::size_t watched_ = 0;
    std::uint64_t next_ = 1;
    std::unordered_map<std::uint64_t, Entry> live_;
    std::function<void()> waker_;
};

// The watchdog's loop: expires the overrunning calls every watch_interval until none is watched.
inline Task<void> watch_calls(std::shared_ptr<Registry> registry) {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor);
    for (;;) {
        timer.expires_after(watch_interval);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (ec || !registry->expire_overdue(Clock::now())) co_return;
    }
}

// A one-shot bridge from any thread to a coroutine waiting on its strand.
template <class T>
class Completion final : public CompletionBase {
public:
    using Handler = asio::any_completion_handler<void(Result<T>)>;

    static std::shared_ptr<Completion> create(const std::shared_ptr<Registry>& registry,
                                              Handler handler, Executor executor,
                                              std::optional<Watch> watch = {}) {
        auto c =
            std::shared_ptr<Completion>(new Completion(std::move(handler), std::move(executor)));
        c->registry_ = registry;
        c->id_ = registry->add(c, std::move(watch));
        if (c->id_ == 0) c->abandon();  // shutting down: the coroutine is never resumed
        return c;
    }

    // Any thread; the first call wins. The handler runs on the executor, never inline.
    bool complete(Result<T> result) {
        auto gate = registry_->enter();
        if (registry_->closed()) return false;  // shutdown has dropped (or will drop) the handler
        std::optional<Handler> handler;
        std::optional<Executor> executor;
        {
            std::lock_guard lock(mutex_);
            if (!handler_) return false;
            handler.swap(handler_);
            executor.swap(executor_);
        }
        registry_->remove(id_);
        asio::post(*executor, [h = std::move(*handler), r = std::move(result)]() mutable {
            std::move(h)(std::move(r));
        });
        return true;  // the executor copy is released here, still inside the gate
    }

    void expire(Errc code) override {
        complete(make_error(code,
                            code == Errc::timeout ? "no answer before the deadline" : "cancelled"));
    }

    void abandon() noexcept override {
        std::optional<Handler> handler;
        std::optional<Executor> executor;
        {
            std::lock_guard lock(mutex_);
            handler.swap(handler_);
            executor.swap(executor_);
        }
        // handler and executor are destroyed here, before the io_context is.
    }

    ~Completion() override {
        // A backend that drops a callback without calling it must not hang the operation.
        bool pending = false;
        {
            std::lock_guard lock(mutex_);
            pending = handler_.has_value();
        }
        if (pending) complete(make_error(Errc::internal, "the backend dropped a call unanswered"));
    }

private:
    Completion(Handler handler, Executor executor)
        : handler_(std::move(handler)), executor_(std::move(executor)) {}

    std::mutex mutex_;
    std::optional<Handler> handler_;
    std::optional<Executor> executor_;
    std::shared_ptr<Registry> registry_;
    std::uint64_t id_ = 0;
};

// The awaitable that suspends a coroutine on `executor` until `start(completion)` (or whoever
// it hands the completion to) completes it. `start` runs when the awaitable is awaited; it and
// the others are taken by reference, so the caller awaits it in the scope that holds them.
// (Awaitables are made in a statement of their own throughout the engine: GCC 12 destroys
// lambda temporaries that live across a co_await twice.)
template <class T, class Start>
auto completion_awaitable(const std::shared_ptr<Registry>& registry, const Executor& executor,
                          Start& start, std::optional<Watch>& watch) {
    auto initiation = [&registry, &executor, &start, &watch](auto handler) {
        auto c = Completion<T>::create(registry, std::move(handler), executor, std::move(watch));
        start(std::move(c));
    };
    return asio::async_initiate<const asio::use_awaitable_t<>, void(Result<T>)>(
        initiation, asio::use_awaitable);
}

// Suspends the calling coroutine until `start(completion)` completes the completion.
template <class T, class Start>
Task<Result<T>> wait_for_completion(std::shared_ptr<Registry> registry, Start start,
                                    std::optional<Watch> watch = {}) {
    auto executor = co_await asio::this_coro::executor;
    auto waiting = completion_awaitable<T>(registry, executor, start, watch);
    Result<T> result = co_await std::move(waiting);
    co_return result;
}

// A counting semaphore for coroutines on any strand: the in-flight limit of one backend.
class Semaphore {
public:
    class Permit {
    public:
        Permit() = default;
        explicit Permit(Semaphore* s) : s_(s) {}
        Permit(Permit&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
        Permit& operator=(Permit&& o) noexcept {
            if (this != &o) {
                reset();
                s_ = std::exchange(o.s_, nullptr);
            }
            return *this;
        }
        Permit(const Permit&) = delete;
        Permit& operator=(const Permit&) = delete;
        ~Permit() { reset(); }
        void reset() {
            if (auto* s = std::exchange(s_, nullptr)) s->release();
        }

    private:
        Semaphore* s_ = nullptr;
    };

    explicit Semaphore(int permits) : unlimited_(permits <= 0), available_(permits) {}

    // Without waiting: a permit, or nullopt when none is free.
    std::optional<Permit> try_acquire() {
        if (unlimited_) return Permit{};
        std::lock_guard lock(mutex_);
        if (available_ == 0) return std::nullopt;
        --available_;
        return Permit(this);
    }

    Task<Permit> acquire(std::shared_ptr<Registry> registry) {
        if (auto now = try_acquire()) co_return std::move(*now);
        // Queue up; release() hands its permit over. (The check above and the enqueue below are
        // not atomic, so enqueue re-checks under the lock.)
        auto granted_task =
            wait_for_completion<Ok>(std::move(registry), [this](std::shared_ptr<Completion<Ok>> c) {
                bool granted_now = false;
                {
                    std::lock_guard lock(mutex_);
                    if (available_ > 0) {
                        --available_;
                        granted_now = true;
                    } else {
                        waiters_.push_back(c);
                    }
                }
                if (granted_now) c->complete(Ok{});
            });
        Result<Ok> granted = co_await std::move(granted_task);
        (void)granted;
        co_return Permit(this);
    }

    void release() {
        for (;;) {
            std::shared_ptr<Completion<Ok>> next;
            {
                std::lock_guard lock(mutex_);
                if (waiters_.empty()) {
                    ++available_;
                    return;
                }
                next = std::move(waiters_.front());
                waiters_.pop_front();
            }
            if (next->complete(Ok{})) return;  // the permit moves to that waiter
        }
    }

private:
    std::mutex mutex_;
    bool unlimited_;
    int available_;
    std::deque<std::shared_ptr<Completion<Ok>>> waiters_;
};

// Sleeps until `when` or until the token is cancelled. False when cancelled.
inline Task<bool> sleep_until(Clock::time_point when, CancelToken token) {
    auto executor = co_await asio::this_coro::executor;
    auto timer = std::make_shared<asio::steady_timer>(executor, when);
    // The callback may outlive this frame (and the io_context): it holds no executor, only a
    // weak reference to the timer.
    const auto registration = token.on_cancel([weak = std::weak_ptr<asio::steady_timer>(timer)] {
        if (auto t = weak.lock()) {
            asio::post(t->get_executor(), [weak] {
                if (auto t2 = weak.lock()) t2->cancel();
            });
        }
    });
    boost::system::error_code ec;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    token.forget(registration);
    co_return !token.cancelled();
}

// Calls one port function with `ctx` and waits for its callback, holding a permit of the
// backend while the call is in flight. A call that overruns its deadline (or ignores a cancel)
// by call_grace is answered with Errc::timeout (Errc::cancelled) by the registry's watchdog;
// its late answer is dropped.
template <class T, class Start>
Task<Result<T>> call_port(std::shared_ptr<Registry> registry, Semaphore& backend, CallContext ctx,
                          Start start) {
    // A free permit is taken without a coroutine of its own: most calls find one.
    std::optional<Semaphore::Permit> permit = backend.try_acquire();
    if (!permit) {
        Semaphore::Permit waited = co_await backend.acquire(registry);
        permit.emplace(std::move(waited));
    }
    if (ctx.cancel.cancelled()) co_return make_error(Errc::cancelled, "cancelled");
    if (Clock::now() >= ctx.deadline) co_return make_error(Errc::timeout, "deadline passed");

    std::optional<Watch> watch{std::in_place};
    if (ctx.deadline < Clock::time_point::max() - call_grace) {
        watch->give_up_at = ctx.deadline + call_grace;
    }
    watch->cancel = ctx.cancel;
    auto send = [&](std::shared_ptr<Completion<T>> c) {
        start(ctx, [c](Result<T> r) { c->complete(std::move(r)); });
    };
    auto executor = co_await asio::this_coro::executor;
    // Awaited here rather than through wait_for_completion: one coroutine frame less per call.
    auto waiting = completion_awaitable<T>(registry, executor, send, watch);
    Result<T> result = co_await std::move(waiting);
    co_return result;
}

// Runs tasks concurrently on the calling strand and waits for all of them. Every task returns
// a Status; the results come back in task order. With `stop`, the first failure (other than a
// cancellation) cancels it, so the siblings stop early.
namespace detail {

struct JoinState {
    std::vector<std::optional<Status>> results;
    std::size_t remaining = 0;
    std::shared_ptr<Completion<Ok>> done;
    std::optional<CancelSource> stop;
};

inline Task<void> join_child(std::function<Task<Status>()> task, std::shared_ptr<JoinState> state,
                             std::size_t index) {
    std::optional<Status> result;
    try {
        Status s = co_await task();
        result.emplace(std::move(s));
    } catch (const std::exception& e) {
        result.emplace(
            make_error(Errc::internal, std::string("unexpected exception: ") + e.what()));
    }
    if (!result->ok() && result->error().code != Errc::cancelled && state->stop) {
        state->stop->cancel();
    }
    state->results[index] = std::move(result);
    if (--state->remaining == 0 && state->done) state->done->complete(Ok{});
}

}  // namespace detail

inline Task<std::vector<Status>> run_all(std::shared_ptr<Registry> registry,
                                         std::vector<std::function<Task<Status>()>> tasks,
                                         std::optional<CancelSource> stop = std::nullopt) {
    std::vector<Status> out;
    if (tasks.empty()) co_return out;
    auto executor = co_await asio::this_coro::executor;
    auto state = std::make_shared<detail::JoinState>();
    state->results.resize(tasks.size());
    state->remaining = tasks.size();
    state->stop = std::move(stop);
    auto all_task = wait_for_completion<Ok>(registry, [&](std::shared_ptr<Completion<Ok>> c) {
        state->done = std::move(c);
        for (std::size_t i = 0; i < tasks.size(); ++i) {
            // Moved, not copied: each task is started once.
            asio::co_spawn(executor, detail::join_child(std::move(tasks[i]), state, i),
                           asio::detached);
        }
    });
    Result<Ok> all = co_await std::move(all_task);
    (void)all;
    state->done.reset();
    out.reserve(tasks.size());
    for (auto& r : state->results) {
        out.push_back(r ? std::move(*r) : Status(make_error(Errc::internal, "a task never ended")));
    }
    co_return out;
}

// The first failure, preferring a real error to the cancellations it caused.
inline Status first_failure(const std::vector<Status>& results) {
    const Status* cancelled = nullptr;
    for (const auto& r : results) {
        if (r.ok()) continue;
        if (r.error().code != Errc::cancelled) return r;
        if (!cancelled) cancelled = &r;
    }
    if (cancelled) return *cancelled;
    return Ok{};
}

}  // namespace meshorch::engine
