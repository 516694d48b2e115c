// Every error the API answers, in its one shape: bad specs, bad bodies, unknown paths, wrong
// methods, oversized requests.
#include "api_support.hpp"

namespace meshorch::api::test {
namespace {

namespace json = boost::json;

const std::string invalid_spec =
    "apiVersion: meshorch.io/v1alpha1\n"                   // 1
    "kind: Service\n"                                      // 2
    "metadata:\n"                                          // 3
    "  name: shop\n"                                       // 4
    "spec:\n"                                              // 5
    "  microservices:\n"                                   // 6
    "  - name: cart\n"                                     // 7
    "    ports:\n"                                         // 8
    "    - {name: http, number: 70000, protocol: HTTP}\n"  // 9
    "    versions:\n"                                      // 10
    "    - name: v1\n"                                     // 11
    "      container: {image: cart:v1}\n"                  // 12
    "      vnf: {vnfdId: cart-v1, flavourId: simple}\n"    // 13
    "      colour: blue\n"                                 // 14
    "  links:\n"                                           // 15
    "  - from: frontend\n"                                 // 16
    "    to: cart\n";                                      // 17

TEST(ApiErrors, AnInvalidSpecIs400WithEveryFieldItsPathAndPosition) {
    ApiHarness h;
    auto r = h.call("POST", "/v1/services", invalid_spec);
    ASSERT_EQ(r.status, 400) << r.body;
    const auto e = error_of(r);
    EXPECT_EQ(e.at("code").as_string(), "invalid_spec");
    const auto& fields = e.at("fields").as_array();
    ASSERT_GE(fields.size(), 3u) << r.body;
    auto find = [&](std::string_view fragment) -> const json::object* {
        for (const auto& f : fields) {
            if (f.at("path").as_string().find(fragment) != json::string::npos)
                return &f.as_object();
        }
        return nullptr;
    };
    const auto* port = find("ports[0].number");
    const auto* colour = find("versions[0].colour");
    const auto* link = find("links[0].from");
    ASSERT_TRUE(port && colour && link) << r.body;
    EXPECT_EQ(port->at("line").as_int64(), 9) << r.body;
    EXPECT_EQ(colour->at("line").as_int64(), 14) << r.body;
    EXPECT_EQ(link->at("line").as_int64(), 16) << r.body;
    for (const auto* f : {port, colour, link}) {
        EXPECT_FALSE(f->at("reason").as_string().empty());
        EXPECT_GT(f->at("column").as_int64(), 0);
    }
    EXPECT_TRUE(h.orchestrator->services().empty());  // nothing was started
}

TEST(ApiErrors, MalformedYamlIs400WithLineAndColumn) {
    ApiHarness h;
    auto r = h.call("POST", "/v1/services",
                    "apiVersion: meshorch.io/v1alpha1\nkind: Service\nmetadata: {name: [broken\n");
    ASSERT_EQ(r.status, 400) << r.body;
    const auto e = error_of(r);
    EXPECT_EQ(e.at("code").as_string(), "parse_error");
    EXPECT_GE(e.at("line").as_int64(), 3) << r.body;
    EXPECT_GT(e.at("column").as_int64(), 0) << r.body;
}

TEST(ApiErrors, MalformedJsonIs400WithLineAndColumn) {
    ApiHarness h;
    auto r = h.call("POST", "/v1/services",
                    "{\n  \"apiVersion\": \"meshorch.io/v1alpha1\",\n  \"kind\": \"Service\"\n"
                    "  \"metadata\": {}\n}\n",
                    "application/json");
    ASSERT_EQ(r.status, 400) << r.body;
    const auto e = error_of(r);
    EXPECT_EQ(e.at("code").as_string(), "parse_error");
    EXPECT_EQ(e.at("line").as_int64(), 4) << r.body;
    EXPECT_GT(e.at("column").as_int64(), 0) << r.body;

    // YAML sent as JSON is not taken as JSON.
    auto yaml = h.call("POST", "/v1/services", shop_spec(), "application/json");
    ASSERT_EQ(yaml.status, 400) << yaml.body;
    EXPECT_EQ(error_of(yaml).at("code").as_string(), "parse_error");
    EXPECT_EQ(error_of(yaml).at("line").as_int64(), 1);
}

TEST(ApiErrors, ABodyThatIsNeitherJsonNorYamlIs415) {
    ApiHarness h;
    for (const std::string type : {"text/plain", "application/xml", ""}) {
        auto r = h.call("POST", "/v1/services", shop_spec(), type);
        ASSERT_EQ(r.status, 415) << type << ": " << r.body;
        EXPECT_EQ(error_of(r).at("code").as_string(), "unsupported_media_type");
    }
    for (const std::string type : {"application/yaml", "application/x-yaml", "text/yaml",
                                   "Application/YAML; charset=utf-8"}) {
        auto r = h.call("POST", "/v1/services", shop_spec("s" + std::to_string(type.size())), type);
        EXPECT_EQ(r.status, 202) << type << ": " << r.body;
    }
}

TEST(ApiErrors, AnOversizedBodyIs413InTheErrorShape) {
    ApiServerOptions o = default_api_options();
    o.max_body_bytes = 4096;
    ApiHarness h(o);
    std::string big = shop_spec() + "# " + std::string(8000, 'x') + "\n";
    auto r = h.call("POST", "/v1/services", big);
    ASSERT_EQ(r.status, 413) << r.body;
    const auto e = error_of(r);
    EXPECT_EQ(e.at("code").as_string(), "payload_too_large");
    EXPECT_NE(e.at("message").as_string().find("4096"), json::string::npos) << r.body;
    // The limit is on bodies, not on the server: a spec under it still goes through.
    EXPECT_EQ(h.call("POST", "/v1/services", shop_spec()).status, 202);
}

TEST(ApiErrors, UnknownPathsAre404) {
    ApiHarness h;
    for (const std::string path : {"/", "/v2/services", "/v1/service", "/v1/services/a/b",
                                   "/v1/operations/x:frobnicate", "/v1/services/%zz"}) {
        auto r = h.call("GET", path);
        EXPECT_EQ(r.status, 404) << path << ": " << r.body;
        EXPECT_EQ(error_of(r).at("code").as_string(), "not_found") << path;
    }
}

TEST(ApiErrors, AWrongMethodIs405WithAllow) {
    ApiHarness h;
    struct Case {
        std::string method, path, allow;
    };
    for (const auto& c : std::vector<Case>{{"DELETE", "/v1/services", "GET, POST"},
                                           {"POST", "/v1/services/shop", "GET, PUT, DELETE"},
                                           {"GET", "/v1/operations/op-1:cancel", "POST"},
                                           {"PATCH", "/v1/events", "GET"},
                                           {"POST", "/healthz", "GET, HEAD"}}) {
        auto r = h.call(c.method, c.path);
        EXPECT_EQ(r.status, 405) << c.method << " " << c.path << ": " << r.body;
        EXPECT_EQ(r.header("Allow"), c.allow) << c.method << " " << c.path;
        EXPECT_EQ(error_of(r).at("code").as_string(), "method_not_allowed");
    }
}

TEST(ApiErrors, HealthzAnswersWithoutAToken) {
    ApiHarness h;
    auto r = h.call("GET", "/healthz", "", "", "");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body_of(r).at("status").as_string(), "serving");
}

TEST(ApiErrors, RequestThatIsNotHttpIs400InTheErrorShape) {
    ApiHarness h;
    const int fd = raw_connect(port_of(h.server->url()));
    ASSERT_GE(fd, 0);
    const std::string garbage = "HELLO THERE\r\n\r\n";
    ASSERT_EQ(::send(fd, garbage.data(), garbage.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(garbage.size()));
    std::string answer;
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) answer.append(buf, n);
    ::close(fd);
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
    EXPECT_NE(answer.find("\"code\":\"bad_request\""), std::string::npos) << answer;
}

}  // namespace
}  // namespace meshorch::api::test
