// Deploy and terminate on the simulated world: the state machines, events, what lands where.
#include "unit/engine/engine_support.hpp"

#include <meshorch/spec.hpp>

#include <set>

namespace meshorch::engine_test {
namespace {

using sim::CallKind;

TEST(EngineDeploy, HybridDeployReportsOperationStatesInOrder) {
    Harness h;
    const ServiceSpec spec = hybrid_spec();
    Operation op = h.deploy(spec);
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    EXPECT_TRUE(op.result().ok());
    EXPECT_EQ(h.operation_states(op.id()),
              (std::vector<OperationState>{OperationState::pending, OperationState::validating,
                                           OperationState::preparing, OperationState::instantiating,
                                           OperationState::injecting, OperationState::configuring,
                                           OperationState::verifying, OperationState::succeeded}));
    for (const Event& e : h.events_of(op.id())) {
        EXPECT_EQ(e.service, "shop");
        EXPECT_EQ(e.operation_kind, OperationKind::deploy);
        EXPECT_NE(e.time.time_since_epoch().count(), 0);
        EXPECT_FALSE(e.to_string().empty());
    }
}

TEST(EngineDeploy, WorkloadStatesOfAVmAndOfAContainerVersion) {
    Harness h;
    Operation op = h.deploy(hybrid_spec());
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    EXPECT_EQ(h.workload_states(op.id(), {"cart", "v1", 0}),
              (std::vector<WorkloadState>{WorkloadState::pending, WorkloadState::creating,
                                          WorkloadState::instantiating, WorkloadState::running,
                                          WorkloadState::injecting, WorkloadState::in_mesh,
                                          WorkloadState::ready}));
    EXPECT_EQ(h.workload_states(op.id(), {"cart", "v2", 0}),
              (std::vector<WorkloadState>{WorkloadState::pending, WorkloadState::creating,
                                          WorkloadState::instantiating, WorkloadState::running,
                                          WorkloadState::in_mesh, WorkloadState::ready}));
}

TEST(EngineDeploy, TheWorldHoldsWhatTheSpecRendersAndTheStatusSaysReady) {
    Harness h;
    const ServiceSpec spec = hybrid_spec();
    Operation op = h.deploy(spec);
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());

    const sim::Snapshot s = h.world->snapshot();
    ASSERT_EQ(s.vms.size(), 1u);
    ASSERT_EQ(s.proxies.size(), 1u);
    EXPECT_EQ(s.proxies[0].microservice, "cart");
    EXPECT_EQ(s.proxies[0].version, "v1");
    EXPECT_EQ(s.proxies[0].vm.address, s.vms[0].address);
    EXPECT_EQ(s.proxies[0].bundle.files.count("istio-token"), 1u);
    EXPECT_EQ(s.vnfs.size(), 3u);
    EXPECT_EQ(s.pods.size(), 3u);
    for (const auto& pod : s.pods) EXPECT_TRUE(pod.has_proxy) << pod.name;

    Observed observed;
    observed.vms[{"cart", "v1"}] = {s.vms[0]};
    for (const auto& [key, object] : render(spec, observed)) {
        const Object* in_world = s.objects.find(key);
        ASSERT_NE(in_world, nullptr) << key.to_string();
        if (key.kind == "Namespace") continue;  // the API server adds its own label
        EXPECT_EQ(boost::json::serialize(without_server_fields(in_world->manifest)),
                  boost::json::serialize(without_server_fields(object.manifest)));
    }
    EXPECT_EQ(entry_address(s, "shop", "cart-v1-0"), s.vms[0].address);

    auto status = h.orch->status("shop");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->phase, ServicePhase::ready);
    EXPECT_EQ(status->last_operation_id, op.id());
    EXPECT_EQ(status->last_operation_state, OperationState::succeeded);
    EXPECT_EQ(status->namespace_, "shop");
    EXPECT_EQ(status->applied_objects, render(spec, observed).size());
    ASSERT_EQ(status->workloads.size(), 3u);
    for (const auto& w : status->workloads) {
        EXPECT_EQ(w.state, WorkloadState::ready) << w.id.to_string();
        EXPECT_FALSE(w.vnf_id.empty()) << w.id.to_string();
        if (w.substrate == Substrate::vm) {
            EXPECT_EQ(w.address, s.vms[0].address);
            EXPECT_EQ(w.server_id, s.vms[0].server_id);
        }
    }
    EXPECT_EQ(h.orch->services().size(), 1u);
    ASSERT_TRUE(h.orch->operation(op.id()));
    EXPECT_TRUE(h.orch->operation(op.id())->done());
}

