// Deadlines and cancellation for every asynchronous call.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace meshorch {

using Clock = std::chrono::steady_clock;
using Deadline = Clock::time_point;

// Observes a CancelSource. Cheap to copy; a default-constructed token is never cancelled.
class CancelToken {
public:
    CancelToken() = default;
    bool cancelled() const noexcept;
    // Runs `fn` once when cancelled (at once if already cancelled). Returns an id for forget().
    std::uint64_t on_cancel(std::function<void()> fn) const;
    void forget(std::uint64_t id) const;

private:
    friend class CancelSource;
    struct State;
    explicit CancelToken(std::shared_ptr<State> s) : state_(std::move(s)) {}
    std::shared_ptr<State> state_;
};

class CancelSource {
public:
    CancelSource();
    CancelToken token() const;
    void cancel();  // idempotent; runs the registered callbacks on the calling thread
    bool cancelled() const noexcept;

private:
    std::shared_ptr<CancelToken::State> state_;
};

// Passed to every port call: when to give up, whether to give up now, and whose call it is
// (the operation id appears in the adapter's log lines).
struct CallContext {
    Deadline deadline = Deadline::max();
    CancelToken cancel;
    std::string operation_id;
};

}  // namespace meshorch
