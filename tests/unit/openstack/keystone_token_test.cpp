#include "openstack/keystone_token.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <chrono>

namespace meshorch::openstack {
namespace {

using namespace std::chrono_literals;

KeystoneConfig password_config() {
    KeystoneConfig c;
    c.auth_url = "http://keystone.example:5000/v3";
    c.username = "meshorch";
    c.password = "s3cret";
    c.project_name = "demo";
    return c;
}

TEST(KeystoneAuthRequest, PasswordScopedToProjectByNameAndDomain) {
    auto body = boost::json::parse(auth_request_body(password_config())).as_object();
    const auto& identity = body.at("auth").at("identity").as_object();
    EXPECT_EQ(identity.at("methods").as_array(), boost::json::array{"password"});
    const auto& user = identity.at("password").at("user").as_object();
    EXPECT_EQ(user.at("name"), "meshorch");
    EXPECT_EQ(user.at("password"), "s3cret");
    EXPECT_EQ(user.at("domain").at("name"), "Default");
    const auto& project = body.at("auth").at("scope").at("project").as_object();
    EXPECT_EQ(project.at("name"), "demo");
    EXPECT_EQ(project.at("domain").at("name"), "Default");
}

TEST(KeystoneAuthRequest, ProjectIdAndDomainIdsWinOverNames) {
    auto c = password_config();
    c.project_id = "p-123";
    c.user_domain_id = "default";
    auto body = boost::json::parse(auth_request_body(c)).as_object();
    EXPECT_EQ(body.at("auth").at("identity").at("password").at("user").at("domain").as_object(),
              (boost::json::object{{"id", "default"}}));
    EXPECT_EQ(body.at("auth").at("scope").at("project").as_object(),
              (boost::json::object{{"id", "p-123"}}));
}

TEST(KeystoneAuthRequest, ApplicationCredentialCarriesNoScope) {
    KeystoneConfig c;
    c.auth_url = "http://keystone.example:5000";
    c.application_credential_id = "ac-1";
    c.application_credential_secret = "shh";
    ASSERT_TRUE(validate(c));
    auto body = boost::json::parse(auth_request_body(c)).as_object();
    const auto& auth = body.at("auth").as_object();
    EXPECT_FALSE(auth.contains("scope"));
    EXPECT_EQ(auth.at("identity").at("methods").as_array(),
              boost::json::array{"application_credential"});
    EXPECT_EQ(auth.at("identity").at("application_credential").as_object(),
              (boost::json::object{{"id", "ac-1"}, {"secret", "shh"}}));
}

TEST(KeystoneAuthRequest, ValidationSaysWhatIsMissing) {
    struct Case {
        std::function<void(KeystoneConfig&)> change;
        std::string says;
    };
    const std::vector<Case> cases = {
        {[](KeystoneConfig& c) { c.auth_url.clear(); }, "auth_url is empty"},
        {[](KeystoneConfig& c) { c.auth_url = "keystone:5000"; }, "not an http(s) URL"},
        {[](KeystoneConfig& c) { c.password.clear(); }, "password is empty"},
        {[](KeystoneConfig& c) { c.project_name.clear(); }, "no project scope"},
        {[](KeystoneConfig& c) { c.application_credential_id = "x"; }, "not both"},
        {[](KeystoneConfig& c) { c.interface = "private"; }, "not public, internal or admin"},
        {[](KeystoneConfig& c) {
             c.username.clear();
             c.password.clear();
         },
         "no credentials"},
    };
    for (const auto& k : cases) {
        auto c = password_config();
        k.change(c);
        auto r = validate(c);
        ASSERT_FALSE(r) << k.says;
        EXPECT_EQ(r.error().code, Errc::invalid_argument);
        EXPECT_NE(r.error().message.find(k.says), std::string::npos) << r.error().message;
    }
    EXPECT_TRUE(validate(password_config()));
}

TEST(KeystoneAuthRequest, TokensUrlAddsVersionOnlyWhenMissing) {
    EXPECT_EQ(tokens_url("http://k:5000/v3"), "http://k:5000/v3/auth/tokens");
    EXPECT_EQ(tokens_url("http://k:5000/v3/"), "http://k:5000/v3/auth/tokens");
    EXPECT_EQ(tokens_url("http://k:5000"), "http://k:5000/v3/auth/tokens");
    EXPECT_EQ(tokens_url("https://k/identity/"), "https://k/identity/v3/auth/tokens");
}

TEST(KeystoneTime, ParsesKeystoneFormats) {
    using std::chrono::system_clock;
    const auto base = std::chrono::sys_days(std::chrono::year(2026) / 11 / 27) + 21h + 33min + 16s;
    EXPECT_EQ(*parse_keystone_time("2026-11-27T21:33:16.000000Z"), base);
    EXPECT_EQ(*parse_keystone_time("2026-11-27T21:33:16Z"), base);
    EXPECT_EQ(*parse_keystone_time("2026-11-27T21:33:16"), base);
    EXPECT_EQ(*parse_keystone_time("2026-11-27T21:33:16.5Z"), base + 500ms);
    EXPECT_EQ(*parse_keystone_time("2026-11-27T23:33:16+02:00"), base);
    for (const char* bad : {"", "2026-11-27", "2026-13-01T00:00:00Z", "2026-11-27T21:33:16X",
                            "2026-11-27T21:33:16.Z", "yesterday"}) {
        EXPECT_FALSE(parse_keystone_time(bad)) << bad;
    }
}

const char* token_body = R"({"token": {
  "methods": ["password"], "issued_at": "2026-11-27T21:00:00.000000Z",
  "expires_at": "2026-11-27T22:00:00.000000Z",
  "project": {"id": "p-1", "name": "demo", "domain": {"id": "default", "name": "Default"}},
  "catalog": [
    {"type": "compute", "name": "nova", "endpoints": [
      {"interface": "public", "region_id": "RegionOne", "region": "RegionOne",
       "url": "http://nova:8774/v2.1"}]},
    {"type": "nfv-orchestration", "name": "tacker", "endpoints": [
      {"interface": "internal", "region_id": "RegionOne", "url": "http://tacker-int:9890/"},
      {"interface": "public", "region_id": "RegionOne", "url": "http://tacker:9890/"}]}]}})";

