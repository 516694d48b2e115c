#include "openstack/api_error.hpp"

#include <gtest/gtest.h>

namespace meshorch::openstack {
namespace {

http::Response response(int status, std::string body) {
    http::Response r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

TEST(ApiError, StatusClassification) {
    EXPECT_EQ(errc_for_status(409), Errc::conflict);
    EXPECT_EQ(errc_for_status(429), Errc::transient);
    EXPECT_EQ(errc_for_status(500), Errc::transient);
    EXPECT_EQ(errc_for_status(503), Errc::transient);
    EXPECT_EQ(errc_for_status(404), Errc::not_found);
    for (int s : {400, 401, 403, 406, 422}) EXPECT_EQ(errc_for_status(s), Errc::backend) << s;
}

TEST(ApiError, ProblemDetailsBecomeMethodPathDetailStatus) {
    auto e =
        error_from_response("POST", "http://tacker:9890/vnflcm/v2/vnf_instances/abc/instantiate",
                            response(409, R"({"title": "Conflict", "status": 409,
                          "detail": "VNF instance abc is already INSTANTIATED."})"));
    EXPECT_EQ(e.code, Errc::conflict);
    EXPECT_EQ(e.http_status, 409);
    EXPECT_EQ(e.message,
              "POST /vnflcm/v2/vnf_instances/abc/instantiate: VNF instance abc is already "
              "INSTANTIATED. (409)");
    EXPECT_NE(e.body_excerpt.find("already INSTANTIATED"), std::string::npos);
}

TEST(ApiError, OtherErrorShapes) {
    EXPECT_EQ(error_detail(401, R"({"error": {"code": 401, "title": "Unauthorized",
                                   "message": "The request you have made requires authentication."}})"),
              "The request you have made requires authentication.");
    EXPECT_EQ(error_detail(404, R"({"itemNotFound": {"code": 404,
                                   "message": "Instance x could not be found."}})"),
              "Instance x could not be found.");
    EXPECT_EQ(error_detail(400, R"({"title": "Bad Request", "status": 400})"), "Bad Request");
    EXPECT_EQ(error_detail(502, "<html>\nBad gateway</html>"), "<html> Bad gateway</html>");
    EXPECT_EQ(error_detail(503, ""), "HTTP 503");
}

TEST(ApiError, UrlPathKeepsPathAndQuery) {
    EXPECT_EQ(url_path("https://h:1/a/b?x=1"), "/a/b?x=1");
    EXPECT_EQ(url_path("https://h:1"), "/");
}

}  // namespace
}  // namespace meshorch::openstack
