// Internal: the simulation's clock-driven task queue. `threads` threads run tasks in deadline
// order (ties in posting order). No Asio: a condition variable over a FIFO of the tasks posted
// in time order and an ordered map of the others.
#pragma once

#include <meshorch/cancel.hpp>  // Clock

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace meshorch::sim::detail {

class Scheduler {
public:
    using Task = std::function<void()>;

    explicit Scheduler(int threads);
    ~Scheduler();  // stop()
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // Runs `task` on a scheduler thread once `when` has come. Returns false (and destroys the
    // task) once stop() has begun.
    bool post_at(Clock::time_point when, Task task);
    bool post(Task task) { return post_at(Clock::now(), std::move(task)); }

    // Drops every queued task and joins the threads. Called from one of the scheduler's own
    // threads (a task that ends the world), that thread is detached instead and exits as soon as
    // its task returns. Idempotent.
    void stop();

private:
    struct State;
    static void run(const std::shared_ptr<State>& state);

    std::shared_ptr<State> state_;
    std::vector<std::thread> threads_;
    std::mutex stop_mutex_;
    bool stopped_ = false;
};

}  // namespace meshorch::sim::detail
