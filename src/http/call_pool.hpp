// Internal: turns blocking adapter work into the ports' asynchronous calls.
//
// A bounded set of threads runs submitted jobs in order of arrival; each job's result goes to
// its callback from a pool thread. The engine already bounds in-flight calls per backend, so the
// pool only needs enough threads for that bound. Destruction finishes running jobs and fails the
// queued ones with Errc::cancelled (every callback is called exactly once).
#pragma once

#include <meshorch/error.hpp>

#include <cstddef>
#include <functional>
#include <memory>

namespace meshorch::http {

class CallPool {
public:
    explicit CallPool(std::size_t threads);
    ~CallPool();
    CallPool(const CallPool&) = delete;
    CallPool& operator=(const CallPool&) = delete;

    // `job` runs on a pool thread; if the pool is shut down before it runs, `dropped` runs
    // instead (on the calling or a pool thread).
    void submit(std::function<void()> job, std::function<void()> dropped);

    // Convenience for a port call: runs `work` (returning Result<T>) and hands its value to
    // `done`; a dropped job answers Errc::cancelled.
    template <class Work, class Done>
    void run(Work work, Done done) {
        auto shared_done = std::make_shared<Done>(std::move(done));
        submit([work = std::move(work), shared_done]() mutable { (*shared_done)(work()); },
               [shared_done] {
                   (*shared_done)(make_error(Errc::cancelled, "the adapter is shutting down"));
               });
    }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace meshorch::http
