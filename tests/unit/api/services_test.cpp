// The service and operation endpoints, on the simulated infrastructure.
#include "api_support.hpp"

#include <meshorch/spec.hpp>

namespace meshorch::api::test {
namespace {

namespace json = boost::json;

std::string id_of(const http::Response& r) {
    return std::string(body_of(r).at("id").as_string());
}

TEST(ApiServices, DeployAnswers202WithTheOperationAndItsLocation) {
    ApiHarness h;
    auto r = h.call("POST", "/v1/services", shop_spec());
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    const auto op = body_of(r).as_object();
    const std::string id(op.at("id").as_string());
    EXPECT_EQ(r.header("Location"), "/v1/operations/" + id);
    EXPECT_EQ(op.at("kind").as_string(), "deploy");
    EXPECT_EQ(op.at("service").as_string(), "shop");
    EXPECT_TRUE(op.at("error").is_null());

    const auto done = h.wait_done(id);
    EXPECT_EQ(done.at("state").as_string(), "Succeeded") << json::serialize(done);
    EXPECT_TRUE(done.at("error").is_null());

    auto status = h.call("GET", "/v1/services/shop");
    ASSERT_EQ(status.status, 200) << status.body;
    const auto s = body_of(status).as_object();
    EXPECT_EQ(s.at("name").as_string(), "shop");
    EXPECT_EQ(s.at("namespace").as_string(), "shop");
    EXPECT_EQ(s.at("phase").as_string(), "Ready");
    EXPECT_EQ(s.at("lastOperation").at("id").as_string(), id);
    EXPECT_EQ(s.at("lastOperation").at("state").as_string(), "Succeeded");
    const auto& workloads = s.at("workloads").as_array();
    ASSERT_EQ(workloads.size(), 2u) << status.body;
    for (const auto& w : workloads) {
        EXPECT_EQ(w.at("state").as_string(), "Ready") << json::serialize(w);
        if (w.at("substrate").as_string() == "vm") {
            EXPECT_EQ(w.at("id").as_string(), "cart/v1#0");
            EXPECT_FALSE(w.at("address").as_string().empty()) << json::serialize(w);
        }
    }
    EXPECT_GT(s.at("appliedObjects").as_int64(), 0);
}

TEST(ApiServices, DeployTakesAJsonSpecToo) {
    ApiHarness h;
    auto spec = load_spec(shop_spec("shop-json"));
    ASSERT_TRUE(spec.ok()) << spec.error().describe();
    auto r = h.call("POST", "/v1/services", dump_spec(*spec, Format::json),
                    "application/json; charset=utf-8");
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(h.wait_done(id_of(r)).at("state").as_string(), "Succeeded");
}

TEST(ApiServices, ListsTheServicesThatExist) {
    ApiHarness h;
    auto empty = h.call("GET", "/v1/services");
    ASSERT_EQ(empty.status, 200);
    EXPECT_TRUE(body_of(empty).at("services").as_array().empty());
    h.deploy(shop_spec("one"));
    h.deploy(shop_spec("two"));
    auto r = h.call("GET", "/v1/services");
    ASSERT_EQ(r.status, 200);
    std::vector<std::string> names;
    const auto listing = body_of(r);
    for (const auto& s : listing.at("services").as_array()) {
        names.emplace_back(s.at("name").as_string());
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"one", "two"}));
}

TEST(ApiServices, ReconfigureChangesTheServiceInThePath) {
    ApiHarness h;
    h.deploy(shop_spec());
    auto r = h.call("PUT", "/v1/services/shop", shop_spec("shop", 2));
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(body_of(r).at("kind").as_string(), "reconfigure");
    EXPECT_EQ(h.wait_done(id_of(r)).at("state").as_string(), "Succeeded");
    auto s = body_of(h.call("GET", "/v1/services/shop"));
    EXPECT_EQ(s.at("workloads").as_array().size(), 3u) << json::serialize(s);
}

TEST(ApiServices, ReconfigureRefusesASpecForAnotherService) {
    ApiHarness h;
    h.deploy(shop_spec());
    auto r = h.call("PUT", "/v1/services/shop", shop_spec("other"));
    ASSERT_EQ(r.status, 400) << r.body;
    const auto e = error_of(r);
    EXPECT_EQ(e.at("code").as_string(), "invalid_spec");
    ASSERT_EQ(e.at("fields").as_array().size(), 1u);
    EXPECT_EQ(e.at("fields").as_array()[0].at("path").as_string(), "metadata.name");
}

