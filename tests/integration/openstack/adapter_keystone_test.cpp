// Keystone v3 against a real Keystone: password and application-credential auth, the catalog,
// token reuse, renewal after a real expiry, the 401 re-authentication, TLS trust.
#include "adapter_world.hpp"
#include "openstack/keystone_session.hpp"

#include <thread>

namespace meshorch::test {
namespace {

using namespace std::chrono_literals;

TEST(KeystoneIntegration, PasswordAuthGetsATokenAndTheCatalog) {
    auto& w = OpenStackWorld::get();
    auto s = openstack::KeystoneSession::create(w.keystone_config());
    ASSERT_TRUE(s) << s.error().message;
    auto token = (*s)->token(ctx());
    ASSERT_TRUE(token) << token.error().message;
    EXPECT_GT(token->size(), 20u);
    EXPECT_EQ(*(*s)->endpoint("nfv-orchestration", ctx()), w.tacker_url());
    EXPECT_EQ(*(*s)->endpoint("compute", ctx()), w.nova_url());
    EXPECT_EQ((*s)->authentications(), 1u);

    auto internal_config = w.keystone_config();
    internal_config.interface = "internal";
    auto internal = openstack::KeystoneSession::create(internal_config);
    ASSERT_TRUE(internal);
    EXPECT_EQ(*(*internal)->endpoint("compute", ctx()), w.nova_url());

    auto elsewhere_config = w.keystone_config();
    elsewhere_config.region = "RegionNowhere";
    auto elsewhere = openstack::KeystoneSession::create(elsewhere_config);
    ASSERT_TRUE(elsewhere);
    auto missing = (*elsewhere)->endpoint("compute", ctx());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::not_found);
    EXPECT_NE(missing.error().message.find("RegionNowhere"), std::string::npos);
}

TEST(KeystoneIntegration, ApplicationCredentialAuth) {
    auto& w = OpenStackWorld::get();
    auto s = openstack::KeystoneSession::create(w.app_credential_config());
    ASSERT_TRUE(s) << s.error().message;
    auto token = (*s)->token(ctx());
    ASSERT_TRUE(token) << token.error().message;
    EXPECT_EQ(*(*s)->endpoint("nfv-orchestration", ctx()), w.tacker_url());
}

TEST(KeystoneIntegration, WrongPasswordIsATerminalErrorThatDoesNotLeakIt) {
    auto& w = OpenStackWorld::get();
    auto c = w.keystone_config();
    c.password = "not-the-password-4711";
    auto s = openstack::KeystoneSession::create(c);
    ASSERT_TRUE(s);
    auto token = (*s)->token(ctx());
    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, Errc::backend);
    EXPECT_EQ(token.error().http_status, 401);
    EXPECT_NE(token.error().message.find("POST /v3/auth/tokens"), std::string::npos)
        << token.error().message;
    EXPECT_EQ(token.error().message.find("4711"), std::string::npos);
    EXPECT_EQ(token.error().body_excerpt.find("4711"), std::string::npos);
}

TEST(KeystoneIntegration, TokenIsReusedAcrossCallsAndRenewedAfterExpiry) {
    auto& w = OpenStackWorld::get();
    auto m = w.manager(w.tacker_config());
    for (int i = 0; i < 5; ++i) {
        auto found = await<std::optional<VnfInstance>>(
            [&](auto done) { m->find_vnf("nobody-" + std::to_string(i), ctx(), done); });
        ASSERT_TRUE(found) << found.error().message;
        EXPECT_FALSE(*found);
    }
    EXPECT_EQ(m->session().authentications(), 1u);
    std::this_thread::sleep_for(std::chrono::milliseconds(token_seconds * 1000 + 500));
    auto found = await<std::optional<VnfInstance>>(
        [&](auto done) { m->find_vnf("after-expiry", ctx(), done); });
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_EQ(m->session().authentications(), 2u);
}

TEST(KeystoneIntegration, A401FromTackerCausesOneReauthenticationAndOneRetry) {
    auto& w = OpenStackWorld::get();
    auto m = w.manager(w.tacker_config());
    auto warm =
        await<std::optional<VnfInstance>>([&](auto done) { m->find_vnf("warm-up", ctx(), done); });
    ASSERT_TRUE(warm) << warm.error().message;
    const auto auths = m->session().authentications();
    w.fault({{"method", "GET"},
             {"path", "/vnflcm/v2/vnf_instances$"},
             {"error_rate", 1.0},
             {"error_code", 401},
             {"count", 1}});
    auto found = await<std::optional<VnfInstance>>(
        [&](auto done) { m->find_vnf("after-401", ctx(), done); });
    w.clear_faults();
    ASSERT_TRUE(found) << found.error().message;
    EXPECT_EQ(m->session().authentications(), auths + 1);

    // A 401 that persists is reported after exactly one retry.
    w.fault({{"method", "GET"},
             {"path", "/vnflcm/v2/vnf_instances$"},
             {"error_rate", 1.0},
             {"error_code", 401},
             {"count", 5}});
    auto refused = await<std::optional<VnfInstance>>(
        [&](auto done) { m->find_vnf("still-401", ctx(), done); });
    const auto state = w.state();
    const auto& left = state.at("faults").as_array();
    w.clear_faults();
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::backend);
    EXPECT_EQ(refused.error().http_status, 401);
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].at("count").as_int64(), 3);  // two requests were refused
}

TEST(KeystoneIntegration, AnUntrustedServerCertificateIsAClearTlsError) {
    auto& w = OpenStackWorld::get();
    auto c = w.tacker_config();
    c.keystone.ca_file = w.pki + "/other-ca.pem";
    auto m = w.manager(c);
    auto found =
        await<std::optional<VnfInstance>>([&](auto done) { m->find_vnf("x", ctx(), done); });
    ASSERT_FALSE(found);
    EXPECT_EQ(found.error().code, Errc::backend);
    EXPECT_NE(found.error().message.find("GET /vnflcm/v2/vnf_instances"), std::string::npos)
        << found.error().message;
    EXPECT_NE(found.error().message.find("certificate"), std::string::npos)
        << found.error().message;
}

TEST(KeystoneIntegration, EveryTackerRequestCarriesTheVersionHeader) {
    auto& w = OpenStackWorld::get();
    auto m = w.manager(w.tacker_config());
    auto found = await<std::optional<VnfInstance>>(
        [&](auto done) { m->find_vnf("versioned", ctx(), done); });
    ASSERT_TRUE(found) << found.error().message;
    auto op = await<LcmOperation>(
        [&](auto done) { m->get_operation("no-such-op-versioned", ctx(), done); });
    ASSERT_FALSE(op);
    EXPECT_EQ(op.error().code, Errc::not_found);
    // Every LCM request the emulator saw (all of them come from the adapter) had the header.
    int lcm_requests = 0;
    bool saw_op = false;
    const auto state = w.state();
    for (const auto& r : state.at("requests").as_array()) {
        const auto& o = r.as_object();
        if (!o.at("path").as_string().starts_with("/vnflcm/")) continue;
        ++lcm_requests;
        EXPECT_EQ(o.at("version"), "2.0.0") << boost::json::serialize(o);
        saw_op = saw_op || o.at("path") == "/vnflcm/v2/vnf_lcm_op_occs/no-such-op-versioned";
    }
    EXPECT_GE(lcm_requests, 2);
    EXPECT_TRUE(saw_op);
}

}  // namespace
}  // namespace meshorch::test
