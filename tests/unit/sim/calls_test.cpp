// The call machinery every simulated port shares: counting, latency, faults, deadlines,
// cancellation, the threads callbacks run on, and destruction with calls in flight.
#include "sim_support.hpp"

#include <atomic>
#include <mutex>
#include <vector>

namespace meshorch::sim::test {
namespace {

TEST(SimCalls, CallbackRunsOnASimThreadNeverInline) {
    Sim sim;
    std::thread::id thread;
    auto id = await<std::string>(
        [&](auto cb) { sim.vnfm->create_vnf(vm_request("a"), sim.ctx, cb); }, 5s, &thread);
    ASSERT_TRUE(id.ok());
    EXPECT_NE(thread, std::this_thread::get_id());
}

TEST(SimCalls, EveryCallIsCounted) {
    Sim sim;
    ASSERT_TRUE(sim.create(vm_request("a")).ok());
    ASSERT_TRUE(sim.create(vm_request("b")).ok());
    (void)sim.get(ObjectKey{"v1", "Namespace", "", "x"});
    (void)sim.vnf("missing");  // failed calls count too
    auto counts = sim.world->call_counts();
    EXPECT_EQ(counts[CallKind::vnf_create], 2u);
    EXPECT_EQ(counts[CallKind::k8s_get], 1u);
    EXPECT_EQ(counts[CallKind::vnf_get], 1u);
    EXPECT_EQ(counts[CallKind::vnf_instantiate], 0u);
    sim.world->reset_call_counts();
    EXPECT_TRUE(sim.world->call_counts().empty());
}

TEST(SimCalls, LatencyPerKindOrdersAnswers) {
    Options o;
    o.latency[CallKind::vnf_create] = Latency{120ms, 0ms};
    o.latency[CallKind::k8s_get] = Latency{0ms, 0ms};
    Sim sim(o);
    std::mutex m;
    std::vector<std::string> order;
    std::promise<void> both;
    std::atomic<int> left{2};
    auto note = [&](const char* what) {
        {
            std::lock_guard lock(m);
            order.push_back(what);
        }
        if (--left == 0) both.set_value();
    };
    const auto start = std::chrono::steady_clock::now();
    sim.vnfm->create_vnf(vm_request("slow"), sim.ctx, [&](Result<std::string>) { note("create"); });
    sim.cluster->get(ObjectKey{"v1", "Namespace", "", "x"}, sim.ctx,
                     [&](Result<std::optional<Object>>) { note("get"); });
    ASSERT_EQ(both.get_future().wait_for(5s), std::future_status::ready);
    // A lower bound only: a delayed answer never comes early.
    EXPECT_GE(std::chrono::steady_clock::now() - start, 120ms);
    EXPECT_EQ(order, (std::vector<std::string>{"get", "create"}));
}

TEST(SimCalls, DefaultLatencyAndJitterApplyToEveryCall) {
    Options o;
    o.default_latency = Latency{20ms, 10ms};
    Sim sim(o);
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(sim.create(vm_request("a")).ok());
    EXPECT_GE(std::chrono::steady_clock::now() - start, 20ms);
    sim.world->set_latency(CallKind::vnf_create, Latency{0ms, 0ms});
    ASSERT_TRUE(sim.create(vm_request("b")).ok());  // still answered, from a sim thread
}

TEST(SimCalls, ScriptedNthCallFails) {
    Sim sim;
    sim.world->script(ScriptedFault{CallKind::vnf_create, 2, FaultKind::unavailable, "", 1});
    EXPECT_TRUE(sim.create(vm_request("a")).ok());
    auto second = sim.create(vm_request("b"));
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.error().code, Errc::transient);
    EXPECT_EQ(second.error().http_status, 503);
    EXPECT_TRUE(sim.create(vm_request("c")).ok());
    // The failed call was not performed.
    EXPECT_FALSE(sim.find("b")->has_value());
    EXPECT_TRUE(sim.find("c")->has_value());
}

TEST(SimCalls, ScriptedFaultMatchAndRepeat) {
    Sim sim;
    sim.world->script(ScriptedFault{CallKind::vnf_create, 1, FaultKind::conflict, "db", 2});
    EXPECT_TRUE(sim.create(vm_request("web")).ok());  // does not match, not counted
    for (const char* name : {"db-1", "db-2"}) {
        auto r = sim.create(vm_request(name));
        ASSERT_FALSE(r.ok()) << name;
        EXPECT_EQ(r.error().code, Errc::conflict);
        EXPECT_EQ(r.error().http_status, 409);
    }
    EXPECT_TRUE(sim.create(vm_request("db-3")).ok());
    // Other call kinds are not affected.
    EXPECT_TRUE(sim.find("db-3").ok());
}

TEST(SimCalls, ScriptedFaultWithRepeatZeroIsPermanentUntilCleared) {
    Sim sim;
    sim.world->script(ScriptedFault{CallKind::k8s_apply, 2, FaultKind::rate_limited, "", 0});
    ASSERT_TRUE(sim.apply(namespace_object("a")).ok());
    for (int i = 0; i < 5; ++i) {
        auto r = sim.apply(namespace_object("b"));
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().http_status, 429);
        EXPECT_TRUE(r.error().retryable());
    }
    sim.world->clear_faults();
    EXPECT_TRUE(sim.apply(namespace_object("b")).ok());
}

