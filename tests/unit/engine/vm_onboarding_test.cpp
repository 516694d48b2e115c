// onboard_vm / offboard_vm on the simulated world: a service deployed by the orchestrator, then
// one of its VMs taken out of the mesh and put back the way a VNF manager's hook would.
#include "unit/engine/engine_support.hpp"

#include <meshorch/vm_onboarding.hpp>

namespace meshorch::engine_test {
namespace {

using sim::CallKind;
using sim::FaultKind;

// cart v1 on two VMs, so that an instance other than 0 is exercised.
ServiceSpec two_vm_spec() {
    ServiceSpec spec = hybrid_spec();
    find_ms(spec, "cart")->versions[0] = vm_version("v1", 2);
    return spec;
}

OnboardingOptions quick_options() {
    OnboardingOptions o = onboarding_options(fast_options());
    o.call_timeout = 2s;
    return o;
}

CallContext within(std::chrono::milliseconds limit) {
    CallContext ctx;
    ctx.deadline = Clock::now() + limit;
    ctx.operation_id = "onboarding-test";
    return ctx;
}

sim::ScriptedFault fault(CallKind call, FaultKind kind, int repeat = 1) {
    sim::ScriptedFault f;
    f.call = call;
    f.fault = kind;
    f.repeat = repeat;
    return f;
}

// A deployed two-VM hybrid service and what the orchestrator put in the world for it.
class VmOnboarding : public ::testing::Test {
protected:
    void SetUp() override {
        Operation op = h.deploy(spec);
        ASSERT_EQ(op.state(), OperationState::succeeded) << describe(op.result());
        deployed = h.world->snapshot();
        ASSERT_EQ(deployed.proxies.size(), 2u);
        // The second VM of the VNF is instance 1: its entry is cart-v1-1.
        vm = deployed.vms.at(1);
        ASSERT_EQ(entry_address(deployed, "shop", "cart-v1-1"), vm.address);
    }

    Result<Object> onboard(const ServiceSpec& s, const std::string& ms, const std::string& v,
                           const VmInstance& target, int instance,
                           const CallContext& ctx = within(10s)) {
        return onboard_vm(s, ms, v, target, instance, *h.world->cluster(), *h.world->injector(),
                          quick_options(), ctx);
    }
    Status offboard(const VmInstance& target, int instance) {
        return offboard_vm(spec, "cart", "v1", target, instance, *h.world->cluster(),
                           *h.world->injector(), quick_options(), within(10s));
    }

    const sim::ProxyRecord* proxy_on(const sim::Snapshot& s, const VmInstance& target) const {
        for (const auto& p : s.proxies) {
            if (p.vm.server_id == target.server_id) return &p;
        }
        return nullptr;
    }

