// The simulated VNF manager: identifiers, op-occ lifecycle, VMs and their addresses, container
// VNFs as Deployments with pods, scale, heal, terminate, delete, LCM faults.
#include "sim_support.hpp"

#include <regex>
#include <set>

namespace meshorch::sim::test {
namespace {

TEST(SimVnfm, CreateGivesAnIdAndANotInstantiatedVnfFoundByName) {
    Sim sim;
    auto id = sim.create(vm_request("shop-cart-v1"));
    ASSERT_TRUE(id.ok());
    EXPECT_TRUE(std::regex_match(
        *id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
        << *id;
    auto vnf = sim.vnf(*id);
    ASSERT_TRUE(vnf.ok());
    EXPECT_EQ(vnf->name, "shop-cart-v1");
    EXPECT_FALSE(vnf->instantiated);
    EXPECT_TRUE(vnf->vms.empty());
    auto found = sim.find("shop-cart-v1");
    ASSERT_TRUE(found.ok());
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->id, *id);
    EXPECT_FALSE(sim.find("other")->has_value());
    EXPECT_EQ(sim.vnf("no-such-id").error().code, Errc::not_found);
    EXPECT_EQ(sim.vnf("no-such-id").error().http_status, 404);
}

TEST(SimVnfm, IdsAreDeterministicForASeed) {
    auto ids = [](std::uint64_t seed) {
        Options o;
        o.seed = seed;
        Sim sim(o);
        std::vector<std::string> out;
        for (const char* n : {"a", "b", "c"}) out.push_back(*sim.create(vm_request(n)));
        return out;
    };
    EXPECT_EQ(ids(7), ids(7));
    EXPECT_NE(ids(7), ids(8));
    const auto one = ids(7);
    EXPECT_EQ(std::set<std::string>(one.begin(), one.end()).size(), 3u);
}

TEST(SimVnfm, InstantiateRunsAnOpOccThroughItsStates) {
    Options o;
    o.lcm_duration = 500ms;  // STARTING for 100 ms, PROCESSING until 500 ms
    Sim sim(o);
    const auto r = vm_request("shop-cart-v1", 2);
    auto id = sim.create(r);
    ASSERT_TRUE(id.ok());
    auto op = sim.instantiate(*id, r);
    ASSERT_TRUE(op.ok());
    auto first = sim.operation(*op);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->state, LcmState::starting);
    EXPECT_EQ(first->operation, "INSTANTIATE");
    EXPECT_EQ(first->vnf_id, *id);
    EXPECT_EQ(first->id, *op);
    EXPECT_FALSE(sim.vnf(*id)->instantiated);  // not until the op completes

    std::vector<LcmState> seen;
    ASSERT_TRUE(eventually([&] {
        auto cur = sim.operation(*op);
        if (!cur) return false;
        if (seen.empty() || seen.back() != cur->state) seen.push_back(cur->state);
        return cur->state == LcmState::completed;
    }));
    EXPECT_EQ(seen, (std::vector<LcmState>{LcmState::starting, LcmState::processing,
                                           LcmState::completed}));
    auto vnf = sim.vnf(*id);
    ASSERT_TRUE(vnf.ok());
    EXPECT_TRUE(vnf->instantiated);
    ASSERT_EQ(vnf->vms.size(), 2u);
    EXPECT_NE(vnf->vms[0].server_id, vnf->vms[1].server_id);
    EXPECT_NE(vnf->vms[0].address, vnf->vms[1].address);
    for (const auto& vm : vnf->vms) {
        EXPECT_TRUE(std::regex_match(vm.address, std::regex(R"(10\.0\.\d+\.\d+)"))) << vm.address;
    }
    EXPECT_EQ(sim.operation("no-such-op").error().code, Errc::not_found);
}

TEST(SimVnfm, VmSubnetIsHonoured) {
    Options o;
    o.vm_subnet = "192.168.";
    Sim sim(o);
    auto id = sim.deploy(vm_request("a", 1));
    auto vnf = sim.vnf(id);
    ASSERT_EQ(vnf->vms.size(), 1u);
    EXPECT_EQ(vnf->vms[0].address.rfind("192.168.", 0), 0u) << vnf->vms[0].address;
}

TEST(SimVnfm, InstantiatingTwiceOrWhileBusyIsAConflict) {
    Options o;
    o.lcm_duration = 200ms;
    Sim sim(o);
    const auto r = vm_request("a", 1);
    auto id = *sim.create(r);
    auto op = sim.instantiate(id, r);
    ASSERT_TRUE(op.ok());
    auto busy = sim.instantiate(id, r);
    ASSERT_FALSE(busy.ok());
    EXPECT_EQ(busy.error().code, Errc::conflict);
    EXPECT_EQ(busy.error().http_status, 409);
    EXPECT_EQ(sim.wait_op(*op).state, LcmState::completed);
    auto twice = sim.instantiate(id, r);
    ASSERT_FALSE(twice.ok());
    EXPECT_EQ(twice.error().code, Errc::conflict);
    EXPECT_EQ(twice.error().http_status, 409);
    EXPECT_NE(twice.error().message.find("already instantiated"), std::string::npos);
    EXPECT_EQ(sim.instantiate("nope", r).error().code, Errc::not_found);
}

TEST(SimVnfm, ContainerPodsCarryAProxyOnlyInALabelledNamespace) {
    Sim sim;
    sim.world->preload(namespace_object("meshed", {{"istio-injection", "enabled"}}));
    sim.world->preload(namespace_object("revision", {{"istio.io/rev", "1-22"}}));
    sim.world->preload(namespace_object("plain"));
    for (const char* ns : {"meshed", "revision", "plain"}) {
        const auto r = container_request(std::string("web-") + ns, ns, 2);
        auto id = sim.deploy(r);
        auto vnf = sim.vnf(id);
        ASSERT_TRUE(vnf.ok());
        EXPECT_TRUE(vnf->instantiated);
        EXPECT_EQ(vnf->pods.size(), 2u) << ns;
        EXPECT_TRUE(vnf->vms.empty());
        auto ready = sim.readiness(ns, "web", "v2");
        ASSERT_TRUE(ready.ok());
        EXPECT_EQ(ready->pods, 2) << ns;
        EXPECT_EQ(ready->ready, 2) << ns;
        EXPECT_EQ(ready->with_proxy, std::string(ns) == "plain" ? 0 : 2) << ns;
    }
    // The Deployment is in the cluster.
    auto dep = sim.get(ObjectKey{"apps/v1", "Deployment", "meshed", "web-v2"});
    ASSERT_TRUE(dep.ok());
    EXPECT_TRUE(dep->has_value());
    // Pods are visible as Pod objects, with the istio-proxy container.
    auto pods = sim.list("v1", "Pod", "meshed", {{"app", "web"}});
    ASSERT_TRUE(pods.ok());
    ASSERT_EQ(pods->size(), 2u);
    const auto& containers = (*pods)[0].manifest.at("spec").at("containers").as_array();
    ASSERT_EQ(containers.size(), 2u);
    EXPECT_EQ(containers[1].at("name").as_string(), "istio-proxy");
}

TEST(SimVnfm, ContainerInstantiationFailsWithoutItsNamespace) {
    Sim sim;
    const auto r = container_request("web", "absent", 1);
    auto id = *sim.create(r);
    auto op = sim.instantiate(id, r);
    ASSERT_TRUE(op.ok());  // the call is accepted; the op-occ fails
    auto final_state = sim.wait_op(*op);
    EXPECT_EQ(final_state.state, LcmState::failed_temp);
    EXPECT_NE(final_state.error.find("namespace absent not found"), std::string::npos)
        << final_state.error;
    EXPECT_FALSE(sim.vnf(id)->instantiated);
    EXPECT_TRUE(sim.world->snapshot().pods.empty());
}

TEST(SimVnfm, PodsBecomeReadyAfterPodStartTime) {
    Options o;
    o.pod_start_time = 300ms;
    Sim sim(o);
    sim.world->preload(namespace_object("ns", {{"istio-injection", "enabled"}}));
    sim.deploy(container_request("web", "ns", 3));
    auto early = sim.readiness("ns", "web", "v2");
    ASSERT_TRUE(early.ok());
    EXPECT_EQ(early->pods, 3);
    EXPECT_EQ(early->ready, 0);
    EXPECT_TRUE(eventually([&] { return sim.readiness("ns", "web", "v2")->ready == 3; }));
}

TEST(SimVnfm, ScaleVmsAddsAndRemovesFromTheEnd) {
    Sim sim;
    auto id = sim.deploy(vm_request("a", 2));
    const auto before = sim.vnf(id)->vms;
    auto op = sim.scale(id, 4);
    ASSERT_TRUE(op.ok());
    EXPECT_EQ(sim.wait_op(*op).state, LcmState::completed);
    auto grown = sim.vnf(id)->vms;
    ASSERT_EQ(grown.size(), 4u);
    EXPECT_EQ(grown[0], before[0]);
    EXPECT_EQ(grown[1], before[1]);
    op = sim.scale(id, 1);
    EXPECT_EQ(sim.wait_op(*op).state, LcmState::completed);
    auto shrunk = sim.vnf(id)->vms;
    ASSERT_EQ(shrunk.size(), 1u);
    EXPECT_EQ(shrunk[0], before[0]);
    EXPECT_EQ(sim.world->snapshot().vms.size(), 1u);
    EXPECT_EQ(sim.scale(id, -1).error().code, Errc::backend);
    EXPECT_EQ(sim.scale("nope", 1).error().code, Errc::not_found);
}

TEST(SimVnfm, ScaleContainerChangesReplicas) {
    Sim sim;
    sim.world->preload(namespace_object("ns"));
    auto id = sim.deploy(container_request("web", "ns", 2));
    auto op = sim.scale(id, 5);
    EXPECT_EQ(sim.wait_op(*op).state, LcmState::completed);
    EXPECT_EQ(sim.vnf(id)->pods.size(), 5u);
    op = sim.scale(id, 1);
    EXPECT_EQ(sim.wait_op(*op).state, LcmState::completed);
    EXPECT_EQ(sim.vnf(id)->pods.size(), 1u);
    auto dep = sim.get(ObjectKey{"apps/v1", "Deployment", "ns", "web-v2"});
    EXPECT_EQ((*dep)->manifest.at("spec").at("replicas").to_number<int>(), 1);
}

TEST(SimVnfm, HealReplacesTheServerAndItsAddress) {
    Sim sim;
    auto id = sim.deploy(vm_request("a", 2));
    const auto before = sim.vnf(id)->vms;
    auto op = sim.heal(id, before[1].server_id);
    ASSERT_TRUE(op.ok());
    EXPECT_EQ(sim.wait_op(*op).state, LcmState::completed);
    const auto after = sim.vnf(id)->vms;
    ASSERT_EQ(after.size(), 2u);
    EXPECT_EQ(after[0], before[0]);
    EXPECT_NE(after[1].server_id, before[1].server_id);
    EXPECT_NE(after[1].address, before[1].address);
    EXPECT_FALSE(after[1].address.empty());
    EXPECT_EQ(sim.heal(id, "no-such-server").error().code, Errc::backend);
}

TEST(SimVnfm, TerminateRemovesVmsAndPodsThenDeleteRemovesTheRecord) {
    Sim sim;
    sim.world->preload(namespace_object("ns", {{"istio-injection", "enabled"}}));
    auto vm_id = sim.deploy(vm_request("a", 2));
    auto c_id = sim.deploy(container_request("web", "ns", 2));

    auto busy_delete = sim.remove_vnf(vm_id);
    ASSERT_FALSE(busy_delete.ok());
    EXPECT_EQ(busy_delete.error().code, Errc::conflict);
    EXPECT_EQ(busy_delete.error().http_status, 409);
    EXPECT_NE(busy_delete.error().message.find("is instantiated"), std::string::npos);

    for (const auto& id : {vm_id, c_id}) {
        auto op = sim.terminate(id);
        ASSERT_TRUE(op.ok());
        auto done = sim.wait_op(*op);
        EXPECT_EQ(done.state, LcmState::completed);
        EXPECT_EQ(done.operation, "TERMINATE");
        auto vnf = sim.vnf(id);
        EXPECT_FALSE(vnf->instantiated);
        EXPECT_TRUE(vnf->vms.empty());
        EXPECT_TRUE(vnf->pods.empty());
    }
    auto snap = sim.world->snapshot();
    EXPECT_TRUE(snap.vms.empty());
    EXPECT_TRUE(snap.pods.empty());
    EXPECT_EQ(snap.vnfs.size(), 2u);                               // records stay until delete_vnf
    EXPECT_EQ(sim.terminate(vm_id).error().code, Errc::conflict);  // not instantiated

    EXPECT_TRUE(sim.remove_vnf(vm_id).ok());
    EXPECT_TRUE(sim.remove_vnf(c_id).ok());
    EXPECT_TRUE(sim.remove_vnf(vm_id).ok());  // missing: success
    EXPECT_EQ(sim.terminate(vm_id).error().code, Errc::not_found);
    ASSERT_TRUE(sim.remove(ObjectKey{"v1", "Namespace", "", "ns"}).ok());
    EXPECT_TRUE(sim.world->snapshot().empty());
}

TEST(SimVnfm, OperationFailedFaultEndsTheOpFailedTempAndBlocksTheVnfUntilRolledBack) {
    Sim sim;
    sim.world->script(
        ScriptedFault{CallKind::vnf_instantiate, 1, FaultKind::operation_failed, "", 1});
    const auto r = vm_request("a", 1);
    auto id = *sim.create(r);
    auto op = sim.instantiate(id, r);
    ASSERT_TRUE(op.ok());
    auto done = sim.wait_op(*op);
    EXPECT_EQ(done.state, LcmState::failed_temp);
    EXPECT_FALSE(done.error.empty());
    EXPECT_FALSE(sim.vnf(id)->instantiated);
    EXPECT_TRUE(sim.world->snapshot().vms.empty());
    // As in Tacker, the VNF takes no other LCM operation while one is FAILED_TEMP.
    auto refused = sim.instantiate(id, r);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::conflict);
    // Rolled back, it does.
    ASSERT_TRUE(sim.resolve(*op, FailedOperationAction::rollback).ok());
    EXPECT_EQ(sim.wait_op(*op).state, LcmState::rolled_back);
    op = sim.instantiate(id, r);
    ASSERT_TRUE(op.ok());
    EXPECT_EQ(sim.wait_op(*op).state, LcmState::completed);
    // Only a FAILED_TEMP operation can be resolved.
    auto again = sim.resolve(*op, FailedOperationAction::fail);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, Errc::conflict);
}

