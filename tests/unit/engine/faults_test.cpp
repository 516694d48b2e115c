// Failures: cancel, deadline, terminal faults in each phase, transient faults, rollback that
// fails, heal. Assertions are on the simulated world, not on logs.
#include "unit/engine/engine_support.hpp"

#include <atomic>
#include <future>
#include <map>
#include <thread>

namespace meshorch::engine_test {
namespace {

using sim::CallKind;
using sim::FaultKind;
using sim::ScriptedFault;

ScriptedFault fault(CallKind call, int nth, FaultKind kind, std::string match = {},
                    int repeat = 1) {
    ScriptedFault f;
    f.call = call;
    f.nth = nth;
    f.fault = kind;
    f.match = std::move(match);
    f.repeat = repeat;
    return f;
}

TEST(EngineCancel, CancelDuringInstantiationRollsBackToAnEmptyWorld) {
    sim::Options so = fast_sim();
    so.lcm_duration = 300ms;
    Harness h(so);
    auto started = h.orch->deploy(hybrid_spec());
    ASSERT_TRUE(started.ok());
    Operation op = *started;
    ASSERT_TRUE(eventually([&] {
        return op.state() == OperationState::instantiating && h.world->snapshot().vnfs.size() == 3;
    }));
    op.cancel();
    ASSERT_TRUE(op.wait_for(30s));
    EXPECT_EQ(op.state(), OperationState::rolled_back);
    ASSERT_FALSE(op.result().ok());
    EXPECT_EQ(op.result().error().code, Errc::cancelled);
    EXPECT_TRUE(h.world->snapshot().empty());
    const auto states = h.operation_states(op.id());
    ASSERT_GE(states.size(), 2u);
    EXPECT_EQ(states[states.size() - 2], OperationState::rolling_back);
    EXPECT_EQ(states.back(), OperationState::rolled_back);
    auto status = h.orch->status("shop");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->phase, ServicePhase::failed);
    EXPECT_TRUE(status->workloads.empty());
    // Nothing left in the store either: the service can be deployed again.
    Operation again = h.deploy(hybrid_spec());
    EXPECT_TRUE(again.result().ok()) << describe(again.result());
}

TEST(EngineDeadline, TheOperationDeadlineRollsBackWithTimeout) {
    OrchestratorOptions oo = fast_options();
    oo.operation_deadline = 400ms;
    Harness h(fast_sim(), oo);
    h.world->script(fault(CallKind::vnf_instantiate, 1, FaultKind::never_boots, "shop-cart-v1"));
    Operation op = h.deploy(hybrid_spec());
    EXPECT_EQ(op.state(), OperationState::rolled_back) << describe(op.result());
    ASSERT_FALSE(op.result().ok());
    EXPECT_EQ(op.result().error().code, Errc::timeout);
    EXPECT_NE(op.result().error().message.find("VMs"), std::string::npos)
        << op.result().error().message;
    EXPECT_TRUE(h.world->snapshot().empty());
}

TEST(EngineDeadline, ACallThatNeverAnswersTimesOutAndIsRetried) {
    OrchestratorOptions oo = fast_options();
    oo.call_timeout = 50ms;
    Harness h(fast_sim(), oo);
    h.world->script(fault(CallKind::k8s_apply, 3, FaultKind::timeout));
    h.world->script(fault(CallKind::vnf_get_operation, 2, FaultKind::timeout));
    Operation op = h.deploy(hybrid_spec());
    EXPECT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
}

// ---- a terminal fault in each phase of a first deploy ---------------------------------------

struct PhaseFault {
    const char* name;
    ScriptedFault fault;
    Errc code;
};

// Prerequisites of hybrid_spec(): Namespace, 2 ServiceAccounts, 2 Services, 1 WorkloadGroup;
// then 1 WorkloadEntry; then the mesh configuration.
int first_mesh_apply() {
    return static_cast<int>(render_cluster_prerequisites(hybrid_spec()).size()) + 2;
}
int last_mesh_apply() {
    return first_mesh_apply() + static_cast<int>(render_mesh_config(hybrid_spec()).size()) - 1;
}

class EngineTerminalFault : public ::testing::TestWithParam<PhaseFault> {};

TEST_P(EngineTerminalFault, RollbackLeavesTheWorldAsItWas) {
    Harness h;
    const sim::Snapshot before = h.world->snapshot();
    h.world->script(GetParam().fault);
    Operation op = h.deploy(hybrid_spec());
    EXPECT_EQ(op.state(), OperationState::rolled_back) << describe(op.result());
    ASSERT_FALSE(op.result().ok());
    EXPECT_EQ(op.result().error().code, GetParam().code) << op.result().error().describe();
    EXPECT_TRUE(h.world->snapshot().empty());
    expect_same_world(before, h.world->snapshot());
    auto status = h.orch->status("shop");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->phase, ServicePhase::failed);
    EXPECT_NE(status->message.find(op.result().error().message), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    EachPhase, EngineTerminalFault,
    ::testing::Values(
        PhaseFault{"prerequisite_apply", fault(CallKind::k8s_apply, 2, FaultKind::rejected),
                   Errc::backend},
        PhaseFault{"vnf_create", fault(CallKind::vnf_create, 1, FaultKind::rejected, "cart-v2"),
                   Errc::backend},
        PhaseFault{"vnf_instantiate",
                   fault(CallKind::vnf_instantiate, 1, FaultKind::rejected, "cart-v1"),
                   Errc::backend},
        PhaseFault{"operation_failed",
                   fault(CallKind::vnf_instantiate, 1, FaultKind::operation_failed, "cart-v2"),
                   Errc::backend},
        PhaseFault{"inject", fault(CallKind::inject, 1, FaultKind::rejected), Errc::backend},
        PhaseFault{"first_mesh_apply",
                   fault(CallKind::k8s_apply, first_mesh_apply(), FaultKind::rejected),
                   Errc::backend},
        PhaseFault{"last_mesh_apply",
                   fault(CallKind::k8s_apply, last_mesh_apply(), FaultKind::rejected),
                   Errc::backend},
        PhaseFault{"transient_until_exhausted",
                   fault(CallKind::k8s_apply, 4, FaultKind::unavailable, {}, 100),
                   Errc::transient}),
    [](const auto& param_info) { return std::string(param_info.param.name); });

// ---- reconfigure rollbacks ------------------------------------------------------------------

class EngineReconfigureRollback : public ::testing::Test {
protected:
    void SetUp() override {
        Operation op = h.deploy(spec);
        ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
        before = h.world->snapshot();
    }
    // After the rollback the service still works: one more change goes through.
    void expect_still_usable() {
        ServiceSpec next = hybrid_spec();
        set_split(next, {{"v1", 70}, {"v2", 30}});
        Operation op = h.reconfigure(next);
        EXPECT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
        Operation t = h.terminate("shop");
        EXPECT_EQ(t.state(), OperationState::succeeded) << describe(t.result());
        EXPECT_TRUE(h.world->snapshot().empty());
    }
    Harness h;
    ServiceSpec spec = hybrid_spec();
    sim::Snapshot before;
};

TEST_F(EngineReconfigureRollback, AFailedMeshApplyRestoresThePreviousConfiguration) {
    find_ms(spec, "cart")->versions.push_back(vm_version("v3", 2));
    set_split(spec, {{"v1", 80}, {"v2", 10}, {"v3", 10}});
    // WorkloadGroup, 2 WorkloadEntries, DestinationRule, then the VirtualService fails.
    h.world->script(fault(CallKind::k8s_apply, 5, FaultKind::rejected));
    Operation op = h.reconfigure(spec);
    EXPECT_EQ(op.state(), OperationState::rolled_back) << describe(op.result());
    EXPECT_EQ(op.result().error().code, Errc::backend);
    expect_same_world(before, h.world->snapshot());
    auto status = h.orch->status("shop");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->phase, ServicePhase::ready);
    EXPECT_EQ(status->workloads.size(), 3u);
    expect_still_usable();
}