TEST(EngineDeploy, StepEventsNameWhatWasApplied) {
    Harness h;
    Operation op = h.deploy(hybrid_spec());
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    const auto steps = h.steps(op.id());
    EXPECT_GE(find_step(steps, "applied Namespace shop"), 0);
    EXPECT_GE(find_step(steps, "applied VirtualService shop/cart"), 0);
    EXPECT_GE(find_step(steps, "created VNF shop-cart-v1"), 0);
    EXPECT_GE(find_step(steps, "proxy installed on VM"), 0);
    // Prerequisites before the mesh configuration that uses them.
    EXPECT_LT(find_step(steps, "applied Service shop/cart"),
              find_step(steps, "applied DestinationRule shop/cart"));
    EXPECT_LT(find_step(steps, "applied WorkloadEntry shop/cart-v1-0"),
              find_step(steps, "applied VirtualService shop/cart"));
}

TEST(EngineDeploy, InvalidSpecFailsWithEveryFieldAndTouchesNothing) {
    Harness h;
    ServiceSpec spec = hybrid_spec();
    spec.links[0].to = "nowhere";
    Operation op = h.deploy(spec);
    EXPECT_EQ(op.state(), OperationState::failed);
    Status r = op.result();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::invalid_spec);
    EXPECT_FALSE(r.error().fields.empty());
    EXPECT_TRUE(h.world->snapshot().empty());
    EXPECT_EQ(h.operation_states(op.id()),
              (std::vector<OperationState>{OperationState::pending, OperationState::validating,
                                           OperationState::failed}));
}

TEST(EngineDeploy, ResultBeforeTheEndIsBusy) {
    sim::Options so = fast_sim();
    so.lcm_duration = 200ms;
    Harness h(so);
    auto started = h.orch->deploy(hybrid_spec());
    ASSERT_TRUE(started.ok());
    EXPECT_EQ(started->result().error().code, Errc::busy);
    EXPECT_TRUE(started->wait_for(30s));
    EXPECT_TRUE(started->result().ok()) << describe(started->result());
}

TEST(EngineDeploy, ASecondOperationOnABusyServiceIsRefused) {
    sim::Options so = fast_sim();
    so.lcm_duration = 200ms;
    Harness h(so);
    auto first = h.orch->deploy(hybrid_spec());
    ASSERT_TRUE(first.ok());
    auto again = h.orch->deploy(hybrid_spec());
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, Errc::busy);
    auto terminate = h.orch->terminate("shop");
    ASSERT_FALSE(terminate.ok());
    EXPECT_EQ(terminate.error().code, Errc::busy);
    // Another service runs at the same time.
    auto other = h.orch->deploy(hybrid_spec("other"));
    ASSERT_TRUE(other.ok()) << other.error().describe();
    EXPECT_TRUE(first->wait_for(30s));
    EXPECT_TRUE(other->wait_for(30s));
    EXPECT_TRUE(first->result().ok()) << describe(first->result());
    EXPECT_TRUE(other->result().ok()) << describe(other->result());
    // Free again once it ended.
    Operation t = h.terminate("shop");
    EXPECT_TRUE(t.result().ok()) << describe(t.result());
}

TEST(EngineDeploy, DeployingADeployedServiceOrChangingAnUnknownOneIsRefused) {
    Harness h;
    ASSERT_TRUE(h.deploy(hybrid_spec()).result().ok());
    auto again = h.orch->deploy(hybrid_spec());
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, Errc::invalid_argument);
    auto unknown = h.orch->reconfigure(hybrid_spec("unknown"));
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, Errc::not_found);
    auto gone = h.orch->terminate("unknown");
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.error().code, Errc::not_found);
    auto nameless = h.orch->terminate("");
    ASSERT_FALSE(nameless.ok());
    EXPECT_EQ(nameless.error().code, Errc::invalid_argument);
}

