// Bearer tokens and roles; the token file.
#include "api_support.hpp"

#include <fstream>

namespace meshorch::api::test {
namespace {

TEST(ApiAuth, NoTokenIs401WithAChallenge) {
    ApiHarness h;
    auto r = h.call("GET", "/v1/services", "", "", "");
    ASSERT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(error_of(r).at("code").as_string(), "unauthorized");
    EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer realm=\"meshorch\"");
}

TEST(ApiAuth, AnUnknownTokenIs401AndIsNotEchoed) {
    ApiHarness h;
    for (const std::string& token :
         std::vector<std::string>{"wrong-token", admin_token + "x", admin_token.substr(1)}) {
        auto r = h.call("GET", "/v1/services", "", "", token);
        ASSERT_EQ(r.status, 401) << r.body;
        EXPECT_EQ(r.header("WWW-Authenticate"),
                  "Bearer realm=\"meshorch\", error=\"invalid_token\"");
        EXPECT_EQ(r.body.find(token), std::string::npos) << r.body;
    }
    http::Request basic{
        "GET", h.server->url() + "/v1/services", {{"Authorization", "Basic eDp5"}}, "", false};
    auto r = h.client->send(basic, within(5s));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 401);
}

TEST(ApiAuth, UnknownPathsNeedATokenToo) {
    ApiHarness h;
    EXPECT_EQ(h.call("GET", "/v1/secret-things", "", "", "").status, 401);
}

TEST(ApiAuth, AReaderReadsButDoesNotWrite) {
    ApiHarness h;
    h.deploy(shop_spec());
    EXPECT_EQ(h.call("GET", "/v1/services", "", "", reader_token).status, 200);
    EXPECT_EQ(h.call("GET", "/v1/services/shop", "", "", reader_token).status, 200);
    struct Case {
        std::string method, path, body;
    };
    for (const auto& c :
         std::vector<Case>{{"POST", "/v1/services", shop_spec("other")},
                           {"PUT", "/v1/services/shop", shop_spec("shop", 2)},
                           {"DELETE", "/v1/services/shop", ""},
                           {"POST", "/v1/services/shop/workloads/cart/v1/0:heal", ""},
                           {"POST", "/v1/operations/op-1:cancel", ""}}) {
        auto r = h.call(c.method, c.path, c.body, "application/yaml", reader_token);
        EXPECT_EQ(r.status, 403) << c.method << " " << c.path << ": " << r.body;
        EXPECT_EQ(error_of(r).at("code").as_string(), "forbidden");
    }
    auto s = body_of(h.call("GET", "/v1/services/shop"));
    EXPECT_EQ(s.at("phase").as_string(), "Ready");  // nothing changed
    EXPECT_EQ(h.orchestrator->services().size(), 1u);
}

TEST(ApiAuth, TheServerRefusesToStartWithoutTokensUnlessAskedTo) {
    auto world = sim::World::create(fast_sim());
    Orchestrator orchestrator(world->backends(), fast_orchestrator());
    ApiServerOptions none;
    auto refused = ApiServer::start(orchestrator, none);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, Errc::invalid_argument);

    none.allow_unauthenticated = true;
    auto open = ApiServer::start(orchestrator, none);
    ASSERT_TRUE(open.ok()) << open.error().message;
    auto client = *http::Client::create({});
    auto r = client->send({"DELETE", (*open)->url() + "/v1/services/x", {}, "", false}, within(5s));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->status, 404);  // let in: it got as far as looking the service up
}

std::string write_file(const std::string& name, const std::string& text) {
    const std::string path = ::testing::TempDir() + "/" + name;
    std::ofstream(path) << text;
    return path;
}

TEST(ApiTokenFile, ReadsTokensAndRolesSkippingCommentsAndBlankLines) {
    const auto path =
        write_file("tokens-ok", "# who may call\n\nt0ken-a admin\n  t0ken-b reader  # CI\n");
    auto tokens = load_api_tokens(path);
    ASSERT_TRUE(tokens.ok()) << tokens.error().describe();
    ASSERT_EQ(tokens->size(), 2u);
    EXPECT_EQ((*tokens)[0].token, "t0ken-a");
    EXPECT_EQ((*tokens)[0].role, ApiRole::admin);
    EXPECT_EQ((*tokens)[1].token, "t0ken-b");
    EXPECT_EQ((*tokens)[1].role, ApiRole::reader);
}

TEST(ApiTokenFile, BadLinesAreReportedByNumberWithoutTheToken) {
    const auto path =
        write_file("tokens-bad", "sekret-1 admin\nsekret-2 owner\nsekret-3\nsekret-4 reader x\n");
    auto tokens = load_api_tokens(path);
    ASSERT_FALSE(tokens.ok());
    EXPECT_EQ(tokens.error().code, Errc::invalid_argument);
    ASSERT_EQ(tokens.error().fields.size(), 3u);
    EXPECT_EQ(tokens.error().fields[0].path, "line 2");
    EXPECT_EQ(tokens.error().fields[1].path, "line 3");
    EXPECT_EQ(tokens.error().fields[2].path, "line 4");
    EXPECT_EQ(tokens.error().describe().find("sekret"), std::string::npos)
        << tokens.error().describe();
}

TEST(ApiTokenFile, AnEmptyOrMissingFileIsAnError) {
    auto empty = load_api_tokens(write_file("tokens-empty", "# nobody\n"));
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().code, Errc::invalid_argument);
    auto missing = load_api_tokens(::testing::TempDir() + "/no-such-token-file");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, Errc::io);
}

}  // namespace
}  // namespace meshorch::api::test
