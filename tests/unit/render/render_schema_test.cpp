// Every object render() produces is one the API server accepts: Istio objects validate against
// Istio's CRD schemas, core objects pass the API server's checks for the fields meshorch sets.
#include "unit/render/crd_schema.hpp"
#include "unit/render/k8s_core.hpp"
#include "unit/render/render_checks.hpp"
#include "unit/render/sample_specs.hpp"
#include "unit/render/test_support.hpp"

#include <meshorch/render.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace meshorch::testing {

// Validates every object of `set`; returns one line per problem, "Kind ns/name: path: reason".
std::string validate_objects(const ObjectSet& set) {
    std::string out;
    for (const auto& [key, object] : set) {
        const bool core = key.api_version == "v1" || key.api_version == "apps/v1";
        if (core) {
            for (const auto& e : check_core_object(object.manifest))
                out += key.to_string() + ": " + e + "\n";
            continue;
        }
        for (const auto& e : check_metadata(object.manifest, key.kind != "Namespace")) {
            out += key.to_string() + ": " + e + "\n";
        }
        for (const auto& v : CrdCatalog::istio().validate(object.manifest)) {
            out += key.to_string() + ": " + v.path + ": " + v.reason + "\n";
        }
    }
    return out;
}

// render() plus the Deployments of the container versions.
ObjectSet render_everything(const ServiceSpec& spec) {
    ObjectSet set = render(spec, observed_vms(spec));
    for (const auto& ms : spec.microservices) {
        for (const auto& v : ms.versions) {
            if (v.substrate() == Substrate::container) set.put(render_deployment(spec, ms, v));
        }
    }
    return set;
}

namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(RenderSchema, SampleSpecsValidate) {
    for (const auto& spec : {bookinfo_hybrid(), all_containers(), all_vms()}) {
        SCOPED_TRACE(spec.name);
        auto set = render_everything(spec);
        EXPECT_GT(set.size(), 10u);
        EXPECT_EQ(validate_objects(set), "");
    }
    EXPECT_THAT(CrdCatalog::istio().unevaluated_rules(), IsEmpty())
        << "a CEL rule on a rendered path has no hand-written equivalent in crd_schema.cpp";
}

TEST(RenderSchema, DefaultDenyVariantsValidate) {
    for (auto spec : {bookinfo_hybrid(), all_containers(), all_vms()}) {
        spec.mesh.default_deny = !spec.mesh.default_deny;
        SCOPED_TRACE(spec.name);
        EXPECT_EQ(validate_objects(render_everything(spec)), "");
    }
}

// Every enum and variant the model has, rendered and validated.
TEST(RenderSchema, EveryModelVariantValidates) {
    for (auto lb : {LoadBalancer::round_robin, LoadBalancer::least_request, LoadBalancer::random,
                    LoadBalancer::passthrough}) {
        for (auto kind : {MatchKind::exact, MatchKind::prefix, MatchKind::regex}) {
            for (auto proto : {Protocol::http, Protocol::http2, Protocol::grpc, Protocol::tcp}) {
                auto spec = bookinfo_hybrid();
                spec.mesh.mtls = MtlsMode::permissive;
                auto& reviews = spec.microservices[2];
                reviews.traffic_policy.load_balancer = lb;
                reviews.ports = {{"main", 9080, proto}, {"extra", 9443, Protocol::http2}};
                for (auto& link : spec.links) {
                    if (link.to != "reviews") continue;
                    link.port = "main";
                    for (auto& route : link.routes) {
                        if (proto == Protocol::tcp) {
                            route.match.reset();  // TCP routes have no uri or headers
                            continue;
                        }
                        if (route.match && route.match->uri) route.match->uri->kind = kind;
                        if (route.match) {
                            for (auto& [name, m] : route.match->headers) m.kind = kind;
                        }
                    }
                    if (proto == Protocol::tcp) link.mirror.reset();
                }
                SCOPED_TRACE(std::string(to_string(lb)) + " " + to_string(proto));
                EXPECT_EQ(validate_objects(render_everything(spec)), "");
            }
        }
    }
}

TEST(RenderSchema, EveryLinkSettingValidates) {
    auto spec = all_containers();
    auto& link = spec.links[0];
    link.timeout = 1500ms;
    link.retries = RetryPolicy{0, std::nullopt, ""};
    link.fault = FaultInjection{DelayFault{1ms, 0.001}, AbortFault{500, 100.0}};
    link.mirror = Mirror{"", 100.0};
    Route plain;
    link.routes.push_back(plain);
    auto& cart = spec.microservices[1];
    cart.health_check = HealthCheck{HttpGetCheck{"", 0}, 90s, 1ms, 100ms, 3, 10};
    ConnectionPool pool;
    pool.http2_max_requests = 1000;
    pool.max_requests_per_connection = 1;
    cart.traffic_policy.connection_pool = pool;
    cart.traffic_policy.outlier_detection = OutlierDetection{1, 1s, 1ms, 100};
    cart.versions.push_back(vm_version("v3", 3));
    EXPECT_EQ(validate_objects(render_everything(spec)), "");
}

