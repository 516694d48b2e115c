// Look-ups by name, address, server id, namespace and owner stay right as VNFs, VMs, pods and
// namespaces come and go (the simulation answers them from indexes, not by scanning the world).
#include "sim_support.hpp"

namespace meshorch::sim::test {
namespace {

TEST(SimLookups, FindVnfGivesTheOldestOfANameAndForgetsDeletedOnes) {
    Sim sim;
    auto first = sim.create(vm_request("shop-cart-v1"));
    auto second = sim.create(vm_request("shop-cart-v1"));
    auto other = sim.create(vm_request("shop-web-v1"));
    ASSERT_TRUE(first.ok() && second.ok() && other.ok());

    EXPECT_EQ((*sim.find("shop-cart-v1"))->id, *first);
    ASSERT_TRUE(sim.remove_vnf(*first).ok());
    EXPECT_EQ((*sim.find("shop-cart-v1"))->id, *second);
    ASSERT_TRUE(sim.remove_vnf(*second).ok());
    EXPECT_FALSE(sim.find("shop-cart-v1")->has_value());
    EXPECT_EQ((*sim.find("shop-web-v1"))->id, *other);

    auto again = sim.create(vm_request("shop-cart-v1"));  // the name can be used again
    ASSERT_TRUE(again.ok());
    EXPECT_EQ((*sim.find("shop-cart-v1"))->id, *again);
}

struct VmLookups : ::testing::Test {
    Sim sim;
    std::string token;

    void SetUp() override {
        ASSERT_TRUE(sim.apply(namespace_object("shop", {{"istio-injection", "enabled"}})).ok());
        ASSERT_TRUE(sim.apply(service_account("shop", "cart")).ok());
        token = sim.token("shop", "cart")->token;
    }