TEST_F(EngineReconfigureRollback, AFailedInjectionOfANewVmRemovesTheNewVersion) {
    find_ms(spec, "cart")->versions.push_back(vm_version("v3", 2));
    set_split(spec, {{"v1", 80}, {"v2", 10}, {"v3", 10}});
    h.world->script(fault(CallKind::inject, 2, FaultKind::rejected));
    Operation op = h.reconfigure(spec);
    EXPECT_EQ(op.state(), OperationState::rolled_back) << describe(op.result());
    expect_same_world(before, h.world->snapshot());
    expect_still_usable();
}

TEST_F(EngineReconfigureRollback, AFailedScaleOutScalesBack) {
    std::get<VmWorkload>(find_ms(spec, "cart")->versions[0].workload).instances = 3;
    h.world->script(fault(CallKind::inject, 2, FaultKind::rejected));
    Operation op = h.reconfigure(spec);
    EXPECT_EQ(op.state(), OperationState::rolled_back) << describe(op.result());
    expect_same_world(before, h.world->snapshot());
    EXPECT_EQ(before.vms[0].server_id, h.world->snapshot().vms.at(0).server_id);
    expect_still_usable();
}

TEST_F(EngineReconfigureRollback, AFailedTerminationOfARemovedVersionBringsItBack) {
    auto& versions = find_ms(spec, "cart")->versions;
    versions.erase(versions.begin());  // v1, the VM
    set_split(spec, {{"v2", 100}});
    h.world->script(fault(CallKind::vnf_terminate, 1, FaultKind::rejected));
    Operation op = h.reconfigure(spec);
    EXPECT_EQ(op.state(), OperationState::rolled_back) << describe(op.result());
    expect_same_world(before, h.world->snapshot());
    // The same VM is back in the mesh.
    const sim::Snapshot s = h.world->snapshot();
    ASSERT_EQ(s.proxies.size(), 1u);
    EXPECT_EQ(s.proxies[0].vm.server_id, before.vms.at(0).server_id);
    EXPECT_EQ(entry_address(s, "shop", "cart-v1-0"), before.vms.at(0).address);
    expect_still_usable();
}

