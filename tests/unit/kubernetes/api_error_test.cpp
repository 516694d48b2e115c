// API server answers -> Errors: the Status's words, and the class the retry policy reads.
#include "kubernetes/api_error.hpp"

#include <gtest/gtest.h>

#include <string>

namespace meshorch::kubernetes::test {
namespace {

std::string status_body(int code, const std::string& reason, const std::string& message) {
    return R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":")" +
           message + R"(","reason":")" + reason + R"(","code":)" + std::to_string(code) + "}";
}

struct Case {
    int status;
    const char* reason;
    Errc code;
    bool retryable;
};

class StatusMapping : public ::testing::TestWithParam<Case> {};

TEST_P(StatusMapping, ClassifiesAndQuotesTheServer) {
    const auto& c = GetParam();
    const auto body = status_body(c.status, c.reason, "the server says no");
    const Error e = detail::api_error("PATCH", "/api/v1/namespaces/ns/services/x", c.status, body,
                                      std::nullopt);
    EXPECT_EQ(e.code, c.code) << c.status;
    EXPECT_EQ(e.retryable(), c.retryable) << c.status;
    EXPECT_EQ(e.http_status, c.status);
    EXPECT_EQ(e.body_excerpt, body);
    EXPECT_EQ(e.message.rfind("PATCH /api/v1/namespaces/ns/services/x: ", 0), 0u) << e.message;
    EXPECT_NE(e.message.find(std::string("the server says no (") + c.reason + ")"),
              std::string::npos)
        << e.message;
}

INSTANTIATE_TEST_SUITE_P(Table, StatusMapping,
                         ::testing::Values(Case{400, "BadRequest", Errc::backend, false},
                                           Case{401, "Unauthorized", Errc::backend, false},
                                           Case{403, "Forbidden", Errc::backend, false},
                                           Case{404, "NotFound", Errc::not_found, false},
                                           Case{408, "Timeout", Errc::transient, true},
                                           Case{409, "Conflict", Errc::conflict, true},
                                           Case{409, "AlreadyExists", Errc::conflict, true},
                                           Case{410, "Expired", Errc::backend, false},
                                           Case{415, "UnsupportedMediaType", Errc::backend, false},
                                           Case{422, "Invalid", Errc::backend, false},
                                           Case{429, "TooManyRequests", Errc::transient, true},
                                           Case{500, "InternalError", Errc::transient, true},
                                           Case{503, "ServiceUnavailable", Errc::transient, true},
                                           Case{504, "Timeout", Errc::transient, true}));

TEST(ApiError, UnauthorizedPointsAtTheCredentials) {
    const Error e = detail::api_error(
        "GET", "/api/v1", 401, status_body(401, "Unauthorized", "Unauthorized"), std::nullopt);
    EXPECT_NE(e.message.find("unauthorized: check the kubeconfig token/certificate"),
              std::string::npos)
        << e.message;
}

TEST(ApiError, RetryAfterIsInTheMessageAndInTheFields) {
    const Error e = detail::api_error("GET", "/api/v1/pods", 429,
                                      status_body(429, "TooManyRequests", "slow down"), "7");
    EXPECT_EQ(e.code, Errc::transient);
    EXPECT_NE(e.message.find("retry after 7 s"), std::string::npos) << e.message;
    ASSERT_EQ(e.fields.size(), 1u);
    EXPECT_EQ(e.fields[0].path, "retry_after");
    EXPECT_EQ(e.fields[0].reason, "7");
    // An unusable header is ignored.
    EXPECT_TRUE(detail::api_error("GET", "/p", 429, "", "soon").fields.empty());
}

TEST(ApiError, ABodyThatIsNotAStatusStillGivesAClearMessage) {
    const Error html =
        detail::api_error("GET", "/api/v1", 502, "<html>bad gateway</html>", std::nullopt);
    EXPECT_EQ(html.code, Errc::transient);
    EXPECT_EQ(html.message, "GET /api/v1: HTTP 502 Bad Gateway");
    EXPECT_EQ(html.body_excerpt, "<html>bad gateway</html>");
    const Error empty = detail::api_error("DELETE", "/x", 418, "", std::nullopt);
    EXPECT_EQ(empty.message, "DELETE /x: HTTP 418");
    EXPECT_EQ(empty.code, Errc::backend);
}

TEST(ApiError, TheExcerptIsShortAndKeepsUtf8Whole) {
    std::string body(298, 'a');
    body += "\xC3\xA9\xC3\xA9 and more";  // "éé" straddles the cut
    const auto excerpt = detail::body_excerpt(body);
    EXPECT_EQ(excerpt, std::string(298, 'a') + "\xC3\xA9...");
    EXPECT_EQ(detail::body_excerpt("short"), "short");
}

TEST(ApiError, MalformedResponseSaysFromWhere) {
    const Error e =
        detail::malformed_response("GET", "/api/v1/namespaces/ns/pods", 200, "not JSON", "{oops");
    EXPECT_EQ(e.code, Errc::backend);
    EXPECT_EQ(e.message, "malformed response from GET /api/v1/namespaces/ns/pods: not JSON");
    EXPECT_EQ(e.body_excerpt, "{oops");
}

}  // namespace
}  // namespace meshorch::kubernetes::test
