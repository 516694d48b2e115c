// Backend trouble and how the port reports it: the engine's retry policy depends on the class.
#include "adapter_world.hpp"

namespace meshorch::test {
namespace {

using namespace std::chrono_literals;

class TackerFaults : public ::testing::Test {
protected:
    void SetUp() override {
        world().clear_faults();
        manager_ = world().manager(world().tacker_config());
        // Authenticate first, so the faults below hit Tacker and not the first call's setup.
        auto warm = find("warm-up");
        ASSERT_TRUE(warm) << warm.error().message;
    }
    void TearDown() override { world().clear_faults(); }

    static OpenStackWorld& world() { return OpenStackWorld::get(); }
    Result<std::optional<VnfInstance>> find(const std::string& name,
                                            std::chrono::milliseconds budget = 20s) {
        return await<std::optional<VnfInstance>>(
            [&](auto done) { manager_->find_vnf(name, ctx(budget), done); });
    }
    std::shared_ptr<tacker::TackerVnfManager> manager_;
};

TEST_F(TackerFaults, A500StormIsTransientWithTheBackendsDetail) {
    world().fault(
        {{"path", "/vnflcm/v2/vnf_instances$"}, {"error_rate", 1.0}, {"error_code", 500}});
    auto r = find("x");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::transient);
    EXPECT_TRUE(r.error().retryable());
    EXPECT_EQ(r.error().http_status, 500);
    EXPECT_NE(r.error().message.find("GET /vnflcm/v2/vnf_instances?filter="), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find(": emulated fault: HTTP 500 (500)"), std::string::npos)
        << r.error().message;
    world().clear_faults();
    EXPECT_TRUE(find("x"));  // the storm is over
}

TEST_F(TackerFaults, TooManyRequestsIsTransient) {
    world().fault(
        {{"path", "vnf_instances"}, {"error_rate", 1.0}, {"error_code", 429}, {"count", 1}});
    auto r = find("x");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::transient);
    EXPECT_EQ(r.error().http_status, 429);
}

TEST_F(TackerFaults, ATruncatedBodyIsAClearMalformedResponseError) {
    world().fault({{"path", "/vnflcm/v2/vnf_instances$"}, {"malformed_rate", 1.0}, {"count", 1}});
    auto r = find("x");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::backend);
    EXPECT_NE(r.error().message.find("malformed response from Tacker GET /vnflcm/v2/"),
              std::string::npos)
        << r.error().message;
}

TEST_F(TackerFaults, ADroppedConnectionIsTransient) {
    world().fault({{"path", "vnf_instances"}, {"drop_rate", 1.0}, {"count", 4}});
    auto r = find("x");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::transient) << r.error().message;
    EXPECT_NE(r.error().message.find("GET /vnflcm/v2/vnf_instances"), std::string::npos)
        << r.error().message;
}

TEST_F(TackerFaults, ASlowBackendRunsIntoTheDeadline) {
    world().fault({{"path", "vnf_instances"}, {"latency_ms", 2000}, {"count", 1}});
    const auto start = Clock::now();
    auto r = find("x", 300ms);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::timeout) << r.error().message;
    EXPECT_LT(Clock::now() - start, 1500ms);
}

TEST_F(TackerFaults, CancelledCallsAreRefused) {
    CancelSource cancel;
    cancel.cancel();
    CallContext c = ctx();
    c.cancel = cancel.token();
    auto r =
        await<std::optional<VnfInstance>>([&](auto done) { manager_->find_vnf("x", c, done); });
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::cancelled);
}

TEST_F(TackerFaults, NovaTroubleDuringGetVnfIsTransient) {
    const auto request = vm_request("bookinfo-productpage-v1", 1);
    auto id = await<std::string>([&](auto done) { manager_->create_vnf(request, ctx(), done); });
    ASSERT_TRUE(id) << id.error().message;
    auto op_id =
        await<std::string>([&](auto done) { manager_->instantiate(*id, request, ctx(), done); });
    ASSERT_TRUE(op_id) << op_id.error().message;
    auto op =
        await<LcmOperation>([&](auto done) { manager_->wait_for_operation(*op_id, ctx(), done); });
    ASSERT_TRUE(op);
    ASSERT_EQ(op->state, LcmState::completed);
    world().fault({{"path", "^/compute/"}, {"error_rate", 1.0}, {"error_code", 503}, {"count", 1}});
    auto vnf = await<VnfInstance>([&](auto done) { manager_->get_vnf(*id, ctx(), done); });
    ASSERT_FALSE(vnf);
    EXPECT_EQ(vnf.error().code, Errc::transient);
    EXPECT_NE(vnf.error().message.find("Nova GET /compute/v2.1/servers/"), std::string::npos)
        << vnf.error().message;
    auto again = await<VnfInstance>([&](auto done) { manager_->get_vnf(*id, ctx(), done); });
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_FALSE(again->vms.at(0).address.empty());
    auto t = await<std::string>([&](auto done) { manager_->terminate(*id, ctx(), done); });
    ASSERT_TRUE(t);
    auto terminated =
        await<LcmOperation>([&](auto done) { manager_->wait_for_operation(*t, ctx(), done); });
    ASSERT_TRUE(terminated) << terminated.error().message;
    EXPECT_TRUE(await<Ok>([&](auto done) { manager_->delete_vnf(*id, ctx(), done); }));
}

TEST_F(TackerFaults, RefusalsAreTerminalAndNamed) {
    auto request = vm_request("bookinfo-bad-v1", 1);
    request.package.vnfd_id.clear();  // Tacker's schema: vnfdId minLength 1
    auto id = await<std::string>([&](auto done) { manager_->create_vnf(request, ctx(), done); });
    ASSERT_FALSE(id);
    EXPECT_EQ(id.error().code, Errc::backend);
    EXPECT_EQ(id.error().http_status, 400);
    EXPECT_NE(id.error().message.find("POST /vnflcm/v2/vnf_instances: "), std::string::npos)
        << id.error().message;
    EXPECT_NE(id.error().message.find("(400)"), std::string::npos);
}

}  // namespace
}  // namespace meshorch::test