    Result<InjectionResult> inject(const VmInstance& vm) {
        InjectionRequest r;
        r.service = "shop";
        r.namespace_ = "shop";
        r.microservice = "cart";
        r.version = "v1";
        r.vm = vm;
        r.bundle.files = {{"istio-token", token}};
        return sim.inject(r);
    }
};

TEST_F(VmLookups, AHealedVmIsReachedAtItsNewAddressOnly) {
    const auto id = sim.deploy(vm_request("shop-cart-v1", 2));
    const auto before = sim.vnf(id)->vms;
    ASSERT_EQ(before.size(), 2u);
    auto op = sim.heal(id, before[0].server_id);
    ASSERT_TRUE(op.ok()) << op.error().describe();
    ASSERT_EQ(sim.wait_op(*op).state, LcmState::completed);
    const auto after = sim.vnf(id)->vms;
    ASSERT_EQ(after.size(), 2u);
    EXPECT_NE(after[0].server_id, before[0].server_id);
    EXPECT_NE(after[0].address, before[0].address);
    EXPECT_EQ(after[1], before[1]);

    auto old = inject(before[0]);
    ASSERT_FALSE(old.ok());
    EXPECT_NE(old.error().message.find("no such VM"), std::string::npos) << old.error().message;
    EXPECT_FALSE(inject(VmInstance{"", before[0].address}).ok());
    EXPECT_TRUE(inject(after[0]).ok());
    EXPECT_TRUE(inject(VmInstance{"", after[0].address}).ok());  // by address alone
    // An address with another VM's server id is no VM.
    EXPECT_FALSE(inject(VmInstance{after[1].server_id, after[0].address}).ok());
}

TEST_F(VmLookups, VmsOfATerminatedOrScaledInVnfAreGone) {
    const auto id = sim.deploy(vm_request("shop-cart-v1", 3));
    const auto vms = sim.vnf(id)->vms;
    ASSERT_EQ(vms.size(), 3u);
    for (const auto& vm : vms) ASSERT_TRUE(inject(vm).ok());

    auto in = sim.scale(id, 1);
    ASSERT_TRUE(in.ok());
    ASSERT_EQ(sim.wait_op(*in).state, LcmState::completed);
    EXPECT_TRUE(inject(vms[0]).ok());
    EXPECT_FALSE(inject(vms[1]).ok());
    EXPECT_FALSE(inject(vms[2]).ok());
    EXPECT_EQ(sim.world->snapshot().proxies.size(), 1u);

    auto term = sim.terminate(id);
    ASSERT_TRUE(term.ok());
    ASSERT_EQ(sim.wait_op(*term).state, LcmState::completed);
    EXPECT_FALSE(inject(vms[0]).ok());
    EXPECT_TRUE(sim.world->snapshot().proxies.empty());
    sim.world->fail_vm(vms[0].server_id);  // a VM that is gone: nothing to fail
    EXPECT_TRUE(sim.world->snapshot().vms.empty());
}

TEST_F(VmLookups, FailVmStopsExactlyThatVm) {
    const auto id = sim.deploy(vm_request("shop-cart-v1", 2));
    const auto vms = sim.vnf(id)->vms;
    ASSERT_EQ(vms.size(), 2u);
    ASSERT_TRUE(inject(vms[0]).ok());
    ASSERT_TRUE(inject(vms[1]).ok());
    sim.world->fail_vm(vms[1].server_id);
    auto failed = inject(vms[1]);
    ASSERT_FALSE(failed.ok());
    EXPECT_NE(failed.error().message.find("not running"), std::string::npos);
    EXPECT_TRUE(inject(vms[0]).ok());
    ASSERT_EQ(sim.world->snapshot().proxies.size(), 1u);
    EXPECT_EQ(sim.world->snapshot().proxies[0].vm, vms[0]);
}

TEST(SimLookups, NamespacesKeepTheirOwnPodsObjectsAndReadiness) {
    Sim sim;
    for (const char* ns : {"blue", "green", "greenhouse"}) {
        ASSERT_TRUE(sim.apply(namespace_object(ns, {{"istio-injection", "enabled"}})).ok());
        ASSERT_TRUE(sim.apply(service_account(ns, "web")).ok());
    }
    const auto blue = sim.deploy(container_request("blue-web-v2", "blue", 2));
    const auto green = sim.deploy(container_request("green-web-v2", "green", 3));
    const auto house = sim.deploy(container_request("house-web-v2", "greenhouse", 1));

    auto ready = [&](const char* ns) { return sim.readiness(ns, "web", "v2")->pods; };
    EXPECT_EQ(ready("blue"), 2);
    EXPECT_EQ(ready("green"), 3);
    EXPECT_EQ(ready("greenhouse"), 1);
    EXPECT_EQ(sim.vnf(green)->pods.size(), 3u);
    EXPECT_EQ(sim.list("v1", "Pod", "green")->size(), 3u);
    EXPECT_EQ(sim.list("v1", "Pod", "")->size(), 6u);
    EXPECT_EQ(sim.list("v1", "ServiceAccount", "green")->size(), 1u);
    EXPECT_EQ(sim.list("v1", "ServiceAccount", "")->size(), 3u);

    ASSERT_TRUE(sim.remove(ObjectKey{"v1", "Namespace", "", "green"}).ok());
    EXPECT_EQ(ready("green"), 0);
    EXPECT_EQ(ready("blue"), 2);
    EXPECT_EQ(ready("greenhouse"), 1);
    EXPECT_TRUE(sim.vnf(green)->pods.empty());
    EXPECT_EQ(sim.vnf(blue)->pods.size(), 2u);
    EXPECT_EQ(sim.vnf(house)->pods.size(), 1u);
    EXPECT_TRUE(sim.list("v1", "ServiceAccount", "green")->empty());
    EXPECT_FALSE(*sim.get(ObjectKey{"v1", "ServiceAccount", "green", "web"}));
    EXPECT_TRUE(*sim.get(ObjectKey{"v1", "ServiceAccount", "greenhouse", "web"}));
    EXPECT_EQ(sim.list("v1", "ServiceAccount", "")->size(), 2u);

    // A namespace made again under the same name starts empty.
    ASSERT_TRUE(sim.apply(namespace_object("green", {{"istio-injection", "enabled"}})).ok());
    EXPECT_TRUE(sim.list("v1", "ServiceAccount", "green")->empty());
    EXPECT_EQ(ready("green"), 0);
}

TEST(SimLookups, ScalingAContainerVnfKeepsItsOldestPods) {
    Sim sim;
    ASSERT_TRUE(sim.apply(namespace_object("shop", {{"istio-injection", "enabled"}})).ok());
    const auto id = sim.deploy(container_request("shop-web-v2", "shop", 3));
    const auto pods = sim.vnf(id)->pods;
    ASSERT_EQ(pods.size(), 3u);
    auto in = sim.scale(id, 1);
    ASSERT_TRUE(in.ok());
    ASSERT_EQ(sim.wait_op(*in).state, LcmState::completed);
    EXPECT_EQ(sim.vnf(id)->pods, std::vector<std::string>{pods[0]});
    auto out = sim.scale(id, 2);
    ASSERT_TRUE(out.ok());
    ASSERT_EQ(sim.wait_op(*out).state, LcmState::completed);
    const auto grown = sim.vnf(id)->pods;
    ASSERT_EQ(grown.size(), 2u);
    EXPECT_EQ(grown[0], pods[0]);  // in creation order: the survivor first
    EXPECT_EQ(sim.readiness("shop", "web", "v2")->pods, 2);
}

}  // namespace
}  // namespace meshorch::sim::test
