// The orchestrator on an executor the caller provides (OrchestratorOptions::executor): every
// step and every event runs there, the orchestrator keeps one thread only, and its destruction
// waits for what it handed over.
#include "engine_support.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <set>

namespace meshorch::engine_test {
namespace {

// A one-thread event loop of the application's, the executor handed to the orchestrator.
class EventLoop {
public:
    EventLoop() : thread_([this] { run(); }) {}
    ~EventLoop() { stop(); }

    TaskExecutor executor() {
        return [this](std::function<void()> task) {
            std::lock_guard lock(mutex_);
            if (stopping_ || dropping_) {
                ++dropped_;
                return;  // destroyed here, never run
            }
            tasks_.push_back(std::move(task));
            ready_.notify_one();
        };
    }
    std::thread::id id() const { return thread_.get_id(); }
    std::size_t ran() const { return ran_.load(); }
    std::size_t dropped() const {
        std::lock_guard lock(mutex_);
        return dropped_;
    }
    // From now on, tasks are destroyed without running (an executor that is closing).
    void drop_from_now_on() {
        std::lock_guard lock(mutex_);
        dropping_ = true;
    }
    // Holds the loop: tasks wait until resume().
    void pause() {
        std::lock_guard lock(mutex_);
        paused_ = true;
    }
    void resume() {
        std::lock_guard lock(mutex_);
        paused_ = false;
        ready_.notify_one();
    }
    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            ready_.notify_one();
        }
        if (thread_.joinable()) thread_.join();
    }

private:
    void run() {
        std::unique_lock lock(mutex_);
        for (;;) {
            ready_.wait(lock, [&] { return stopping_ || (!paused_ && !tasks_.empty()); });
            if (stopping_) return;
            auto task = std::move(tasks_.front());
            tasks_.pop_front();
            lock.unlock();
            task();
            task = nullptr;
            ++ran_;
            lock.lock();
        }
    }

    mutable std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    bool dropping_ = false;
    bool paused_ = false;
    std::size_t dropped_ = 0;
    std::atomic<std::size_t> ran_ = 0;
    std::thread thread_;
};

// The world's injector, noting the thread each call comes from.
class ThreadNotingInjector final : public SidecarInjector {
public:
    explicit ThreadNotingInjector(std::shared_ptr<SidecarInjector> inner)
        : inner_(std::move(inner)) {}
    void inject(const InjectionRequest& request, const CallContext& ctx,
                Callback<InjectionResult> done) override {
        note();
        inner_->inject(request, ctx, std::move(done));
    }
    void refresh_token(const VmInstance& vm, const std::string& token, const CallContext& ctx,
                       Callback<Ok> done) override {
        note();
        inner_->refresh_token(vm, token, ctx, std::move(done));
    }
    void remove(const VmInstance& vm, const CallContext& ctx, Callback<Ok> done) override {
        note();
        inner_->remove(vm, ctx, std::move(done));
    }
    std::set<std::thread::id> threads() const {
        std::lock_guard lock(mutex_);
        return threads_;
    }

private:
    void note() {
        std::lock_guard lock(mutex_);
        threads_.insert(std::this_thread::get_id());
    }
    std::shared_ptr<SidecarInjector> inner_;
    mutable std::mutex mutex_;
    std::set<std::thread::id> threads_;
};

std::size_t threads_of_this_process() {
    std::size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
        (void)entry;
        ++n;
    }
    return n;
}

// Calls slow enough that a deploy is still running when a test steps in.
sim::Options slow_sim() {
    sim::Options o = fast_sim();
    o.default_latency = {20ms, 20ms};
    return o;
}

OrchestratorOptions on(EventLoop& loop) {
    OrchestratorOptions o = fast_options();
    o.executor = loop.executor();
    return o;
}