// ---- rollback failure -----------------------------------------------------------------------

TEST(EngineRollbackFailure, FailedWithAPreciseListOfWhatRemains) {
    Harness h;
    h.world->script(fault(CallKind::k8s_apply, first_mesh_apply(), FaultKind::rejected));
    h.world->script(fault(CallKind::vnf_terminate, 1, FaultKind::rejected, "shop-cart-v1", 1000));
    Operation op = h.deploy(hybrid_spec());
    EXPECT_EQ(op.state(), OperationState::failed);
    ASSERT_FALSE(op.result().ok());
    const std::string message = op.result().error().message;
    EXPECT_NE(message.find("rollback failed"), std::string::npos) << message;

    // Exactly what is left in the world, by name and id.
    const sim::Snapshot s = h.world->snapshot();
    ASSERT_EQ(s.vnfs.size(), 1u);
    EXPECT_EQ(s.vnfs[0].name, "shop-cart-v1");
    EXPECT_NE(message.find("VNFs [shop-cart-v1 (" + s.vnfs[0].id + ")]"), std::string::npos)
        << message;
    EXPECT_TRUE(s.proxies.empty());
    EXPECT_NE(message.find("VMs with proxies []"), std::string::npos) << message;
    // The namespace stays while a VNF is in it; nothing else does.
    ASSERT_EQ(s.objects.size(), 1u);
    EXPECT_EQ(s.objects.begin()->first.kind, "Namespace");
    EXPECT_NE(message.find("objects [Namespace shop]"), std::string::npos) << message;

    auto status = h.orch->status("shop");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->phase, ServicePhase::failed);
    EXPECT_EQ(status->message, message);

    // The record kept track of it: terminate finishes the job.
    h.world->clear_faults();
    Operation t = h.terminate("shop");
    EXPECT_EQ(t.state(), OperationState::succeeded) << describe(t.result());
    EXPECT_TRUE(h.world->snapshot().empty());
}