// A rendered object, deliberately broken, is rejected with a path that says where.
TEST(RenderSchema, BrokenRenderedObjectsAreRejected) {
    auto set = render(bookinfo_hybrid(), observed_vms(bookinfo_hybrid()));
    auto find = [&](const std::string& kind, const std::string& name) -> boost::json::object {
        for (const auto& [key, object] : set) {
            if (key.kind == kind && key.name == name) return object.manifest.get();
        }
        throw std::out_of_range(kind);
    };
    const auto& catalog = CrdCatalog::istio();

    auto dr = find("DestinationRule", "reviews");
    dr["spec"].as_object()["trafficPolicy"].as_object()["tls"].as_object()["mode"] = "MTLS";
    EXPECT_THAT(describe(catalog.validate(dr)),
                HasSubstr("spec.trafficPolicy.tls.mode: \"MTLS\" is not one of"));

    auto vs = find("VirtualService", "reviews");
    vs["spec"]
        .as_object()["http"]
        .as_array()[1]
        .as_object()["route"]
        .as_array()[0]
        .as_object()["weight"] = "80";
    EXPECT_EQ(describe(catalog.validate(vs)),
              "spec.http[1].route[0].weight: expected integer, got string\n");

    auto wg = find("WorkloadGroup", "reviews-v1");
    wg["spec"].as_object()["template"].as_object()["serviceAcount"] = "reviews";
    EXPECT_EQ(describe(catalog.validate(wg)), "spec.template.serviceAcount: unknown field\n");

    auto we = find("WorkloadEntry", "reviews-v1-0");
    we["spec"].as_object().erase("address");
    EXPECT_THAT(describe(catalog.validate(we)), HasSubstr("spec: Address is required"));

    auto ap = find("AuthorizationPolicy", "reviews");
    ap["spec"]
        .as_object()["rules"]
        .as_array()[0]
        .as_object()["from"]
        .as_array()[0]
        .as_object()["source"]
        .as_object()["principals"] = "cluster.local/ns/bookinfo/sa/productpage";
    EXPECT_EQ(describe(catalog.validate(ap)),
              "spec.rules[0].from[0].source.principals: expected array, got string\n");

    auto sc = find("Sidecar", "reviews");
    sc["spec"].as_object()["egress"].as_array()[0].as_object().erase("hosts");
    EXPECT_EQ(describe(catalog.validate(sc)), "spec.egress[0].hosts: required field is missing\n");

    auto svc = find("Service", "reviews");
    svc["spec"].as_object()["ports"].as_array()[0].as_object()["protocol"] = "HTTP";
    EXPECT_THAT(check_core_object(svc),
                ::testing::Contains("spec.ports[0].protocol: must be TCP, UDP or SCTP"));

    auto spec = bookinfo_hybrid();
    boost::json::object d =
        render_deployment(spec, spec.microservices[2], spec.microservices[2].versions[1])
            .manifest.get();
    d["spec"].as_object()["selector"].as_object()["matchLabels"].as_object()["version"] = "v1";
    EXPECT_THAT(check_core_object(d),
                ::testing::Contains(
                    "spec.selector.matchLabels.version: does not match the template labels"));
}

TEST(CoreChecks, Names) {
    EXPECT_TRUE(is_dns1123_label("reviews-v1"));
    EXPECT_FALSE(is_dns1123_label("Reviews"));
    EXPECT_FALSE(is_dns1123_label("-a"));
    EXPECT_FALSE(is_dns1123_label(std::string(64, 'a')));
    EXPECT_TRUE(is_dns1123_subdomain("a.b-c.d"));
    EXPECT_FALSE(is_dns1035_label("9080-svc"));
    EXPECT_TRUE(is_iana_svc_name("http-admin"));
    EXPECT_FALSE(is_iana_svc_name("grpc-with-a-long-name"));
    EXPECT_FALSE(is_iana_svc_name("9080"));
    EXPECT_TRUE(is_label_key("app.kubernetes.io/managed-by"));
    EXPECT_FALSE(is_label_key("a/b/c"));
    EXPECT_TRUE(is_label_value(""));
    EXPECT_FALSE(is_label_value("a b"));
}

TEST(CoreChecks, RejectsBrokenCoreObjects) {
    auto ns = json(
        R"({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x", "namespace": "y"}})");
    EXPECT_THAT(
        check_core_object(ns.as_object()),
        ::testing::Contains("metadata.namespace: a cluster-scoped object has no namespace"));
    auto sa = json(R"({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "x"}})");
    EXPECT_THAT(check_core_object(sa.as_object()),
                ::testing::Contains("metadata.namespace: required, a DNS-1123 label"));
    auto svc =
        json(R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x", "namespace": "n"},
        "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}, {"port": 81, "name": "b"}]}})");
    EXPECT_THAT(
        check_core_object(svc.as_object()),
        ::testing::Contains("spec.ports[0].name: required when a Service has several ports"));
    auto dep = json(
        R"({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x", "namespace": "n"},
        "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": {"metadata": {"labels": {"app": "x"}},
                 "spec": {"containers": [{"name": "x"}]}}}})");
    EXPECT_THAT(check_core_object(dep.as_object()),
                ::testing::Contains("spec.template.spec.containers[0].image: required"));
    auto labels = json(R"({"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "x", "namespace": "n", "labels": {"a": "not ok"}}})");
    EXPECT_THAT(check_core_object(labels.as_object()),
                ::testing::Contains("metadata.labels.a: invalid label value \"not ok\""));
}

}  // namespace
}  // namespace meshorch::testing
