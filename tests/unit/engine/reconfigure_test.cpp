// Reconfigure: only what differs is written, in make-before-break order.
#include "unit/engine/engine_support.hpp"

#include <set>

namespace meshorch::engine_test {
namespace {

using sim::CallKind;

std::set<std::string> applied_objects(const std::vector<std::string>& steps) {
    std::set<std::string> out;
    for (const auto& s : steps) {
        if (s.rfind("applied ", 0) != 0) continue;
        out.insert(s.substr(8, s.find(" (") - 8));
    }
    return out;
}

class EngineReconfigure : public ::testing::Test {
protected:
    void SetUp() override {
        Operation op = h.deploy(spec);
        ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
        h.world->reset_call_counts();
    }
    Harness h;
    ServiceSpec spec = hybrid_spec();
};

TEST_F(EngineReconfigure, ChangingOneWeightIsExactlyOneClusterWrite) {
    set_split(spec, {{"v1", 50}, {"v2", 50}});
    Operation op = h.reconfigure(spec);
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    EXPECT_EQ(h.count(CallKind::k8s_apply), 1u);
    EXPECT_EQ(h.count(CallKind::k8s_remove), 0u);
    EXPECT_EQ(h.count(CallKind::vnf_create), 0u);
    EXPECT_EQ(h.count(CallKind::vnf_instantiate), 0u);
    EXPECT_EQ(h.count(CallKind::vnf_scale), 0u);
    EXPECT_EQ(h.count(CallKind::inject), 0u);
    EXPECT_EQ(applied_objects(h.steps(op.id())),
              (std::set<std::string>{"VirtualService shop/cart"}));
    EXPECT_EQ(h.operation_states(op.id()),
              (std::vector<OperationState>{OperationState::pending, OperationState::validating,
                                           OperationState::planning, OperationState::configuring,
                                           OperationState::verifying, OperationState::succeeded}));
    // The new weight is in the cluster.
    const sim::Snapshot s = h.world->snapshot();
    const Object* vs = find_object(s, "VirtualService", "shop", "cart");
    ASSERT_NE(vs, nullptr);
    EXPECT_NE(boost::json::serialize(vs->manifest).find("\"weight\":50"), std::string::npos);
}

TEST_F(EngineReconfigure, TheSameSpecAgainWritesNothing) {
    Operation op = h.reconfigure(spec);
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    EXPECT_EQ(h.count(CallKind::k8s_apply), 0u);
    EXPECT_EQ(h.count(CallKind::k8s_remove), 0u);
    EXPECT_EQ(h.count(CallKind::vnf_create), 0u);
    EXPECT_EQ(h.operation_states(op.id()),
              (std::vector<OperationState>{OperationState::pending, OperationState::validating,
                                           OperationState::planning, OperationState::verifying,
                                           OperationState::succeeded}));
}

TEST_F(EngineReconfigure, AddingAContainerVersionCreatesItsWorkloadAndTheObjectsThatReferToIt) {
    find_ms(spec, "cart")->versions.push_back(container_version("v3", 1));
    set_split(spec, {{"v1", 80}, {"v2", 10}, {"v3", 10}});
    Operation op = h.reconfigure(spec);
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    EXPECT_EQ(h.count(CallKind::vnf_create), 1u);
    EXPECT_EQ(h.count(CallKind::vnf_instantiate), 1u);
    EXPECT_EQ(h.count(CallKind::inject), 0u);
    EXPECT_EQ(h.count(CallKind::k8s_remove), 0u);
    EXPECT_EQ(applied_objects(h.steps(op.id())),
              (std::set<std::string>{"DestinationRule shop/cart", "VirtualService shop/cart"}));
    EXPECT_EQ(h.count(CallKind::k8s_apply), 2u);
    const auto steps = h.steps(op.id());
    EXPECT_LT(find_step(steps, "created VNF shop-cart-v3"),
              find_step(steps, "applied DestinationRule shop/cart"));
    EXPECT_LT(find_step(steps, "applied DestinationRule shop/cart"),
              find_step(steps, "applied VirtualService shop/cart"));
    bool found = false;
    for (const auto& v : h.world->snapshot().vnfs) found = found || v.name == "shop-cart-v3";
    EXPECT_TRUE(found);
    EXPECT_EQ(h.workload_states(op.id(), {"cart", "v3", 0}).back(), WorkloadState::ready);
    EXPECT_TRUE(h.workload_states(op.id(), {"cart", "v1", 0}).empty());
}

TEST_F(EngineReconfigure, AddingAVmVersionAlsoBringsItsGroupEntriesAndProxies) {
    find_ms(spec, "cart")->versions.push_back(vm_version("v3", 2));
    set_split(spec, {{"v1", 80}, {"v2", 10}, {"v3", 10}});
    Operation op = h.reconfigure(spec);
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    EXPECT_EQ(h.count(CallKind::vnf_create), 1u);
    EXPECT_EQ(h.count(CallKind::vnf_instantiate), 1u);
    EXPECT_EQ(h.count(CallKind::inject), 2u);
    EXPECT_EQ(applied_objects(h.steps(op.id())),
              (std::set<std::string>{"WorkloadGroup shop/cart-v3", "WorkloadEntry shop/cart-v3-0",
                                     "WorkloadEntry shop/cart-v3-1", "DestinationRule shop/cart",
                                     "VirtualService shop/cart"}));
    EXPECT_EQ(h.count(CallKind::k8s_apply), 5u);
    EXPECT_EQ(h.world->snapshot().proxies.size(), 3u);
    EXPECT_EQ(
        h.operation_states(op.id()),
        (std::vector<OperationState>{
            OperationState::pending, OperationState::validating, OperationState::planning,
            OperationState::preparing, OperationState::instantiating, OperationState::injecting,
            OperationState::configuring, OperationState::verifying, OperationState::succeeded}));
}

TEST_F(EngineReconfigure, RemovingAVersionMovesRoutesFirstAndTerminatesItsVnfLast) {
    auto& versions = find_ms(spec, "cart")->versions;
    versions.erase(versions.begin());  // v1, the VM
    set_split(spec, {{"v2", 100}});
    Operation op = h.reconfigure(spec);
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    const auto steps = h.steps(op.id());
    const int vs = find_step(steps, "applied VirtualService shop/cart");
    const int dr = find_step(steps, "applied DestinationRule shop/cart");
    const int we = find_step(steps, "deleted WorkloadEntry shop/cart-v1-0");
    const int proxy = find_step(steps, "proxy removed from VM");
    const int vnf = find_step(steps, "terminated and deleted VNF shop-cart-v1");
    const int wg = find_step(steps, "deleted WorkloadGroup shop/cart-v1");
    ASSERT_GE(vs, 0);
    EXPECT_LT(vs, dr);  // routes moved before the subset goes
    EXPECT_NE(steps[static_cast<std::size_t>(dr)].find("removed"), std::string::npos);
    EXPECT_LT(dr, we);
    EXPECT_LT(we, proxy);
    EXPECT_LT(proxy, vnf);  // the VNF goes after
    EXPECT_LT(vnf, wg);
    EXPECT_EQ(h.workload_states(op.id(), {"cart", "v1", 0}),
              (std::vector<WorkloadState>{WorkloadState::draining, WorkloadState::terminating,
                                          WorkloadState::terminated}));

    const sim::Snapshot s = h.world->snapshot();
    EXPECT_TRUE(s.vms.empty());
    EXPECT_TRUE(s.proxies.empty());
    for (const auto& v : s.vnfs) EXPECT_NE(v.name, "shop-cart-v1");
    EXPECT_EQ(find_object(s, "WorkloadGroup", "shop", "cart-v1"), nullptr);
    auto status = h.orch->status("shop");
    ASSERT_TRUE(status);
    for (const auto& w : status->workloads) EXPECT_NE(w.id.version + w.id.microservice, "v1cart");
    EXPECT_EQ(status->workloads.size(), 2u);
}

TEST_F(EngineReconfigure, RemovingAContainerVersion) {
    auto& versions = find_ms(spec, "cart")->versions;
    versions.pop_back();  // v2
    set_split(spec, {{"v1", 100}});
    Operation op = h.reconfigure(spec);
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    const auto steps = h.steps(op.id());
    EXPECT_LT(find_step(steps, "applied VirtualService shop/cart"),
              find_step(steps, "applied DestinationRule shop/cart"));
    EXPECT_LT(find_step(steps, "applied DestinationRule shop/cart"),
              find_step(steps, "terminated and deleted VNF shop-cart-v2"));
    const sim::Snapshot s = h.world->snapshot();
    EXPECT_EQ(s.pods.size(), 1u);  // frontend's
    EXPECT_EQ(s.vnfs.size(), 2u);
}

TEST_F(EngineReconfigure, ScalingAVmVersionOutAndIn) {
    const sim::Snapshot before = h.world->snapshot();
    ASSERT_EQ(before.vms.size(), 1u);
    const VmInstance first = before.vms[0];

    std::get<VmWorkload>(find_ms(spec, "cart")->versions[0].workload).instances = 3;
    Operation out = h.reconfigure(spec);
    ASSERT_EQ(out.state(), OperationState::succeeded) << describe(out.result());
    EXPECT_EQ(h.count(CallKind::vnf_scale), 1u);
    EXPECT_EQ(h.count(CallKind::vnf_create), 0u);
    EXPECT_EQ(h.count(CallKind::inject), 2u);
    sim::Snapshot s = h.world->snapshot();
    EXPECT_EQ(s.vms.size(), 3u);
    EXPECT_EQ(s.proxies.size(), 3u);
    EXPECT_EQ(entry_address(s, "shop", "cart-v1-0"), first.address);  // the first stays first
    EXPECT_FALSE(entry_address(s, "shop", "cart-v1-2").empty());
    EXPECT_EQ(
        applied_objects(h.steps(out.id())),
        (std::set<std::string>{"WorkloadEntry shop/cart-v1-1", "WorkloadEntry shop/cart-v1-2"}));
    EXPECT_EQ(h.workload_states(out.id(), {"cart", "v1", 2}).back(), WorkloadState::ready);

    h.world->reset_call_counts();
    std::get<VmWorkload>(find_ms(spec, "cart")->versions[0].workload).instances = 1;
    Operation in = h.reconfigure(spec);
    ASSERT_EQ(in.state(), OperationState::succeeded) << describe(in.result());
    EXPECT_EQ(h.count(CallKind::vnf_scale), 1u);
    EXPECT_EQ(h.count(CallKind::inject), 0u);
    EXPECT_EQ(h.count(CallKind::inject_remove), 2u);
    s = h.world->snapshot();
    ASSERT_EQ(s.vms.size(), 1u);
    EXPECT_EQ(s.vms[0].server_id, first.server_id);
    EXPECT_EQ(s.proxies.size(), 1u);
    EXPECT_EQ(entry_address(s, "shop", "cart-v1-0"), first.address);
    EXPECT_EQ(find_object(s, "WorkloadEntry", "shop", "cart-v1-1"), nullptr);
    const auto steps = h.steps(in.id());
    EXPECT_LT(find_step(steps, "deleted WorkloadEntry shop/cart-v1-2"),
              find_step(steps, "scaling VNF shop-cart-v1 in"));
    EXPECT_EQ(h.workload_states(in.id(), {"cart", "v1", 2}),
              (std::vector<WorkloadState>{WorkloadState::draining, WorkloadState::terminating,
                                          WorkloadState::terminated}));
    auto status = h.orch->status("shop");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->workloads.size(), 3u);
}

TEST_F(EngineReconfigure, ScalingContainerReplicas) {
    std::get<ContainerWorkload>(find_ms(spec, "cart")->versions[1].workload).replicas = 4;
    Operation out = h.reconfigure(spec);
    ASSERT_EQ(out.state(), OperationState::succeeded) << describe(out.result());
    EXPECT_EQ(h.count(CallKind::vnf_scale), 1u);
    EXPECT_EQ(h.world->snapshot().pods.size(), 5u);
    std::get<ContainerWorkload>(find_ms(spec, "cart")->versions[1].workload).replicas = 1;
    Operation in = h.reconfigure(spec);
    ASSERT_EQ(in.state(), OperationState::succeeded) << describe(in.result());
    EXPECT_TRUE(eventually([&] { return h.world->snapshot().pods.size() == 2u; }));
}

TEST_F(EngineReconfigure, AVersionIsImmutableBeyondItsInstanceCount) {
    std::get<ContainerWorkload>(find_ms(spec, "cart")->versions[1].workload).image = "other:v2";
    Operation op = h.reconfigure(spec);
    EXPECT_EQ(op.state(), OperationState::failed);
    ASSERT_FALSE(op.result().ok());
    EXPECT_EQ(op.result().error().code, Errc::invalid_spec);
    ASSERT_EQ(op.result().error().fields.size(), 1u);
    EXPECT_EQ(op.result().error().fields[0].path, "spec.microservices[1].versions[1]");
    EXPECT_EQ(h.count(CallKind::k8s_apply), 0u);
    auto status = h.orch->status("shop");
    ASSERT_TRUE(status);
    EXPECT_EQ(status->phase, ServicePhase::ready);
}

TEST_F(EngineReconfigure, TheNamespaceCannotChange) {
    spec.namespace_ = "elsewhere";
    Operation op = h.reconfigure(spec);
    EXPECT_EQ(op.state(), OperationState::failed);
    ASSERT_FALSE(op.result().ok());
    EXPECT_EQ(op.result().error().code, Errc::invalid_spec);
}

TEST_F(EngineReconfigure, MigratingAMicroserviceFromVmToContainerIsASequenceOfReconfigures) {
    auto& cart = *find_ms(spec, "cart");
    set_split(spec, {{"v1", 0}, {"v2", 100}});
    ASSERT_TRUE(h.reconfigure(spec).result().ok());
    cart.versions.erase(cart.versions.begin());
    set_split(spec, {{"v2", 100}});
    Operation op = h.reconfigure(spec);
    ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
    const sim::Snapshot s = h.world->snapshot();
    EXPECT_TRUE(s.vms.empty());
    EXPECT_TRUE(h.terminate("shop").result().ok());
    EXPECT_TRUE(h.world->snapshot().empty());
}

}  // namespace
}  // namespace meshorch::engine_test