TEST(EngineRollbackFailure, AFailedTerminateSaysWhatRemains) {
    Harness h;
    ASSERT_TRUE(h.deploy(hybrid_spec()).result().ok());
    h.world->script(fault(CallKind::k8s_remove, 1, FaultKind::rejected, "cart"));
    Operation op = h.terminate("shop");
    EXPECT_EQ(op.state(), OperationState::failed);
    ASSERT_FALSE(op.result().ok());
    const std::string message = op.result().error().message;
    // Best effort: everything else went; the namespace stays while something is left in it.
    EXPECT_NE(message.find("remaining: objects [Namespace shop, VirtualService shop/cart]; "
                           "VNFs []; VMs with proxies []"),
              std::string::npos)
        << message;
    const sim::Snapshot s = h.world->snapshot();
    EXPECT_EQ(s.objects.size(), 2u);
    EXPECT_TRUE(s.vnfs.empty());
    h.world->clear_faults();
    Operation again = h.terminate("shop");
    EXPECT_EQ(again.state(), OperationState::succeeded) << describe(again.result());
    EXPECT_TRUE(h.world->snapshot().empty());
}

// ---- transient faults -----------------------------------------------------------------------

TEST(EngineTransientFaults, TwentyPercentTransientFaultsConverge) {
    sim::Options so = fast_sim(7);
    so.fault_probability = 0.2;
    Harness h(so);
    ServiceSpec spec = hybrid_spec();
    Operation d = h.deploy(spec);
    ASSERT_EQ(d.state(), OperationState::succeeded) << describe(d.result());
    set_split(spec, {{"v1", 30}, {"v2", 70}});
    find_ms(spec, "cart")->versions.push_back(vm_version("v3", 2));
    set_split(spec, {{"v1", 30}, {"v2", 60}, {"v3", 10}});
    Operation r = h.reconfigure(spec);
    ASSERT_EQ(r.state(), OperationState::succeeded) << describe(r.result());
    const sim::Snapshot s = h.world->snapshot();
    EXPECT_EQ(s.proxies.size(), 3u);
    EXPECT_EQ(s.vnfs.size(), 4u);
    Operation t = h.terminate("shop");
    ASSERT_EQ(t.state(), OperationState::succeeded) << describe(t.result());
    EXPECT_TRUE(h.world->snapshot().empty());
}

TEST(EngineTransientFaults, ConflictsAndRateLimitsAreRetriedToo) {
    sim::Options so = fast_sim(11);
    so.fault_probability = 0.2;
    so.random_fault = FaultKind::rate_limited;
    Harness h(so);
    Operation d = h.deploy(hybrid_spec());
    ASSERT_EQ(d.state(), OperationState::succeeded) << describe(d.result());
    h.world->clear_faults();
    h.world->set_fault_probability(0.2);
    h.world->script(fault(CallKind::k8s_remove, 1, FaultKind::conflict, {}, 3));
    Operation t = h.terminate("shop");
    ASSERT_EQ(t.state(), OperationState::succeeded) << describe(t.result());
    EXPECT_TRUE(h.world->snapshot().empty());
}

// ---- heal -----------------------------------------------------------------------------------