    Harness h;
    ServiceSpec spec = two_vm_spec();
    sim::Snapshot deployed;
    VmInstance vm;
};

std::map<std::string, std::string> without_token(std::map<std::string, std::string> files) {
    files.erase("istio-token");
    return files;
}

TEST_F(VmOnboarding, OffboardRemovesTheEntryAndTheProxyOfThatVmOnly) {
    ASSERT_TRUE(offboard(vm, 1).ok());
    const sim::Snapshot s = h.world->snapshot();
    EXPECT_EQ(find_object(s, "WorkloadEntry", "shop", "cart-v1-1"), nullptr);
    EXPECT_EQ(proxy_on(s, vm), nullptr);
    // The other VM stays in the mesh.
    EXPECT_NE(find_object(s, "WorkloadEntry", "shop", "cart-v1-0"), nullptr);
    EXPECT_NE(proxy_on(s, deployed.vms.at(0)), nullptr);
    EXPECT_EQ(s.vms.size(), deployed.vms.size());  // the VM itself is the VNF manager's
}

TEST_F(VmOnboarding, OnboardPutsBackWhatTheOrchestratorRendered) {
    ASSERT_TRUE(offboard(vm, 1).ok());
    auto stored = onboard(spec, "cart", "v1", vm, 1);
    ASSERT_TRUE(stored.ok()) << stored.error().describe();

    const sim::Snapshot s = h.world->snapshot();
    const Object* before = find_object(deployed, "WorkloadEntry", "shop", "cart-v1-1");
    const Object* after = find_object(s, "WorkloadEntry", "shop", "cart-v1-1");
    ASSERT_NE(before, nullptr);
    ASSERT_NE(after, nullptr);
    EXPECT_EQ(boost::json::serialize(without_server_fields(after->manifest)),
              boost::json::serialize(without_server_fields(before->manifest)));
    // The returned object is the stored one.
    EXPECT_EQ(stored->key, after->key);
    EXPECT_EQ(boost::json::serialize(stored->manifest), boost::json::serialize(after->manifest));
    EXPECT_EQ(stored->manifest.at("metadata").at("labels").at(label_service).as_string(), "shop");

    // The proxy is back with the orchestrator's bundle (a new token aside).
    const sim::ProxyRecord* was = proxy_on(deployed, vm);
    const sim::ProxyRecord* is = proxy_on(s, vm);
    ASSERT_NE(was, nullptr);
    ASSERT_NE(is, nullptr);
    EXPECT_EQ(is->microservice, "cart");
    EXPECT_EQ(is->version, "v1");
    EXPECT_EQ(without_token(is->bundle.files), without_token(was->bundle.files));
    EXPECT_NE(is->bundle.files.at("istio-token"), was->bundle.files.at("istio-token"));
    expect_same_world(deployed, s);
}

TEST_F(VmOnboarding, TheEntryIsAppliedOnlyAfterTheProxyIsReady) {
    ASSERT_TRUE(offboard(vm, 1).ok());
    h.world->fail_vm(vm.server_id);  // the injector cannot start a proxy there
    auto stored = onboard(spec, "cart", "v1", vm, 1);
    ASSERT_FALSE(stored.ok());
    EXPECT_EQ(stored.error().code, Errc::backend);
    EXPECT_NE(stored.error().message.find("inject the proxy on VM " + vm.server_id),
              std::string::npos)
        << stored.error().message;
    EXPECT_EQ(find_object(h.world->snapshot(), "WorkloadEntry", "shop", "cart-v1-1"), nullptr);
}

TEST_F(VmOnboarding, OnboardingTwiceChangesNothingButTheToken) {
    const auto& entry_rv = [](const sim::Snapshot& s) {
        return std::string(find_object(s, "WorkloadEntry", "shop", "cart-v1-1")
                               ->manifest.at("metadata")
                               .at("resourceVersion")
                               .as_string());
    };
    ASSERT_TRUE(onboard(spec, "cart", "v1", vm, 1).ok());
    const sim::Snapshot first = h.world->snapshot();
    h.world->reset_call_counts();
    auto again = onboard(spec, "cart", "v1", vm, 1);
    ASSERT_TRUE(again.ok()) << again.error().describe();
    const sim::Snapshot second = h.world->snapshot();

    // The entry was not written again: same resourceVersion (also as the deploy left it).
    EXPECT_EQ(entry_rv(second), entry_rv(first));
    EXPECT_EQ(entry_rv(second), entry_rv(deployed));
    EXPECT_EQ(std::string(again->manifest.at("metadata").at("resourceVersion").as_string()),
              entry_rv(second));
    EXPECT_EQ(without_token(proxy_on(second, vm)->bundle.files),
              without_token(proxy_on(first, vm)->bundle.files));
    expect_same_world(first, second);
    EXPECT_EQ(h.count(CallKind::inject), 1u);
    EXPECT_EQ(h.count(CallKind::k8s_apply), 1u);
}

TEST_F(VmOnboarding, AnUnknownOrContainerVersionIsRefusedByName) {
    h.world->reset_call_counts();
    auto wrong_version = onboard(spec, "cart", "v9", vm, 1);
    ASSERT_FALSE(wrong_version.ok());
    EXPECT_EQ(wrong_version.error().code, Errc::invalid_argument);
    EXPECT_NE(wrong_version.error().message.find("no version \"v9\""), std::string::npos)
        << wrong_version.error().message;

    auto container = onboard(spec, "cart", "v2", vm, 0);
    ASSERT_FALSE(container.ok());
    EXPECT_EQ(container.error().code, Errc::invalid_argument);
    EXPECT_NE(container.error().message.find("cart/v2"), std::string::npos);
    EXPECT_NE(container.error().message.find("not on VMs"), std::string::npos);

    auto no_ms = onboard(spec, "billing", "v1", vm, 0);
    ASSERT_FALSE(no_ms.ok());
    EXPECT_EQ(no_ms.error().code, Errc::invalid_argument);
    EXPECT_NE(no_ms.error().message.find("no microservice \"billing\""), std::string::npos);

    auto negative = onboard(spec, "cart", "v1", vm, -1);
    ASSERT_FALSE(negative.ok());
    EXPECT_EQ(negative.error().code, Errc::invalid_argument);

    auto no_address = onboard(spec, "cart", "v1", VmInstance{vm.server_id, ""}, 1);
    ASSERT_FALSE(no_address.ok());
    EXPECT_EQ(no_address.error().code, Errc::invalid_argument);
    EXPECT_NE(no_address.error().message.find("has no address"), std::string::npos);

    ServiceSpec invalid = spec;
    invalid.microservices[0].name = "Not A Name";
    auto bad_spec = onboard(invalid, "cart", "v1", vm, 1);
    ASSERT_FALSE(bad_spec.ok());
    EXPECT_EQ(bad_spec.error().code, Errc::invalid_spec);
    EXPECT_FALSE(bad_spec.error().fields.empty());

    // None of them reached a backend.
    EXPECT_TRUE(h.world->call_counts().empty());
    expect_same_world(deployed, h.world->snapshot());
}

TEST_F(VmOnboarding, ATokenForAnUnknownServiceAccountFailsAndLeavesNoEntry) {
    // A VM version of a microservice the cluster has no ServiceAccount for.
    ServiceSpec other = spec;
    Microservice billing = microservice("billing", {vm_version("v1", 1)});
    other.microservices.push_back(billing);
    h.world->reset_call_counts();
    auto r = onboard(other, "billing", "v1", vm, 0);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::not_found);
    EXPECT_NE(r.error().message.find("token for ServiceAccount shop/billing"), std::string::npos)
        << r.error().message;
    EXPECT_EQ(find_object(h.world->snapshot(), "WorkloadEntry", "shop", "billing-v1-0"), nullptr);
    EXPECT_EQ(h.count(CallKind::inject), 0u);
    EXPECT_EQ(h.count(CallKind::k8s_apply), 0u);
}

TEST_F(VmOnboarding, OffboardingWhatIsGoneSucceeds) {
    ASSERT_TRUE(offboard(vm, 1).ok());
    ASSERT_TRUE(offboard(vm, 1).ok());  // entry and proxy already gone
    ASSERT_TRUE(offboard(VmInstance{"no-such-server", "10.255.255.254"}, 7).ok());
    const sim::Snapshot s = h.world->snapshot();
    EXPECT_NE(find_object(s, "WorkloadEntry", "shop", "cart-v1-0"), nullptr);
    EXPECT_EQ(s.proxies.size(), 1u);
}

TEST_F(VmOnboarding, TransientFaultsAreRetried) {
    ASSERT_TRUE(offboard(vm, 1).ok());
    h.world->script(fault(CallKind::k8s_token, FaultKind::unavailable, 2));
    h.world->script(fault(CallKind::inject, FaultKind::rate_limited));
    h.world->script(fault(CallKind::k8s_apply, FaultKind::conflict));
    h.world->reset_call_counts();
    auto stored = onboard(spec, "cart", "v1", vm, 1);
    ASSERT_TRUE(stored.ok()) << stored.error().describe();
    EXPECT_EQ(h.count(CallKind::k8s_token), 3u);
    EXPECT_EQ(h.count(CallKind::inject), 2u);
    EXPECT_EQ(h.count(CallKind::k8s_apply), 2u);
    EXPECT_EQ(entry_address(h.world->snapshot(), "shop", "cart-v1-1"), vm.address);
}

TEST_F(VmOnboarding, ATerminalFaultFailsAtOnceWithTheStep) {
    h.world->script(fault(CallKind::inject_remove, FaultKind::rejected));
    Status s = offboard(vm, 1);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, Errc::backend);
    EXPECT_NE(s.error().message.find("remove the proxy from VM " + vm.server_id), std::string::npos)
        << s.error().message;
    // The entry went first: traffic had stopped before the proxy removal failed.
    EXPECT_EQ(find_object(h.world->snapshot(), "WorkloadEntry", "shop", "cart-v1-1"), nullptr);
}

