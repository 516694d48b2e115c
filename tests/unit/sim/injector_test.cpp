// The simulated VM sidecar injector, fail_vm, and a whole service's life leaving nothing behind.
#include "sim_support.hpp"

namespace meshorch::sim::test {
namespace {

struct InjectorFixture : ::testing::Test {
    Sim sim;
    std::string vnf_id;
    VmInstance vm;
    std::string token;

    void SetUp() override {
        ASSERT_TRUE(sim.apply(namespace_object("shop", {{"istio-injection", "enabled"}})).ok());
        ASSERT_TRUE(sim.apply(service_account("shop", "cart")).ok());
        vnf_id = sim.deploy(vm_request("shop-cart-v1", 1));
        vm = sim.vnf(vnf_id)->vms.at(0);
        token = sim.token("shop", "cart")->token;
    }

    InjectionRequest request(const std::string& mesh_yaml = "defaultConfig: {}") const {
        InjectionRequest r;
        r.service = "shop";
        r.namespace_ = "shop";
        r.microservice = "cart";
        r.version = "v1";
        r.vm = vm;
        r.bundle.files = {{"cluster.env", "ISTIO_SVC_IP='" + vm.address + "'\n"},
                          {"mesh.yaml", mesh_yaml},
                          {"root-cert.pem", "-----BEGIN CERTIFICATE-----\n"},
                          {"istio-token", token},
                          {"hosts", ""}};
        return r;
    }
};

TEST_F(InjectorFixture, InjectRecordsAProxyAndIsIdempotent) {
    auto first = sim.inject(request());
    ASSERT_TRUE(first.ok()) << first.error().describe();
    EXPECT_TRUE(first->changed);
    auto again = sim.inject(request());
    ASSERT_TRUE(again.ok());
    EXPECT_FALSE(again->changed);
    auto other = sim.inject(request("defaultConfig: {discoveryAddress: x}"));
    ASSERT_TRUE(other.ok());
    EXPECT_TRUE(other->changed);

    auto snap = sim.world->snapshot();
    ASSERT_EQ(snap.proxies.size(), 1u);
    EXPECT_EQ(snap.proxies[0].vm, vm);
    EXPECT_EQ(snap.proxies[0].microservice, "cart");
    EXPECT_EQ(snap.proxies[0].version, "v1");
    EXPECT_EQ(snap.proxies[0].bundle, request("defaultConfig: {discoveryAddress: x}").bundle);
    EXPECT_GT(snap.proxies[0].token_expires_at, std::chrono::system_clock::now());
}

TEST_F(InjectorFixture, InjectNeedsAnExistingRunningVm) {
    auto r = request();
    r.vm = VmInstance{"", "10.9.9.9"};
    auto missing = sim.inject(r);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, Errc::backend);
    EXPECT_NE(missing.error().message.find("no such VM"), std::string::npos);

    sim.world->fail_vm(vm.server_id);
    auto failed = sim.inject(request());
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().code, Errc::backend);
}

TEST_F(InjectorFixture, InjectNeedsAUsableMeshToken) {
    auto r = request();
    r.bundle.files.erase("istio-token");
    EXPECT_EQ(sim.inject(r).error().code, Errc::backend);

    ASSERT_TRUE(sim.apply(service_account("shop", "other")).ok());
    r = request();
    r.bundle.files["istio-token"] = sim.token("shop", "other")->token;  // someone else's identity
    auto wrong_sa = sim.inject(r);
    ASSERT_FALSE(wrong_sa.ok());
    EXPECT_NE(wrong_sa.error().message.find("shop/other"), std::string::npos);

    r.bundle.files["istio-token"] = sim.token("shop", "cart", std::chrono::hours(1), "api")->token;
    EXPECT_EQ(sim.inject(r).error().code, Errc::backend);  // wrong audience
    EXPECT_TRUE(sim.world->snapshot().proxies.empty());
}

TEST_F(InjectorFixture, AnExpiredTokenIsRefused) {
    auto short_lived = sim.token("shop", "cart", std::chrono::seconds(1));
    ASSERT_TRUE(short_lived.ok());
    auto r = request();
    r.bundle.files["istio-token"] = short_lived->token;
    ASSERT_TRUE(sim.inject(r).ok());
    std::this_thread::sleep_until(short_lived->expires_at + 20ms);

    r = request("changed");
    r.bundle.files["istio-token"] = short_lived->token;
    auto refused = sim.inject(r);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::backend);
    EXPECT_NE(refused.error().message.find("expired"), std::string::npos)
        << refused.error().message;
    EXPECT_FALSE(sim.refresh(vm, short_lived->token).ok());
    // A fresh token (the fixture's, good for an hour) brings the proxy back.
    EXPECT_TRUE(sim.refresh(vm, token).ok());
    EXPECT_TRUE(sim.inject(request("changed")).ok());
}

TEST_F(InjectorFixture, RefreshTokenReplacesTheToken) {
    EXPECT_EQ(sim.refresh(vm, token).error().code, Errc::backend);  // no proxy yet
    ASSERT_TRUE(sim.inject(request()).ok());
    auto fresh = sim.token("shop", "cart", std::chrono::hours(2));
    ASSERT_TRUE(sim.refresh(vm, fresh->token).ok());
    auto snap = sim.world->snapshot();
    ASSERT_EQ(snap.proxies.size(), 1u);
    EXPECT_EQ(snap.proxies[0].bundle.files.at("istio-token"), fresh->token);
    EXPECT_EQ(snap.proxies[0].token_expires_at, fresh->expires_at);
}