TEST(KeystoneTokenResponse, ReadsTokenExpiryProjectAndCatalog) {
    auto t = parse_token_response("gAAAA-token", token_body);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->value, "gAAAA-token");
    EXPECT_EQ(t->project_id, "p-1");
    EXPECT_EQ(t->expires_at - t->issued_at, std::chrono::hours(1));
    ASSERT_EQ(t->catalog.size(), 2u);
    EXPECT_EQ(*select_endpoint(t->catalog, "nfv-orchestration", "public", "RegionOne"),
              "http://tacker:9890/");
}

TEST(KeystoneTokenResponse, MalformedResponsesAreClearBackendErrors) {
    struct Case {
        std::string header, body, says;
    };
    const std::vector<Case> cases = {
        {"", token_body, "no X-Subject-Token header"},
        {"t", "", "invalid JSON"},
        {"t", R"({"token": {"expires_at": "2026-11-27T22:00:00Z")", "invalid JSON"},
        {"t", "[]", "expected a JSON object"},
        {"t", R"({"tokens": {}})", "no \"token\" object"},
        {"t", R"({"token": {}})", "missing string field \"expires_at\""},
        {"t", R"({"token": {"expires_at": 3600}})", "missing string field \"expires_at\""},
        {"t", R"({"token": {"expires_at": "soon"}})", "expires_at: invalid timestamp"},
    };
    for (const auto& k : cases) {
        auto t = parse_token_response(k.header, k.body);
        ASSERT_FALSE(t) << k.says;
        EXPECT_EQ(t.error().code, Errc::backend);
        EXPECT_NE(t.error().message.find("malformed response"), std::string::npos);
        EXPECT_NE(t.error().message.find(k.says), std::string::npos) << t.error().message;
    }
}

TEST(TokenReusePeriod, MarginForLongTokensHalfLifeForShortOnes) {
    const auto t0 = std::chrono::system_clock::now();
    EXPECT_EQ(token_reuse_period(t0, t0 + 3600s, 60s), 3540s);
    EXPECT_EQ(token_reuse_period(t0, t0 + 100s, 60s), 50s);  // half of 100 s < 60 s margin
    EXPECT_EQ(token_reuse_period(t0, t0 + 4s, 60s), 2s);
    EXPECT_EQ(token_reuse_period(t0, t0 + 4s, 0s), 4s);
    EXPECT_EQ(token_reuse_period(t0, t0, 60s), 0ms);
    EXPECT_EQ(token_reuse_period(t0, t0 - 5s, 60s), 0ms);  // already expired
}

}  // namespace
}  // namespace meshorch::openstack