TEST(SimVnfm, AFailedTempHealCannotBeRolledBackButCanBeFailed) {
    Sim sim;
    const auto r = vm_request("a", 1);
    auto id = sim.deploy(r);
    sim.world->script(ScriptedFault{CallKind::vnf_heal, 1, FaultKind::operation_failed, "", 1});
    auto op = await<std::string>(
        [&](auto cb) { sim.vnfm->heal(id, sim.vnf(id)->vms[0].server_id, sim.ctx, cb); });
    ASSERT_TRUE(op.ok());
    EXPECT_EQ(sim.wait_op(*op).state, LcmState::failed_temp);
    auto rollback = sim.resolve(*op, FailedOperationAction::rollback);
    ASSERT_FALSE(rollback.ok());
    EXPECT_EQ(rollback.error().http_status, 422);
    ASSERT_TRUE(sim.resolve(*op, FailedOperationAction::fail).ok());
    EXPECT_EQ(sim.wait_op(*op).state, LcmState::failed);
    // The VNF is free again: it can be terminated.
    auto terminate = await<std::string>([&](auto cb) { sim.vnfm->terminate(id, sim.ctx, cb); });
    ASSERT_TRUE(terminate.ok());
    EXPECT_EQ(sim.wait_op(*terminate).state, LcmState::completed);
}