TEST(ApiServices, UnknownServicesAre404) {
    ApiHarness h;
    for (auto [method, path, body] : {std::tuple{"GET", "/v1/services/nope", ""},
                                      {"DELETE", "/v1/services/nope", ""},
                                      {"GET", "/v1/services/nope/events", ""}}) {
        auto r = h.call(method, path, body);
        EXPECT_EQ(r.status, 404) << method << " " << path << ": " << r.body;
        EXPECT_EQ(error_of(r).at("code").as_string(), "not_found");
    }
    auto put = h.call("PUT", "/v1/services/nope", shop_spec("nope"));
    EXPECT_EQ(put.status, 404) << put.body;
    EXPECT_NE(error_of(put).at("message").as_string().find("nope"), json::string::npos);
    auto op = h.call("GET", "/v1/operations/op-999999-0000");
    EXPECT_EQ(op.status, 404) << op.body;
    auto cancel = h.call("POST", "/v1/operations/op-999999-0000:cancel");
    EXPECT_EQ(cancel.status, 404) << cancel.body;
}

TEST(ApiServices, DeployingAServiceThatExistsIs409) {
    ApiHarness h;
    h.deploy(shop_spec());
    auto r = h.call("POST", "/v1/services", shop_spec());
    ASSERT_EQ(r.status, 409) << r.body;
    const auto e = error_of(r);
    EXPECT_EQ(e.at("code").as_string(), "already_exists");
    EXPECT_NE(e.at("message").as_string().find("shop"), json::string::npos);
}

TEST(ApiServices, AServiceWithAnOperationRunningIsBusy409AndTheOperationCanBeCancelled) {
    sim::Options slow = fast_sim();
    slow.lcm_duration = 400ms;  // long enough to find the deploy still running
    ApiHarness h(default_api_options(), slow);
    auto deploy = h.call("POST", "/v1/services", shop_spec());
    ASSERT_EQ(deploy.status, 202) << deploy.body;
    const std::string id = id_of(deploy);

    for (auto [method, path, body] : {std::tuple{"POST", "/v1/services", shop_spec()},
                                      {"PUT", "/v1/services/shop", shop_spec("shop", 2)},
                                      {"DELETE", "/v1/services/shop", std::string()}}) {
        auto r = h.call(method, path, body);
        EXPECT_EQ(r.status, 409) << method << " " << path << ": " << r.body;
        const auto e = error_of(r);
        EXPECT_EQ(e.at("code").as_string(), "busy") << r.body;
        EXPECT_NE(e.at("message").as_string().find(id), json::string::npos) << r.body;
    }

    auto cancel = h.call("POST", "/v1/operations/" + id + ":cancel");
    ASSERT_EQ(cancel.status, 202) << cancel.body;
    EXPECT_EQ(body_of(cancel).at("id").as_string(), id);
    const auto done = h.wait_done(id);
    EXPECT_EQ(done.at("state").as_string(), "RolledBack") << json::serialize(done);
    EXPECT_EQ(done.at("error").at("code").as_string(), "cancelled") << json::serialize(done);

    auto again = h.call("POST", "/v1/operations/" + id + ":cancel");
    EXPECT_EQ(again.status, 409) << again.body;
    EXPECT_EQ(error_of(again).at("code").as_string(), "conflict");
}

TEST(ApiServices, TerminateRemovesTheService) {
    ApiHarness h;
    h.deploy(shop_spec());
    auto r = h.call("DELETE", "/v1/services/shop");
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(body_of(r).at("kind").as_string(), "terminate");
    EXPECT_EQ(h.wait_done(id_of(r)).at("state").as_string(), "Succeeded");
    EXPECT_TRUE(h.world->snapshot().empty());
    EXPECT_TRUE(body_of(h.call("GET", "/v1/services")).at("services").as_array().empty());
}

TEST(ApiServices, HealReinjectsAVmWorkload) {
    ApiHarness h;
    h.deploy(shop_spec());
    auto r = h.call("POST", "/v1/services/shop/workloads/cart/v1/0:heal");
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(body_of(r).at("kind").as_string(), "heal");
    EXPECT_EQ(h.wait_done(id_of(r)).at("state").as_string(), "Succeeded");

    auto container = h.call("POST", "/v1/services/shop/workloads/frontend/v1/0:heal");
    EXPECT_EQ(container.status, 400) << container.body;
    EXPECT_EQ(error_of(container).at("code").as_string(), "invalid_argument");
    auto missing = h.call("POST", "/v1/services/shop/workloads/cart/v1/7:heal");
    EXPECT_EQ(missing.status, 404) << missing.body;
    auto not_a_number = h.call("POST", "/v1/services/shop/workloads/cart/v1/first:heal");
    EXPECT_EQ(not_a_number.status, 400) << not_a_number.body;
}

}  // namespace
}  // namespace meshorch::api::test
