// Credentials never reach a log line, even at trace level, while the rest of the exchange does.
#include "http_support.hpp"

namespace meshorch::http::test {
namespace {

TEST(HttpRedaction, SecretHeadersAndSecretBodiesNeverReachTheLog) {
    LogCapture log("http-redaction-test");
    auto server = start_server({}, [](const ServerRequest& r) {
        Response res = reply(201, "{\"token\":{\"expires_at\":\"later\"}}");
        res.headers.push_back({"X-Subject-Token", "subject-token-SECRET-3"});
        res.headers.push_back({"Set-Cookie", "session=cookie-SECRET-4"});
        if (r.target == "/fail") res.status = 401;
        return res;
    });
    ClientOptions o;
    o.logger = "http-redaction-test";
    auto client = make_client(o);
    CallContext ctx = within(5s);
    ctx.operation_id = "op-42";
    Request auth{"POST",
                 server->url() + "/v3/auth/tokens",
                 {{"Content-Type", "application/json"},
                  {"X-Auth-Token", "auth-token-SECRET-1"},
                  {"authorization", "Bearer bearer-SECRET-2"},
                  {"Proxy-Authorization", "Basic proxy-SECRET-5"},
                  {"Cookie", "c=cookie-SECRET-6"}},
                 R"({"auth":{"identity":{"password":{"user":{"password":"password-SECRET-7"}}}}})",
                 true};
    auto got = client->send(auth, ctx);
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got->header("x-subject-token"), "subject-token-SECRET-3");
    auth.url = server->url() + "/fail";
    ASSERT_TRUE(client->send(auth, ctx).ok());

    const std::string text = log.text();
    EXPECT_EQ(text.find("SECRET"), std::string::npos) << text;
    EXPECT_NE(text.find("POST " + server->url() + "/v3/auth/tokens"), std::string::npos) << text;
    EXPECT_NE(text.find("-> 201"), std::string::npos) << text;
    EXPECT_NE(text.find("op-42"), std::string::npos) << text;
    EXPECT_NE(text.find("X-Auth-Token: <redacted>"), std::string::npos) << text;
    EXPECT_NE(text.find("Content-Type: application/json"), std::string::npos) << text;
}

TEST(HttpRedaction, AnOrdinaryBodyIsLoggedAtTraceOnly) {
    LogCapture log("http-body-test");
    auto server = start_server({}, [](const ServerRequest&) { return reply(200, "ok"); });
    ClientOptions o;
    o.logger = "http-body-test";
    auto client = make_client(o);
    ASSERT_TRUE(
        client->send({"PUT", server->url() + "/x", {}, "visible-body", false}, within(5s)).ok());
    EXPECT_NE(log.text().find("visible-body"), std::string::npos);

    spdlog::get("http-body-test")->set_level(spdlog::level::info);
    ASSERT_TRUE(
        client->send({"PUT", server->url() + "/x", {}, "hidden-at-info", false}, within(5s)).ok());
    EXPECT_EQ(log.text().find("hidden-at-info"), std::string::npos);
}

TEST(HttpRedaction, LoggableHeaderValueRedactsCredentialHeadersOnly) {
    for (const char* name : {"Authorization", "x-auth-token", "X-SUBJECT-TOKEN",
                             "Proxy-Authorization", "Cookie", "set-cookie"}) {
        EXPECT_EQ(loggable_header_value(name, "s3cret"), "<redacted>") << name;
    }
    EXPECT_EQ(loggable_header_value("Content-Type", "text/plain"), "text/plain");
    EXPECT_EQ(loggable_header_value("X-Auth-Token-Expiry", "soon"), "soon");
}

}  // namespace
}  // namespace meshorch::http::test