TEST(EngineHeal, AFailedVmIsHealedReInjectedAndItsEntryUpdated) {
    Harness h;
    ASSERT_TRUE(h.deploy(hybrid_spec()).result().ok());
    const sim::Snapshot before = h.world->snapshot();
    ASSERT_EQ(before.vms.size(), 1u);
    const VmInstance old_vm = before.vms[0];
    h.world->fail_vm(old_vm.server_id);
    EXPECT_TRUE(h.world->snapshot().proxies.empty());
    h.world->reset_call_counts();

    Operation op = h.run(h.orch->heal("shop", {"cart", "v1", 0}));
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    EXPECT_EQ(h.count(CallKind::vnf_heal), 1u);
    const sim::Snapshot s = h.world->snapshot();
    ASSERT_EQ(s.vms.size(), 1u);
    EXPECT_NE(s.vms[0].server_id, old_vm.server_id);
    ASSERT_EQ(s.proxies.size(), 1u);
    EXPECT_EQ(s.proxies[0].vm.server_id, s.vms[0].server_id);
    EXPECT_EQ(entry_address(s, "shop", "cart-v1-0"), s.vms[0].address);
    // Only that workload: nothing else written.
    EXPECT_EQ(h.count(CallKind::vnf_create), 0u);
    EXPECT_LE(h.count(CallKind::k8s_apply), 1u);
    auto status = h.orch->status("shop");
    ASSERT_TRUE(status);
    for (const auto& w : status->workloads) {
        if (w.id == WorkloadId{"cart", "v1", 0}) {
            EXPECT_EQ(w.server_id, s.vms[0].server_id);
            EXPECT_EQ(w.address, s.vms[0].address);
            EXPECT_EQ(w.state, WorkloadState::ready);
        }
    }
    EXPECT_EQ(h.workload_states(op.id(), {"cart", "v1", 0}).back(), WorkloadState::ready);
    // And the healed service still terminates cleanly.
    EXPECT_TRUE(h.terminate("shop").result().ok());
    EXPECT_TRUE(h.world->snapshot().empty());
}

TEST(EngineHeal, ALostProxyIsOnlyReInjected) {
    Harness h;
    ASSERT_TRUE(h.deploy(hybrid_spec()).result().ok());
    const VmInstance vm = h.world->snapshot().vms.at(0);
    // The proxy goes, the VM stays.
    std::promise<Status> removed;
    h.world->injector()->remove(vm, CallContext{}, [&](Status s) { removed.set_value(s); });
    ASSERT_TRUE(removed.get_future().get().ok());
    ASSERT_TRUE(h.world->snapshot().proxies.empty());
    h.world->reset_call_counts();
    Operation op = h.run(h.orch->heal("shop", {"cart", "v1", 0}));
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    EXPECT_EQ(h.count(CallKind::vnf_heal), 0u);
    EXPECT_EQ(h.count(CallKind::k8s_apply), 0u);
    EXPECT_EQ(h.world->snapshot().proxies.size(), 1u);
}

TEST(EngineHeal, UnknownOrContainerWorkloadsAreRefused) {
    Harness h;
    ASSERT_TRUE(h.deploy(hybrid_spec()).result().ok());
    auto container = h.orch->heal("shop", {"cart", "v2", 0});
    ASSERT_FALSE(container.ok());
    EXPECT_EQ(container.error().code, Errc::invalid_argument);
    auto missing = h.orch->heal("shop", {"cart", "v1", 5});
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, Errc::not_found);
}

// ---- scale and shutdown ---------------------------------------------------------------------

TEST(EngineScale, HundredServicesAtOnceWithTransientFaultsAllConverge) {
    sim::Options so = fast_sim(3);
    so.fault_probability = 0.2;
    OrchestratorOptions oo = fast_options();
    oo.poll_interval = 5ms;
    oo.max_in_flight_per_backend = 16;
    Harness h(so, oo);
    std::vector<Operation> ops;
    for (int i = 0; i < 100; ++i) {
        auto started = h.orch->deploy(hybrid_spec("svc" + std::to_string(i)));
        ASSERT_TRUE(started.ok()) << started.error().describe();
        ops.push_back(*started);
    }
    for (auto& op : ops) {
        ASSERT_TRUE(op.wait_for(120s));
        EXPECT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    }
    const sim::Snapshot s = h.world->snapshot();
    EXPECT_EQ(s.vnfs.size(), 300u);
    EXPECT_EQ(s.proxies.size(), 100u);
    ops.clear();
    for (int i = 0; i < 100; ++i) {
        auto started = h.orch->terminate("svc" + std::to_string(i));
        ASSERT_TRUE(started.ok()) << started.error().describe();
        ops.push_back(*started);
    }
    for (auto& op : ops) {
        ASSERT_TRUE(op.wait_for(120s));
        EXPECT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    }
    EXPECT_TRUE(h.world->snapshot().empty());
}