TEST(CallerExecutor, StepsAndEventsRunOnTheCallersThreadOnly) {
    spdlog::set_level(spdlog::level::warn);
    auto world = sim::World::create(fast_sim());
    EventLoop loop;
    Backends backends = world->backends();
    auto injector = std::make_shared<ThreadNotingInjector>(backends.injector);
    backends.injector = injector;

    const std::size_t before = threads_of_this_process();
    auto orch = std::make_unique<Orchestrator>(backends, on(loop));
    EXPECT_EQ(threads_of_this_process(), before + 1) << "one thread of its own: the clock";

    std::mutex m;
    std::set<std::thread::id> event_threads;
    std::size_t events = 0;
    orch->subscribe([&](const Event&) {
        std::lock_guard lock(m);
        event_threads.insert(std::this_thread::get_id());
        ++events;
    });

    auto deployed = orch->deploy(hybrid_spec());
    ASSERT_TRUE(deployed.ok()) << deployed.error().describe();
    ASSERT_TRUE(deployed->wait_for(30s));
    EXPECT_EQ(deployed->state(), OperationState::succeeded) << describe(deployed->result());
    auto terminated = orch->terminate("shop");
    ASSERT_TRUE(terminated.ok());
    ASSERT_TRUE(terminated->wait_for(30s));
    EXPECT_EQ(terminated->state(), OperationState::succeeded) << describe(terminated->result());
    EXPECT_TRUE(world->snapshot().empty());

    {
        std::lock_guard lock(m);
        EXPECT_GT(events, 10u);
        EXPECT_EQ(event_threads, std::set<std::thread::id>{loop.id()});
    }
    // The injector is called from the steps: inject on deploy, remove on terminate.
    EXPECT_EQ(injector->threads(), std::set<std::thread::id>{loop.id()});
    EXPECT_GT(loop.ran(), 50u);

    orch.reset();
    EXPECT_EQ(threads_of_this_process(), before);
}

TEST(CallerExecutor, OwnThreadsWhenNoExecutorIsGiven) {
    auto world = sim::World::create(fast_sim());
    const std::size_t before = threads_of_this_process();
    OrchestratorOptions o = fast_options();
    o.threads = 3;
    auto orch = std::make_unique<Orchestrator>(world->backends(), o);
    EXPECT_EQ(threads_of_this_process(), before + 3);
    orch.reset();
    EXPECT_EQ(threads_of_this_process(), before);
}

// A deploy under way on a slow world, its steps on an event loop of the test's.
struct DeployUnderWay {
    DeployUnderWay() {
        spdlog::set_level(spdlog::level::off);
        orch = std::make_unique<Orchestrator>(world->backends(), on(loop));
        auto started = orch->deploy(hybrid_spec());
        if (started.ok()) op = *started;
    }
    std::shared_ptr<sim::World> world = sim::World::create(slow_sim());
    EventLoop loop;
    std::unique_ptr<Orchestrator> orch;
    Operation op;
};

TEST(CallerExecutor, DestructionWaitsForTheTasksHandedOver) {
    DeployUnderWay d;
    ASSERT_TRUE(d.op.valid());
    ASSERT_TRUE(eventually([&] { return d.loop.ran() > 5; }));
    // Held mid-deploy: the destructor must wait for the loop, not free what its queue uses.
    d.loop.pause();
    std::atomic<bool> destroyed = false;
    std::thread destroyer([&] {
        d.orch.reset();
        destroyed = true;
    });
    std::this_thread::sleep_for(200ms);
    EXPECT_FALSE(destroyed.load()) << "the destructor returned while tasks were held";
    d.loop.resume();
    destroyer.join();
    EXPECT_TRUE(d.op.done());
    EXPECT_NE(d.op.state(), OperationState::succeeded);  // cancelled by the destruction
    EXPECT_TRUE(d.world->snapshot().empty()) << "the cancelled deploy rolled back";
}

TEST(CallerExecutor, TasksTheExecutorDropsDoNotHoldTheDestructor) {
    DeployUnderWay d;
    ASSERT_TRUE(d.op.valid());
    ASSERT_TRUE(eventually([&] { return d.loop.ran() > 5; }));
    // An executor that closes: what it is handed from now on is destroyed, never run.
    d.loop.drop_from_now_on();
    const auto t0 = std::chrono::steady_clock::now();
    d.orch.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 25s);
    EXPECT_GT(d.loop.dropped(), 0u);
    EXPECT_TRUE(d.op.done());
    EXPECT_EQ(d.op.state(), OperationState::failed);
    EXPECT_EQ(d.op.result().error().code, Errc::cancelled) << describe(d.op.result());
}

}  // namespace
}  // namespace meshorch::engine_test