TEST(EngineTerminate, TerminateLeavesAnEmptyWorldInReverseOrder) {
    Harness h;
    ASSERT_TRUE(h.deploy(hybrid_spec()).result().ok());
    Operation op = h.terminate("shop");
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    EXPECT_TRUE(h.world->snapshot().empty());
    EXPECT_EQ(h.operation_states(op.id()),
              (std::vector<OperationState>{OperationState::pending, OperationState::configuring,
                                           OperationState::injecting, OperationState::instantiating,
                                           OperationState::preparing, OperationState::succeeded}));
    const auto steps = h.steps(op.id());
    const int vs = find_step(steps, "deleted VirtualService shop/cart");
    const int dr = find_step(steps, "deleted DestinationRule shop/cart");
    const int we = find_step(steps, "deleted WorkloadEntry shop/cart-v1-0");
    const int proxy = find_step(steps, "proxy removed from VM");
    const int vnf = find_step(steps, "terminated and deleted VNF shop-cart-v1");
    const int svc = find_step(steps, "deleted Service shop/cart");
    const int ns = find_step(steps, "deleted Namespace shop");
    ASSERT_GE(vs, 0);
    EXPECT_LT(vs, dr);
    EXPECT_LT(dr, we);
    EXPECT_LT(we, proxy);
    EXPECT_LT(proxy, vnf);
    EXPECT_LT(vnf, svc);
    EXPECT_LT(svc, ns);
    auto status = h.orch->status("shop");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->phase, ServicePhase::terminated);
    EXPECT_TRUE(status->workloads.empty());
    EXPECT_TRUE(h.orch->services().empty());
    // Gone from the store: it can be deployed again.
    Operation again = h.deploy(hybrid_spec());
    EXPECT_TRUE(again.result().ok()) << describe(again.result());
}