TEST_F(VmOnboarding, TheDeadlineBoundsTheWholeCall) {
    h.world->script(fault(CallKind::k8s_root_cert, FaultKind::timeout));
    const auto start = Clock::now();
    auto r = onboard(spec, "cart", "v1", vm, 1, within(300ms));
    const auto took = Clock::now() - start;
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::timeout);
    EXPECT_LT(took, 3s);
}

TEST_F(VmOnboarding, ACancelStopsTheCall) {
    h.world->script(fault(CallKind::inject, FaultKind::timeout));
    CancelSource cancel;
    CallContext ctx = within(20s);
    ctx.cancel = cancel.token();
    std::thread canceller([&] {
        std::this_thread::sleep_for(100ms);
        cancel.cancel();
    });
    const auto start = Clock::now();
    auto r = onboard(spec, "cart", "v1", vm, 1, ctx);
    canceller.join();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::cancelled);
    EXPECT_LT(Clock::now() - start, 5s);
}

TEST(VmOnboardingNames, EntryNamesAndOptionsFollowTheOrchestrator) {
    EXPECT_EQ(workload_entry_name("cart", "v1", 3), "cart-v1-3");
    OrchestratorOptions o;
    o.mesh_id = "m2";
    o.network = "vm-net";
    o.token_lifetime = std::chrono::seconds(900);
    const OnboardingOptions got = onboarding_options(o);
    EXPECT_EQ(got.mesh_id, "m2");
    EXPECT_EQ(got.network, "vm-net");
    EXPECT_EQ(got.token_lifetime, std::chrono::seconds(900));
    EXPECT_EQ(got.istiod_address, o.istiod_address);
    const OnboardingOptions defaults;
    const OnboardingOptions from_defaults = onboarding_options(OrchestratorOptions{});
    EXPECT_EQ(defaults.token_lifetime, from_defaults.token_lifetime);
    EXPECT_EQ(defaults.call_timeout, from_defaults.call_timeout);
    EXPECT_EQ(defaults.backoff.max_attempts, from_defaults.backoff.max_attempts);
    EXPECT_EQ(defaults.istiod_address, from_defaults.istiod_address);
    EXPECT_EQ(defaults.cluster_id, from_defaults.cluster_id);
    EXPECT_EQ(defaults.mesh_id, from_defaults.mesh_id);
}

}  // namespace
}  // namespace meshorch::engine_test
