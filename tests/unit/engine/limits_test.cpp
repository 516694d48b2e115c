// Limits and subscriptions: bounded in-flight calls per backend, unsubscribe.
#include "unit/engine/engine_support.hpp"

#include <atomic>

namespace meshorch::engine_test {
namespace {

// A Cluster that forwards to another and remembers the most calls it had in flight at once.
class CountingCluster final : public Cluster {
public:
    explicit CountingCluster(std::shared_ptr<Cluster> inner) : inner_(std::move(inner)) {}

    int max_in_flight() const { return max_.load(); }

    void apply(const Object& object, const CallContext& ctx, Callback<Object> done) override {
        inner_->apply(object, ctx, track(std::move(done)));
    }
    void get(const ObjectKey& key, const CallContext& ctx,
             Callback<std::optional<Object>> done) override {
        inner_->get(key, ctx, track(std::move(done)));
    }
    void list(const std::string& api_version, const std::string& kind,
              const std::string& namespace_, const std::map<std::string, std::string>& labels,
              const CallContext& ctx, Callback<std::vector<Object>> done) override {
        inner_->list(api_version, kind, namespace_, labels, ctx, track(std::move(done)));
    }
    void remove(const ObjectKey& key, const CallContext& ctx, Callback<Ok> done) override {
        inner_->remove(key, ctx, track(std::move(done)));
    }
    void create_token(const std::string& namespace_, const std::string& service_account,
                      const std::string& audience, std::chrono::seconds lifetime,
                      const CallContext& ctx, Callback<ServiceAccountToken> done) override {
        inner_->create_token(namespace_, service_account, audience, lifetime, ctx,
                             track(std::move(done)));
    }
    void root_certificate(const std::string& namespace_, const CallContext& ctx,
                          Callback<std::string> done) override {
        inner_->root_certificate(namespace_, ctx, track(std::move(done)));
    }
    void workload_readiness(const std::string& namespace_, const std::string& microservice,
                            const std::string& version, const CallContext& ctx,
                            Callback<WorkloadReadiness> done) override {
        inner_->workload_readiness(namespace_, microservice, version, ctx, track(std::move(done)));
    }

private:
    template <class T>
    Callback<T> track(Callback<T> done) {
        const int now = ++in_flight_;
        int seen = max_.load();
        while (now > seen && !max_.compare_exchange_weak(seen, now)) {
        }
        return [this, done = std::move(done)](Result<T> r) {
            --in_flight_;
            done(std::move(r));
        };
    }

    std::shared_ptr<Cluster> inner_;
    std::atomic<int> in_flight_{0};
    std::atomic<int> max_{0};
};

TEST(EngineLimits, InFlightCallsPerBackendAreBounded) {
    sim::Options so = fast_sim();
    so.default_latency = {2ms, 3ms};
    auto world = sim::World::create(so);
    auto cluster = std::make_shared<CountingCluster>(world->cluster());
    Backends backends = world->backends();
    backends.cluster = cluster;
    OrchestratorOptions oo = fast_options();
    oo.max_in_flight_per_backend = 3;
    oo.threads = 4;
    {
        Orchestrator orch(backends, oo);
        std::vector<Operation> ops;
        for (int i = 0; i < 12; ++i) {
            auto started = orch.deploy(hybrid_spec("s" + std::to_string(i)));
            ASSERT_TRUE(started.ok());
            ops.push_back(*started);
        }
        for (auto& op : ops) {
            ASSERT_TRUE(op.wait_for(60s));
            EXPECT_TRUE(op.result().ok()) << describe(op.result());
        }
    }
    EXPECT_LE(cluster->max_in_flight(), 3);
    EXPECT_GE(cluster->max_in_flight(), 2);  // and they do run side by side
}

TEST(EngineEvents, UnsubscribedCallbacksAreNotCalledAgain) {
    Harness h;
    std::atomic<int> calls{0};
    const auto id = h.orch->subscribe([&](const Event&) { ++calls; });
    ASSERT_TRUE(h.deploy(hybrid_spec()).result().ok());
    const int after_deploy = calls.load();
    EXPECT_GT(after_deploy, 0);
    h.orch->unsubscribe(id);
    ASSERT_TRUE(h.terminate("shop").result().ok());
    EXPECT_EQ(calls.load(), after_deploy);
    EXPECT_FALSE(h.events().empty());  // the harness' own subscription still gets them
}

TEST(EngineEvents, ASubscriberThatThrowsDoesNotStopTheOthers) {
    Harness h;
    h.orch->subscribe([](const Event&) { throw std::runtime_error("subscriber bug"); });
    Operation op = h.deploy(hybrid_spec());
    EXPECT_TRUE(op.result().ok()) << describe(op.result());
    EXPECT_EQ(h.operation_states(op.id()).back(), OperationState::succeeded);
}

TEST(EngineStore, AnOrchestratorPicksUpTheServicesOfItsStore) {
    auto world = sim::World::create(fast_sim());
    auto store = std::make_shared<MemoryStateStore>();
    Backends backends = world->backends();
    backends.store = store;
    {
        Orchestrator orch(backends, fast_options());
        auto op = orch.deploy(hybrid_spec());
        ASSERT_TRUE(op.ok());
        ASSERT_TRUE(op->wait_for(30s));
        ASSERT_TRUE(op->result().ok()) << describe(op->result());
    }
    // A restarted orchestrator on the same store knows the service and can change it.
    Orchestrator orch(backends, fast_options());
    auto status = orch.status("shop");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->phase, ServicePhase::ready);
    EXPECT_EQ(status->workloads.size(), 3u);
    auto t = orch.terminate("shop");
    ASSERT_TRUE(t.ok()) << t.error().describe();
    ASSERT_TRUE(t->wait_for(30s));
    EXPECT_TRUE(t->result().ok()) << describe(t->result());
    EXPECT_TRUE(world->snapshot().empty());
}

}  // namespace
}  // namespace meshorch::engine_test