TEST(EngineDeploy, AForeignNamespaceIsUsedAndNeverDeleted) {
    Harness h;
    boost::json::object md{{"name", "shop"},
                           {"labels", boost::json::object{{"istio-injection", "enabled"},
                                                          {"owner", "platform-team"}}}};
    const Object ns = make_object(
        boost::json::object{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", md}});
    h.world->preload(ns);
    const sim::Snapshot before = h.world->snapshot();
    Operation op = h.deploy(hybrid_spec());
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    EXPECT_GE(find_step(h.steps(op.id()), "is not managed by meshorch"), 0);
    EXPECT_EQ(find_step(h.steps(op.id()), "applied Namespace"), -1);
    Operation t = h.terminate("shop");
    ASSERT_EQ(t.state(), OperationState::succeeded) << describe(t.result());
    expect_same_world(before, h.world->snapshot());
}

TEST(EngineDeploy, PodsWithoutAProxyFailWithAClearMessage) {
    Harness h;
    // The namespace exists without the injection label: pods come up without istio-proxy.
    const Object ns =
        make_object(boost::json::object{{"apiVersion", "v1"},
                                        {"kind", "Namespace"},
                                        {"metadata", boost::json::object{{"name", "shop"}}}});
    h.world->preload(ns);
    const sim::Snapshot before = h.world->snapshot();
    Operation op = h.deploy(hybrid_spec());
    ASSERT_EQ(op.state(), OperationState::rolled_back) << describe(op.result());
    Status r = op.result();
    ASSERT_FALSE(r.ok());
    EXPECT_NE(
        r.error().message.find("have no istio-proxy: is namespace shop labelled for injection?"),
        std::string::npos)
        << r.error().message;
    expect_same_world(before, h.world->snapshot());
}

TEST(EngineDeploy, AllContainerAndAllVmServices) {
    Harness h;
    ServiceSpec containers;
    containers.name = "web";
    containers.namespace_ = "web";
    containers.microservices.push_back(microservice("a", {container_version("v1", 2)}));
    containers.microservices.push_back(microservice("b", {container_version("v1", 1)}));
    containers.links.push_back(Link{"a", "b", "http", {}, {}, {}, {}, {}});
    ServiceSpec vms;
    vms.name = "legacy";
    vms.namespace_ = "legacy";
    vms.microservices.push_back(microservice("a", {vm_version("v1", 2)}));
    vms.microservices.push_back(microservice("b", {vm_version("v1", 1)}));
    vms.links.push_back(Link{"a", "b", "http", {}, {}, {}, {}, {}});

    Operation c = h.deploy(containers);
    ASSERT_EQ(c.state(), OperationState::succeeded) << describe(c.result());
    // No VM: no injecting phase.
    const auto states = h.operation_states(c.id());
    EXPECT_EQ(std::count(states.begin(), states.end(), OperationState::injecting), 0);
    Operation v = h.deploy(vms);
    ASSERT_EQ(v.state(), OperationState::succeeded) << describe(v.result());
    EXPECT_EQ(h.world->snapshot().proxies.size(), 3u);
    EXPECT_TRUE(h.terminate("web").result().ok());
    EXPECT_TRUE(h.terminate("legacy").result().ok());
    EXPECT_TRUE(h.world->snapshot().empty());
}

TEST(EngineDeploy, OnDoneRunsOnceAndAtOnceWhenAlreadyDone) {
    Harness h;
    auto started = h.orch->deploy(hybrid_spec());
    ASSERT_TRUE(started.ok());
    std::atomic<int> calls{0};
    started->on_done([&](const Operation& op) {
        EXPECT_TRUE(op.done());
        ++calls;
    });
    ASSERT_TRUE(started->wait_for(30s));
    ASSERT_TRUE(eventually([&] { return calls.load() == 1; }));
    int late = 0;
    started->on_done([&](const Operation&) { ++late; });
    EXPECT_EQ(late, 1);
}

// The first `call` about `target` fails with a 503, and is not performed.
void fail_first_call(Harness& h, CallKind call, const std::string& target) {
    sim::ScriptedFault f;
    f.call = call;
    f.nth = 1;
    f.fault = sim::FaultKind::unavailable;
    f.match = target;
    h.world->script(f);
}

// A VNF this deploy has just created is known (not instantiated, nothing running): it is not
// read back before its instantiation, and a first creation does not look the name up. Reads are
// left for what only the VNF manager knows: the VMs it started, and that they are still there at
// the end.
TEST(EngineDeploy, AFreshVnfIsInstantiatedWithoutBeingReadBack) {
    Harness h;
    Operation op = h.deploy(hybrid_spec());
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    auto calls = h.world->call_counts();
    EXPECT_EQ(calls[CallKind::vnf_find], 0u);
    EXPECT_EQ(calls[CallKind::vnf_create], 3u);
    EXPECT_EQ(calls[CallKind::vnf_instantiate], 3u);
    EXPECT_EQ(calls[CallKind::vnf_get], 2u);  // the one VM version: its VMs, then verified
}

// A failed creation request may still have created the VNF (a lost answer): the retry looks the
// name up first, and creates only when there is none.
TEST(EngineDeploy, ARetriedCreationLooksTheNameUpFirst) {
    Harness h;
    fail_first_call(h, CallKind::vnf_create, "shop-cart-v1");
    Operation op = h.deploy(hybrid_spec());
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    auto calls = h.world->call_counts();
    EXPECT_EQ(calls[CallKind::vnf_find], 1u);
    EXPECT_EQ(calls[CallKind::vnf_create], 4u);
    EXPECT_EQ(h.world->snapshot().vnfs.size(), 3u);
}

// A failed instantiation request may still have started it (a lost answer): the retry reads the
// VNF first, and instantiates only what is not instantiated.
TEST(EngineDeploy, ARetriedInstantiationReadsTheVnfFirst) {
    Harness h;
    fail_first_call(h, CallKind::vnf_instantiate, "shop-cart-v1");
    Operation op = h.deploy(hybrid_spec());
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    auto calls = h.world->call_counts();
    EXPECT_EQ(calls[CallKind::vnf_instantiate], 4u);
    EXPECT_EQ(calls[CallKind::vnf_get], 3u);
    EXPECT_EQ(h.world->snapshot().vnfs.size(), 3u);
}

// A termination refused or unanswered may still have been started (by this try, or by a
// process that crashed): the retry reads the VNF first and asks again only if it is still
// instantiated.
TEST(EngineDeploy, ARetriedTerminationReadsTheVnfFirst) {
    Harness h;
    Operation deployed = h.deploy(hybrid_spec());
    ASSERT_EQ(deployed.state(), OperationState::succeeded) << describe(deployed.result());
    fail_first_call(h, CallKind::vnf_terminate, "shop-cart-v1");
    h.world->reset_call_counts();
    Operation op = h.terminate("shop");
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    auto calls = h.world->call_counts();
    EXPECT_EQ(calls[CallKind::vnf_terminate], 4u);
    EXPECT_EQ(calls[CallKind::vnf_get], 4u);  // each VNF once, and the retried one again
    EXPECT_TRUE(h.world->snapshot().empty());
}

}  // namespace
}  // namespace meshorch::engine_test