TEST(SimVnfm, NeverBootsFaultLeavesVmsWithoutAddresses) {
    Sim sim;
    sim.world->script(ScriptedFault{CallKind::vnf_instantiate, 1, FaultKind::never_boots, "b", 1});
    auto a = sim.deploy(vm_request("a", 1));
    auto b = sim.deploy(vm_request("b", 2));
    EXPECT_FALSE(sim.vnf(a)->vms[0].address.empty());
    auto vnf = sim.vnf(b);
    EXPECT_TRUE(vnf->instantiated);
    ASSERT_EQ(vnf->vms.size(), 2u);
    for (const auto& vm : vnf->vms) {
        EXPECT_FALSE(vm.server_id.empty());
        EXPECT_TRUE(vm.address.empty());
    }
    // Healing them (no server id: every VM that is down) brings them up.
    auto op = sim.heal(b, "");
    EXPECT_EQ(sim.wait_op(*op).state, LcmState::completed);
    const auto healed = sim.vnf(b)->vms;
    for (const auto& vm : healed) EXPECT_FALSE(vm.address.empty());
}

TEST(SimVnfm, AddressesAreNeverReusedWhileAllocated) {
    Sim sim;
    std::vector<std::string> ids;
    for (int i = 0; i < 4; ++i) ids.push_back(sim.deploy(vm_request("v" + std::to_string(i), 3)));
    auto check_unique = [&] {
        std::set<std::string> seen;
        for (const auto& vm : sim.world->snapshot().vms) {
            EXPECT_TRUE(seen.insert(vm.address).second) << "duplicate " << vm.address;
        }
    };
    check_unique();
    for (int round = 0; round < 3; ++round) {
        for (const auto& id : ids) sim.wait_op(*sim.scale(id, 1));
        check_unique();
        for (const auto& id : ids) sim.wait_op(*sim.scale(id, 4));
        check_unique();
    }
    EXPECT_EQ(sim.world->snapshot().vms.size(), 16u);
}

}  // namespace
}  // namespace meshorch::sim::test