TEST(SimCalls, FaultKindsMapToErrors) {
    Sim sim;
    struct Case {
        FaultKind fault;
        Errc code;
        int status;
    };
    const Case cases[] = {
        {FaultKind::unavailable, Errc::transient, 503},
        {FaultKind::rate_limited, Errc::transient, 429},
        {FaultKind::conflict, Errc::conflict, 409},
        {FaultKind::rejected, Errc::backend, 422},
    };
    for (const auto& c : cases) {
        sim.world->clear_faults();
        sim.world->script(ScriptedFault{CallKind::vnf_create, 1, c.fault, "", 1});
        auto r = sim.create(vm_request("shop-cart-v1"));
        ASSERT_FALSE(r.ok()) << to_string(c.fault);
        EXPECT_EQ(r.error().code, c.code) << to_string(c.fault);
        EXPECT_EQ(r.error().http_status, c.status) << to_string(c.fault);
        // The message names the call and its target; the body looks like ProblemDetails.
        EXPECT_NE(r.error().message.find("vnf_create"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find("shop-cart-v1"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().body_excerpt.find("\"status\":" + std::to_string(c.status)),
                  std::string::npos)
            << r.error().body_excerpt;
    }
    EXPECT_FALSE(sim.find("shop-cart-v1")->has_value());
}

TEST(SimCalls, KubernetesFaultBodiesAreStatusObjects) {
    Sim sim;
    sim.world->script(ScriptedFault{CallKind::k8s_apply, 1, FaultKind::rejected, "", 1});
    auto r = sim.apply(namespace_object("ns1"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::backend);
    EXPECT_NE(r.error().body_excerpt.find("\"kind\":\"Status\""), std::string::npos);
    EXPECT_NE(r.error().message.find("ns1"), std::string::npos);
}

std::vector<bool> outcomes(std::uint64_t seed, int calls) {
    Options o;
    o.seed = seed;
    o.fault_probability = 0.3;
    Sim sim(o);
    std::vector<bool> out;
    for (int i = 0; i < calls; ++i)
        out.push_back(sim.create(vm_request("v" + std::to_string(i))).ok());
    return out;
}

TEST(SimCalls, RandomFaultsAreReproducibleForASeed) {
    const auto a = outcomes(42, 200);
    const auto b = outcomes(42, 200);
    EXPECT_EQ(a, b);
    const auto failures = std::count(a.begin(), a.end(), false);
    EXPECT_GT(failures, 30);  // about 60 expected
    EXPECT_LT(failures, 100);
    EXPECT_NE(a, outcomes(43, 200));
}

TEST(SimCalls, RandomFaultsSparePollsUnlessSetPerKind) {
    Options o;
    o.fault_probability = 1.0;
    Sim sim(o);
    EXPECT_FALSE(sim.create(vm_request("a")).ok());
    auto get = sim.get(ObjectKey{"v1", "Namespace", "", "x"});
    EXPECT_TRUE(get.ok());
    EXPECT_EQ(sim.vnf("nope").error().code, Errc::not_found);  // performed, not faulted
    EXPECT_EQ(sim.operation("nope").error().code, Errc::not_found);
    EXPECT_TRUE(sim.readiness("ns", "a", "v1").ok());

    Options per_kind;
    per_kind.fault_probability_per_call[CallKind::k8s_get] = 1.0;
    per_kind.random_fault = FaultKind::rejected;
    Sim sim2(per_kind);
    auto r = sim2.get(ObjectKey{"v1", "Namespace", "", "x"});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::backend);
    EXPECT_TRUE(sim2.create(vm_request("a")).ok());
}

TEST(SimCalls, SetFaultProbabilityAtRuntime) {
    Sim sim;
    sim.world->set_fault_probability(1.0);
    EXPECT_FALSE(sim.create(vm_request("a")).ok());
    sim.world->set_fault_probability(0.0);
    EXPECT_TRUE(sim.create(vm_request("a")).ok());
}

TEST(SimCalls, TimeoutFaultAnswersAtTheDeadlineAndDoesNothing) {
    Sim sim;
    sim.world->script(ScriptedFault{CallKind::vnf_create, 1, FaultKind::timeout, "", 1});
    sim.ctx.deadline = Clock::now() + 50ms;
    const auto start = Clock::now();
    auto r = sim.create(vm_request("a"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::timeout);
    EXPECT_GE(Clock::now() - start, 50ms);
    sim.ctx = {};
    EXPECT_TRUE(sim.world->snapshot().empty());
}

TEST(SimCalls, TimeoutFaultWithoutDeadlineUsesNoDeadlineTimeout) {
    Options o;
    o.no_deadline_timeout = 30ms;
    Sim sim(o);
    sim.world->script(ScriptedFault{CallKind::k8s_list, 1, FaultKind::timeout, "", 1});
    auto r = sim.list("v1", "ConfigMap", "ns");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::timeout);
}

TEST(SimCalls, CancelWhileDelayedAnswersCancelledAndDoesNothing) {
    Options o;
    o.latency[CallKind::vnf_create] = Latency{10s, 0ms};
    Sim sim(o);
    CancelSource source;
    sim.ctx.cancel = source.token();
    std::thread canceller([&] {
        std::this_thread::sleep_for(20ms);
        source.cancel();
    });
    auto r = sim.create(vm_request("a"));  // would take 10 s
    canceller.join();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::cancelled);
    EXPECT_TRUE(sim.world->snapshot().empty());
}

TEST(SimCalls, AlreadyCancelledOrPastDeadline) {
    Sim sim;
    CancelSource source;
    source.cancel();
    sim.ctx.cancel = source.token();
    auto cancelled = sim.create(vm_request("a"));
    ASSERT_FALSE(cancelled.ok());
    EXPECT_EQ(cancelled.error().code, Errc::cancelled);

    sim.ctx = {};
    sim.ctx.deadline = Clock::now() - 1ms;
    auto late = sim.create(vm_request("b"));
    ASSERT_FALSE(late.ok());
    EXPECT_EQ(late.error().code, Errc::timeout);
    EXPECT_TRUE(sim.world->snapshot().empty());
    EXPECT_EQ(sim.world->call_counts()[CallKind::vnf_create], 2u);
}

TEST(SimCalls, DeadlineShorterThanLatencyTimesOut) {
    Options o;
    o.latency[CallKind::k8s_apply] = Latency{5s, 0ms};
    Sim sim(o);
    sim.ctx.deadline = Clock::now() + 30ms;
    auto r = sim.apply(namespace_object("a"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::timeout);
    EXPECT_TRUE(sim.world->snapshot().empty());
}

TEST(SimCalls, ManyConcurrentCallsOnSeveralThreadsEachAnswerOnce) {
    Options o;
    o.threads = 4;
    o.default_latency = Latency{0ms, 3ms};
    Sim sim(o);
    constexpr int n = 300;
    std::atomic<int> answered{0};
    std::promise<void> all;
    for (int i = 0; i < n; ++i) {
        sim.vnfm->create_vnf(vm_request("v" + std::to_string(i)), sim.ctx,
                             [&](Result<std::string> r) {
                                 EXPECT_TRUE(r.ok());
                                 if (++answered == n) all.set_value();
                             });
    }
    ASSERT_EQ(all.get_future().wait_for(10s), std::future_status::ready);
    EXPECT_EQ(sim.world->snapshot().vnfs.size(), static_cast<std::size_t>(n));
}

TEST(SimCalls, DestroyingTheWorldAnswersPendingCallsCancelled) {
    Options o;
    o.default_latency = Latency{10s, 0ms};
    auto world = World::create(o);
    auto vnfm = world->vnf_manager();  // outlives the world
    std::atomic<int> cancelled{0};
    for (int i = 0; i < 3; ++i) {
        vnfm->create_vnf(vm_request("a"), {}, [&](Result<std::string> r) {
            if (!r.ok() && r.error().code == Errc::cancelled) ++cancelled;
        });
    }
    world.reset();  // joins the sim threads, answers the three calls
    EXPECT_EQ(cancelled.load(), 3);
    // Calls after the end are answered at once, with Errc::cancelled.
    std::optional<Result<std::string>> after;
    vnfm->create_vnf(vm_request("b"), {},
                     [&](Result<std::string> r) { after.emplace(std::move(r)); });
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(after->error().code, Errc::cancelled);
}

TEST(SimCalls, TheWorldMayBeDestroyedFromItsOwnCallback) {
    auto world = World::create();
    auto cluster = world->cluster();
    std::promise<void> done;
    cluster->get(ObjectKey{"v1", "Namespace", "", "x"}, {}, [&](Result<std::optional<Object>>) {
        world.reset();  // the last reference, on a sim thread
        done.set_value();
    });
    ASSERT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
    std::optional<Status> after;
    cluster->remove(ObjectKey{"v1", "Namespace", "", "x"}, {},
                    [&](Status s) { after.emplace(std::move(s)); });
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(after->error().code, Errc::cancelled);
}

TEST(SimCalls, NamesOfKinds) {
    EXPECT_STREQ(to_string(CallKind::vnf_get_operation), "vnf_get_operation");
    EXPECT_STREQ(to_string(CallKind::inject_remove), "inject_remove");
    EXPECT_STREQ(to_string(FaultKind::never_boots), "never_boots");
}

}  // namespace
}  // namespace meshorch::sim::test