TEST_F(InjectorFixture, RemoveDropsTheProxyAndToleratesWhatIsGone) {
    ASSERT_TRUE(sim.inject(request()).ok());
    ASSERT_TRUE(sim.uninject(vm).ok());
    EXPECT_TRUE(sim.world->snapshot().proxies.empty());
    EXPECT_TRUE(sim.uninject(vm).ok());
    EXPECT_TRUE(sim.uninject(VmInstance{"x", "10.9.9.9"}).ok());
}

TEST_F(InjectorFixture, FailVmDropsTheProxyAndHealBringsANewVm) {
    ASSERT_TRUE(sim.inject(request()).ok());
    sim.world->fail_vm(vm.server_id);
    EXPECT_TRUE(sim.world->snapshot().proxies.empty());
    auto op = sim.heal(vnf_id, vm.server_id);
    ASSERT_TRUE(op.ok());
    EXPECT_EQ(sim.wait_op(*op).state, LcmState::completed);
    vm = sim.vnf(vnf_id)->vms.at(0);
    auto again = sim.inject(request());
    ASSERT_TRUE(again.ok()) << again.error().describe();
    EXPECT_TRUE(again->changed);
}

TEST(SimWorld, ADeployAndTerminateLeaveNothingBehind) {
    Options o;
    o.default_latency = Latency{1ms, 2ms};
    o.lcm_duration = 20ms;
    o.pod_start_time = 10ms;
    o.threads = 2;
    Sim sim(o);
    // Prepare (what the engine applies first).
    ASSERT_TRUE(sim.apply(namespace_object("shop", {{"istio-injection", "enabled"}})).ok());
    for (const char* sa : {"cart", "web"}) ASSERT_TRUE(sim.apply(service_account("shop", sa)).ok());
    ASSERT_TRUE(sim.apply(config_map("shop", "settings", "x")).ok());
    // Instantiate one VM version and one container version.
    const auto vm_req = vm_request("shop-cart-v1", 2);
    const auto c_req = container_request("shop-web-v2", "shop", 2);
    const auto vm_vnf = sim.deploy(vm_req);
    const auto c_vnf = sim.deploy(c_req);
    EXPECT_TRUE(eventually([&] { return sim.readiness("shop", "web", "v2")->ready == 2; }));
    // Inject every VM.
    const auto vms = sim.vnf(vm_vnf)->vms;
    for (const auto& vm : vms) {
        InjectionRequest r;
        r.service = "shop";
        r.namespace_ = "shop";
        r.microservice = "cart";
        r.version = "v1";
        r.vm = vm;
        r.bundle.files["istio-token"] = sim.token("shop", "cart")->token;
        ASSERT_TRUE(sim.inject(r).ok());
    }
    auto full = sim.world->snapshot();
    EXPECT_EQ(full.vnfs.size(), 2u);
    EXPECT_EQ(full.vms.size(), 2u);
    EXPECT_EQ(full.pods.size(), 2u);
    EXPECT_EQ(full.proxies.size(), 2u);
    // Terminate in the engine's order.
    for (const auto& vm : vms) ASSERT_TRUE(sim.uninject(vm).ok());
    for (const auto& id : {vm_vnf, c_vnf}) {
        EXPECT_EQ(sim.wait_op(*sim.terminate(id)).state, LcmState::completed);
        ASSERT_TRUE(sim.remove_vnf(id).ok());
    }
    ASSERT_TRUE(sim.remove(ObjectKey{"v1", "ConfigMap", "shop", "settings"}).ok());
    for (const char* sa : {"cart", "web"}) {
        ASSERT_TRUE(sim.remove(ObjectKey{"v1", "ServiceAccount", "shop", sa}).ok());
    }
    ASSERT_TRUE(sim.remove(ObjectKey{"v1", "Namespace", "", "shop"}).ok());
    auto snap = sim.world->snapshot();
    EXPECT_TRUE(snap.empty()) << snap.vnfs.size() << " vnfs, " << snap.vms.size() << " vms, "
                              << snap.pods.size() << " pods, " << snap.objects.size()
                              << " objects, " << snap.proxies.size() << " proxies";
}

TEST(SimWorld, SnapshotIsInAStableOrder) {
    Sim sim;
    ASSERT_TRUE(sim.create(vm_request("b")).ok());
    ASSERT_TRUE(sim.create(vm_request("a")).ok());
    ASSERT_TRUE(sim.create(vm_request("c")).ok());
    auto snap = sim.world->snapshot();
    ASSERT_EQ(snap.vnfs.size(), 3u);
    EXPECT_EQ(snap.vnfs[0].name, "a");
    EXPECT_EQ(snap.vnfs[1].name, "b");
    EXPECT_EQ(snap.vnfs[2].name, "c");
    EXPECT_FALSE(snap.vnfs[0].instantiated);
    EXPECT_EQ(snap.vnfs[0].instances, 0);
}

TEST(SimWorld, BackendsHandsOutTheSamePorts) {
    Sim sim;
    auto b = sim.world->backends();
    EXPECT_EQ(b.vnf_manager, sim.vnfm);
    EXPECT_EQ(b.cluster, sim.cluster);
    EXPECT_EQ(b.injector, sim.injector);
    EXPECT_EQ(b.store, nullptr);
}

}  // namespace
}  // namespace meshorch::sim::test
