// TokenRequest bodies and answers; RFC 3339 timestamps.
#include "kubernetes/token_request.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace meshorch::kubernetes::test {
namespace {

using std::chrono::system_clock;

TEST(TokenRequest, BodyCarriesTheAudienceAndLifetime) {
    EXPECT_EQ(boost::json::serialize(detail::token_request("istio-ca", std::chrono::hours(1))),
              R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest",)"
              R"("spec":{"audiences":["istio-ca"],"expirationSeconds":3600}})");
}

TEST(TokenRequest, ParsesTheAnswer) {
    auto t = detail::parse_token_response(boost::json::parse(
        R"({"kind":"TokenRequest","status":{"token":"eyJhbGciOi","expirationTimestamp":"2024-05-01T10:00:00Z"}})"));
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->token, "eyJhbGciOi");
    EXPECT_EQ(system_clock::to_time_t(t->expires_at), 1714557600);
}

TEST(TokenRequest, AnAnswerWithoutTokenOrExpiryNamesTheField) {
    auto no_status = detail::parse_token_response(boost::json::parse("{}"));
    ASSERT_FALSE(no_status.ok());
    EXPECT_NE(no_status.error().message.find("no status"), std::string::npos);
    auto no_token = detail::parse_token_response(
        boost::json::parse(R"({"status":{"expirationTimestamp":"2024-05-01T10:00:00Z"}})"));
    ASSERT_FALSE(no_token.ok());
    EXPECT_NE(no_token.error().message.find("status.token"), std::string::npos);
    auto bad_time = detail::parse_token_response(
        boost::json::parse(R"({"status":{"token":"x","expirationTimestamp":"tomorrow"}})"));
    ASSERT_FALSE(bad_time.ok());
    EXPECT_EQ(bad_time.error().code, Errc::backend);
    EXPECT_NE(bad_time.error().message.find("expirationTimestamp"), std::string::npos);
    // The token never appears in an error message.
    EXPECT_EQ(bad_time.error().message.find("\"x\""), std::string::npos);
}

TEST(Rfc3339, FractionsAndOffsets) {
    EXPECT_EQ(system_clock::to_time_t(*detail::parse_rfc3339("1970-01-01T00:00:10Z")), 10);
    EXPECT_EQ(system_clock::to_time_t(*detail::parse_rfc3339("1970-01-01T00:00:10.123456Z")), 10);
    EXPECT_EQ(system_clock::to_time_t(*detail::parse_rfc3339("1970-01-01T01:00:10+01:00")), 10);
    EXPECT_EQ(system_clock::to_time_t(*detail::parse_rfc3339("1969-12-31T23:00:10-01:00")), 10);
    for (const char* bad : {"", "1970-01-01", "1970-01-01T00:00:10", "1970-13-01T00:00:00Z",
                            "1970-01-01T00:00:10Zjunk", "1970-01-01T00:00:10.Z"}) {
        EXPECT_FALSE(detail::parse_rfc3339(bad).ok()) << bad;
    }
}

}  // namespace
}  // namespace meshorch::kubernetes::test