TEST(EngineShutdown, DestroyingTheOrchestratorCancelsAndWaits) {
    sim::Options so = fast_sim();
    so.lcm_duration = 200ms;
    auto world = sim::World::create(so);
    std::optional<Operation> op;
    {
        Orchestrator orch(world->backends(), fast_options());
        auto started = orch.deploy(hybrid_spec());
        ASSERT_TRUE(started.ok());
        op = *started;
        ASSERT_TRUE(eventually([&] { return op->state() == OperationState::instantiating; }));
    }
    EXPECT_TRUE(op->done());
    EXPECT_EQ(op->state(), OperationState::rolled_back) << describe(op->result());
    EXPECT_TRUE(world->snapshot().empty());
}

TEST(EngineShutdown, EventsOfOneOperationArriveInOrder) {
    sim::Options so = fast_sim(5);
    so.fault_probability = 0.1;
    Harness h(so);
    std::vector<Operation> ops;
    for (int i = 0; i < 5; ++i) {
        auto started = h.orch->deploy(hybrid_spec("s" + std::to_string(i)));
        ASSERT_TRUE(started.ok());
        ops.push_back(*started);
    }
    for (auto& op : ops) ASSERT_TRUE(op.wait_for(60s));
    for (auto& op : ops) {
        auto events = h.events_of(op.id());
        ASSERT_FALSE(events.empty());
        // Operation states only move forward; each workload's states follow its life cycle.
        std::vector<OperationState> states;
        std::map<WorkloadId, std::vector<WorkloadState>> workloads;
        for (const auto& e : events) {
            if (e.type == Event::Type::operation) states.push_back(e.operation_state);
            if (e.type == Event::Type::workload) workloads[*e.workload].push_back(e.workload_state);
        }
        EXPECT_TRUE(std::is_sorted(states.begin(), states.end())) << op.id();
        for (const auto& [id, list] : workloads) {
            EXPECT_TRUE(std::is_sorted(list.begin(), list.end())) << id.to_string();
        }
        EXPECT_EQ(events.front().operation_state, OperationState::pending);
        EXPECT_EQ(events.back().type, Event::Type::operation);
        EXPECT_EQ(events.back().operation_state, OperationState::succeeded);
    }
}

}  // namespace
}  // namespace meshorch::engine_test

namespace meshorch::engine_test {
namespace {

// Tacker keeps a VNF whose operation ended FAILED_TEMP locked until the operation is rolled
// back or failed: the engine rolls a failed instantiation back before cleaning up.
TEST(EngineFailedTemp, AFailedInstantiationIsRolledBackByTheVnfManagerFirst) {
    Harness h;
    h.world->script(fault(CallKind::vnf_instantiate, 1, FaultKind::operation_failed, "cart-v2"));
    Operation op = h.deploy(hybrid_spec());
    EXPECT_EQ(op.state(), OperationState::rolled_back) << describe(op.result());
    ASSERT_FALSE(op.result().ok());
    EXPECT_NE(op.result().error().message.find("FAILED_TEMP"), std::string::npos)
        << op.result().error().message;
    EXPECT_NE(op.result().error().message.find("(rolled back)"), std::string::npos)
        << op.result().error().message;
    EXPECT_EQ(h.count(CallKind::vnf_resolve), 1u);
    EXPECT_TRUE(h.world->snapshot().empty());
}

}  // namespace
}  // namespace meshorch::engine_test
