// What render() produces for hand-built specs: DESIGN.md section 4, object by object.
#include "render/detail.hpp"
#include "unit/render/sample_specs.hpp"
#include "unit/render/test_support.hpp"

#include <meshorch/render.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace meshorch {
namespace {

using namespace std::chrono_literals;
using testing::at;
using ::testing::ElementsAre;
using testing::has_object;
using ::testing::IsEmpty;
using testing::json;
using testing::keys_of;
using testing::manifest_of;
using testing::names_of;

// ---- names -----------------------------------------------------------------------------------

TEST(RenderNames, FqdnWorkloadNameAndPrincipal) {
    auto spec = testing::bookinfo_hybrid();
    EXPECT_EQ(fqdn(spec, "reviews"), "reviews.bookinfo.svc.cluster.local");
    EXPECT_EQ(workload_name("reviews", "v1"), "reviews-v1");
    EXPECT_EQ(spiffe_principal(spec, "reviews"), "cluster.local/ns/bookinfo/sa/reviews");
    spec.mesh.trust_domain = "telco.example";
    spec.namespace_ = "books";
    EXPECT_EQ(fqdn(spec, "reviews"), "reviews.books.svc.cluster.local");  // cluster domain stays
    EXPECT_EQ(spiffe_principal(spec, "reviews"), "telco.example/ns/books/sa/reviews");
}

TEST(RenderNames, NamespaceDefaultsToTheServiceName) {
    auto spec = testing::bookinfo_hybrid();
    spec.namespace_.clear();
    EXPECT_EQ(fqdn(spec, "details"), "details.bookinfo.svc.cluster.local");
    auto set = render(spec, testing::observed_vms(spec));
    for (const auto& [key, object] : set) {
        if (key.kind != "Namespace") {
            EXPECT_EQ(key.namespace_, "bookinfo") << key.to_string();
        }
    }
}

TEST(RenderNames, OwnershipLabels) {
    auto spec = testing::bookinfo_hybrid();
    EXPECT_EQ(
        boost::json::value(ownership_labels(spec)),
        json(R"({"app.kubernetes.io/managed-by":"meshorch","meshorch.io/service":"bookinfo"})"));
}

TEST(RenderNames, Durations) {
    using render_detail::duration_string;
    EXPECT_EQ(duration_string(10s), "10s");
    EXPECT_EQ(duration_string(500ms), "0.5s");
    EXPECT_EQ(duration_string(1250ms), "1.25s");
    EXPECT_EQ(duration_string(10ms), "0.01s");
    EXPECT_EQ(duration_string(1ms), "0.001s");
    EXPECT_EQ(duration_string(0ms), "0s");
    EXPECT_EQ(duration_string(90min), "5400s");
    EXPECT_EQ(render_detail::whole_seconds(1500ms, 1), 2);
    EXPECT_EQ(render_detail::whole_seconds(0ms, 1), 1);
    EXPECT_EQ(render_detail::whole_seconds(0ms, 0), 0);
    EXPECT_EQ(render_detail::number_value(100.0), boost::json::value(100));
    EXPECT_TRUE(render_detail::number_value(100.0).is_int64());
    EXPECT_EQ(render_detail::number_value(12.5), boost::json::value(12.5));
}

// ---- every object ----------------------------------------------------------------------------

TEST(RenderObjects, EveryObjectIsOwnedLabelledAndOrdered) {
    for (const auto& spec :
         {testing::bookinfo_hybrid(), testing::all_containers(), testing::all_vms()}) {
        auto set = render(spec, testing::observed_vms(spec));
        ASSERT_FALSE(set.empty());
        for (const auto& [key, object] : set) {
            SCOPED_TRACE(key.to_string());
            const boost::json::value m = object.manifest.get();
            auto top = keys_of(m);
            ASSERT_GE(top.size(), 3u);
            EXPECT_EQ(top[0], "apiVersion");
            EXPECT_EQ(top[1], "kind");
            EXPECT_EQ(top[2], "metadata");
            if (top.size() > 3) {
                EXPECT_THAT(top, ElementsAre("apiVersion", "kind", "metadata", "spec"));
            }
            const auto& md = m.at("metadata");
            auto md_keys = keys_of(md);
            std::vector<std::string> expected_order = {"name", "namespace", "labels",
                                                       "annotations"};
            std::vector<std::string> filtered;
            for (const auto& k : expected_order) {
                if (std::find(md_keys.begin(), md_keys.end(), k) != md_keys.end())
                    filtered.push_back(k);
            }
            EXPECT_EQ(md_keys, filtered);
            const auto& labels = md.at("labels");
            EXPECT_EQ(labels.at(label_managed_by), "meshorch");
            EXPECT_EQ(testing::str(labels.at(label_service)), spec.name);
            for (const auto& [k, v] : spec.labels) EXPECT_EQ(testing::str(labels.at(k)), v);
            if (key.kind == "Namespace") {
                EXPECT_FALSE(md.as_object().contains("namespace"));
                EXPECT_EQ(key.name, spec.namespace_);
            } else {
                EXPECT_EQ(testing::str(md.at("namespace")), spec.namespace_);
            }
            EXPECT_EQ(key.namespace_, key.kind == "Namespace" ? "" : spec.namespace_);
            EXPECT_EQ(key.api_version, testing::str(m.at("apiVersion")));
            if (key.kind == "DestinationRule" || key.kind == "VirtualService" ||
                key.kind == "Sidecar" || key.kind == "WorkloadGroup" ||
                key.kind == "WorkloadEntry") {
                EXPECT_EQ(key.api_version, "networking.istio.io/v1");
            }
            if (key.kind == "PeerAuthentication" || key.kind == "AuthorizationPolicy") {
                EXPECT_EQ(key.api_version, "security.istio.io/v1");
            }
        }
    }
}

TEST(RenderObjects, OwnershipLabelsWinOverSpecLabels) {
    auto spec = testing::all_containers();
    spec.labels[label_managed_by] = "someone-else";
    spec.labels[label_service] = "other";
    spec.labels["istio-injection"] = "disabled";
    auto set = render(spec);
    for (const auto& [key, object] : set) {
        const auto& labels = object.manifest.at("metadata").at("labels");
        EXPECT_EQ(labels.at(label_managed_by), "meshorch");
        EXPECT_EQ(labels.at(label_service), "shop");
    }
}

TEST(RenderObjects, RenderIsTheUnionOfItsPartsAndHasNoDeployments) {
    auto spec = testing::bookinfo_hybrid();
    auto observed = testing::observed_vms(spec);
    auto all = render(spec, observed);
    std::size_t parts = 0;
    for (const auto& part : {render_cluster_prerequisites(spec),
                             render_workload_entries(spec, observed), render_mesh_config(spec)}) {
        parts += part.size();
        for (const auto& [key, object] : part) {
            ASSERT_NE(all.find(key), nullptr) << key.to_string();
            EXPECT_EQ(*all.find(key), object);
        }
    }
    EXPECT_EQ(all.size(), parts);
    EXPECT_THAT(names_of(all, "Deployment"), IsEmpty());
    // The apply order of ObjectSet: kinds in dependency order.
    std::vector<std::string> kinds;
    for (const auto& [key, object] : all) {
        if (kinds.empty() || kinds.back() != key.kind) kinds.push_back(key.kind);
    }
    EXPECT_THAT(kinds, ElementsAre("Namespace", "ServiceAccount", "Service", "WorkloadGroup",
                                   "WorkloadEntry", "DestinationRule", "PeerAuthentication",
                                   "AuthorizationPolicy", "Sidecar", "VirtualService"));
}

TEST(RenderObjects, PartsHoldTheirKindsOnly) {
    auto spec = testing::bookinfo_hybrid();
    auto kinds_of = [](const ObjectSet& set) {
        std::set<std::string> k;
        for (const auto& [key, object] : set) k.insert(key.kind);
        return k;
    };
    EXPECT_EQ(kinds_of(render_cluster_prerequisites(spec)),
              (std::set<std::string>{"Namespace", "ServiceAccount", "Service", "WorkloadGroup"}));
    EXPECT_EQ(kinds_of(render_workload_entries(spec, testing::observed_vms(spec))),
              (std::set<std::string>{"WorkloadEntry"}));
    EXPECT_EQ(kinds_of(render_mesh_config(spec)),
              (std::set<std::string>{"DestinationRule", "VirtualService", "PeerAuthentication",
                                     "AuthorizationPolicy", "Sidecar"}));
}

// ---- Namespace, ServiceAccount, Service ------------------------------------------------------

TEST(RenderCluster, NamespaceIsLabelledForInjection) {
    auto spec = testing::bookinfo_hybrid();
    auto ns = manifest_of(render_cluster_prerequisites(spec), "Namespace", "bookinfo");
    EXPECT_EQ(at(ns, "metadata", "labels", "istio-injection"), "enabled");
    EXPECT_FALSE(at(ns, "metadata", "labels").as_object().contains("istio.io/rev"));
    EXPECT_FALSE(ns.as_object().contains("spec"));
}

TEST(RenderCluster, RevisionLabelReplacesInjectionLabel) {
    auto spec = testing::all_containers();
    ASSERT_EQ(spec.mesh.revision, "1-22");
    auto ns = manifest_of(render_cluster_prerequisites(spec), "Namespace", "shop-prod");
    EXPECT_EQ(at(ns, "metadata", "labels", "istio.io/rev"), "1-22");
    EXPECT_FALSE(at(ns, "metadata", "labels").as_object().contains("istio-injection"));
}

TEST(RenderCluster, ServiceAccountPerMicroserviceCarriesItsIdentity) {
    auto spec = testing::bookinfo_hybrid();
    auto set = render_cluster_prerequisites(spec);
    EXPECT_THAT(names_of(set, "ServiceAccount"),
                ElementsAre("details", "mongodb", "productpage", "ratings", "reviews"));
    auto sa = manifest_of(set, "ServiceAccount", "reviews");
    EXPECT_EQ(at(sa, "metadata", "annotations", "meshorch.io/spiffe-id"),
              "spiffe://cluster.local/ns/bookinfo/sa/reviews");
}

TEST(RenderCluster, ServiceSelectsAppAndNamesProtocols) {
    auto spec = testing::bookinfo_hybrid();
    auto set = render_cluster_prerequisites(spec);
    EXPECT_THAT(names_of(set, "Service"),
                ElementsAre("details", "mongodb", "productpage", "ratings", "reviews"));
    auto svc = manifest_of(set, "Service", "ratings");
    EXPECT_EQ(at(svc, "spec"), json(R"({
        "selector": {"app": "ratings"},
        "ports": [
          {"name": "http", "port": 9080, "targetPort": 9080, "protocol": "TCP", "appProtocol": "http"},
          {"name": "grpc", "port": 9090, "targetPort": 9090, "protocol": "TCP", "appProtocol": "grpc"}]})"));
    EXPECT_EQ(at(manifest_of(set, "Service", "mongodb"), "spec", "ports", 0, "appProtocol"), "tcp");
    // The selector has no version: one Service balances over pods and WorkloadEntries alike.
    EXPECT_EQ(at(manifest_of(set, "Service", "reviews"), "spec", "selector"),
              json(R"({"app":"reviews"})"));
}

TEST(RenderCluster, Http2PortsSayHttp2) {
    auto spec = testing::all_containers();
    spec.microservices[0].ports = {{"h2", 8443, Protocol::http2}};
    auto svc = manifest_of(render_cluster_prerequisites(spec), "Service", "frontend");
    EXPECT_EQ(at(svc, "spec", "ports", 0, "appProtocol"), "http2");
}

// ---- WorkloadGroup, WorkloadEntry ------------------------------------------------------------

TEST(RenderWorkloads, WorkloadGroupPerVmVersionOnly) {
    auto spec = testing::bookinfo_hybrid();
    auto set = render_cluster_prerequisites(spec);
    EXPECT_THAT(names_of(set, "WorkloadGroup"),
                ElementsAre("details-v1", "mongodb-v1", "reviews-v1"));
    EXPECT_TRUE(
        names_of(render_cluster_prerequisites(testing::all_containers()), "WorkloadGroup").empty());
}

TEST(RenderWorkloads, WorkloadGroupTemplateAndHttpProbe) {
    auto spec = testing::bookinfo_hybrid();
    auto wg = manifest_of(render_cluster_prerequisites(spec), "WorkloadGroup", "reviews-v1");
    EXPECT_EQ(at(wg, "spec"), json(R"({
        "metadata": {"labels": {"app": "reviews", "version": "v1"}},
        "template": {"serviceAccount": "reviews", "ports": {"http": 9080}},
        "probe": {"httpGet": {"path": "/", "port": 9080}, "initialDelaySeconds": 0,
                  "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1,
                  "failureThreshold": 3}})"))
        << "health check port 0 probes the first port";
}

TEST(RenderWorkloads, WorkloadGroupTcpProbeRoundsUpToSeconds) {
    auto spec = testing::bookinfo_hybrid();
    auto wg = manifest_of(render_cluster_prerequisites(spec), "WorkloadGroup", "details-v1");
    EXPECT_EQ(at(wg, "spec", "probe"),
              json(R"({"tcpSocket": {"port": 9080}, "initialDelaySeconds": 0,
        "periodSeconds": 5, "timeoutSeconds": 2, "successThreshold": 1, "failureThreshold": 3})"));
}

TEST(RenderWorkloads, WorkloadGroupExecProbeAndNoProbeWithoutHealthCheck) {
    auto spec = testing::bookinfo_hybrid();
    auto& ratings = spec.microservices[3];
    ratings.versions = {testing::vm_version("v1")};
    auto wg = manifest_of(render_cluster_prerequisites(spec), "WorkloadGroup", "ratings-v1");
    EXPECT_EQ(at(wg, "spec", "probe", "exec"),
              json(R"({"command": ["/bin/sh", "-c", "test -f /tmp/ready"]})"));
    EXPECT_EQ(at(wg, "spec", "probe", "initialDelaySeconds"), 2);
    auto mongo = manifest_of(render_cluster_prerequisites(spec), "WorkloadGroup", "mongodb-v1");
    EXPECT_FALSE(at(mongo, "spec").as_object().contains("probe"));
    EXPECT_EQ(at(mongo, "spec", "template", "ports"), json(R"({"mongo": 27017})"));
}

TEST(RenderWorkloads, WorkloadEntryPerObservedVm) {
    auto spec = testing::bookinfo_hybrid();
    Observed observed;
    observed.vms[{"reviews", "v1"}] = {{"s-a", "10.1.0.7"}, {"s-b", "fd00::8"}};
    observed.vms[{"details", "v1"}] = {{"s-c", "10.1.0.9"}};
    auto set = render_workload_entries(spec, observed);
    EXPECT_THAT(names_of(set, "WorkloadEntry"),
                ElementsAre("details-v1-0", "reviews-v1-0", "reviews-v1-1"));
    EXPECT_EQ(at(manifest_of(set, "WorkloadEntry", "reviews-v1-1"), "spec"), json(R"({
        "address": "fd00::8", "labels": {"app": "reviews", "version": "v1"},
        "serviceAccount": "reviews"})"));
    EXPECT_EQ(at(manifest_of(set, "WorkloadEntry", "details-v1-0"), "spec", "address"), "10.1.0.9");
}

TEST(RenderWorkloads, WorkloadEntriesOnlyForVmVersionsOfTheSpec) {
    auto spec = testing::bookinfo_hybrid();
    Observed observed;
    observed.vms[{"reviews", "v2"}] = {{"s", "10.0.0.1"}};             // a container version
    observed.vms[{"reviews", "v9"}] = {{"s", "10.0.0.2"}};             // not in the spec
    observed.vms[{"unknown", "v1"}] = {{"s", "10.0.0.3"}};             // not in the spec
    observed.vms[{"mongodb", "v1"}] = {{"s", ""}, {"t", "10.0.0.4"}};  // first not yet known
    auto set = render_workload_entries(spec, observed);
    EXPECT_THAT(names_of(set, "WorkloadEntry"), ElementsAre("mongodb-v1-1"));
    EXPECT_TRUE(render_workload_entries(spec, {}).empty());
}

// ---- DestinationRule -------------------------------------------------------------------------

TEST(RenderDestinationRule, MixedSubstratesShareOneRuleWithBothSubsets) {
    auto spec = testing::bookinfo_hybrid();
    auto set = render_mesh_config(spec);
    EXPECT_THAT(names_of(set, "DestinationRule"),
                ElementsAre("details", "mongodb", "productpage", "ratings", "reviews"));
    auto dr = manifest_of(set, "DestinationRule", "reviews");
    EXPECT_EQ(at(dr, "spec", "host"), "reviews.bookinfo.svc.cluster.local");
    EXPECT_EQ(at(dr, "spec", "subsets"), json(R"([
        {"name": "v1", "labels": {"version": "v1"}},
        {"name": "v2", "labels": {"version": "v2"}}])"));
    EXPECT_EQ(names_of(render_cluster_prerequisites(spec), "Service").size(), 5u);
}

TEST(RenderDestinationRule, TrafficPolicyHasOnlyTheFieldsSet) {
    auto spec = testing::bookinfo_hybrid();
    auto set = render_mesh_config(spec);
    EXPECT_EQ(at(manifest_of(set, "DestinationRule", "reviews"), "spec", "trafficPolicy"), json(R"({
        "loadBalancer": {"simple": "LEAST_REQUEST"},
        "connectionPool": {"tcp": {"maxConnections": 100, "connectTimeout": "0.25s"},
                           "http": {"http1MaxPendingRequests": 10, "maxRetries": 3}},
        "outlierDetection": {"consecutive5xxErrors": 5, "interval": "10s",
                             "baseEjectionTime": "30s", "maxEjectionPercent": 10},
        "tls": {"mode": "ISTIO_MUTUAL"}})"));
    EXPECT_EQ(at(manifest_of(set, "DestinationRule", "details"), "spec", "trafficPolicy"),
              json(R"({"tls": {"mode": "ISTIO_MUTUAL"}})"));
}

TEST(RenderDestinationRule, SubsetsFollowSpecOrder) {
    auto spec = testing::all_vms();
    std::reverse(spec.microservices[1].versions.begin(), spec.microservices[1].versions.end());
    auto dr = manifest_of(render_mesh_config(spec), "DestinationRule", "scscf");
    EXPECT_EQ(at(dr, "spec", "subsets", 0, "name"), "v2");
    EXPECT_EQ(at(dr, "spec", "subsets", 1, "name"), "v1");
}

// ---- VirtualService --------------------------------------------------------------------------

TEST(RenderVirtualService, OnlyForMicroservicesWithInboundLinks) {
    auto spec = testing::bookinfo_hybrid();
    EXPECT_THAT(names_of(render_mesh_config(spec), "VirtualService"),
                ElementsAre("details", "mongodb", "ratings", "reviews"));
}

TEST(RenderVirtualService, RoutesCarryMatchesSplitsAndLinkSettings) {
    auto spec = testing::bookinfo_hybrid();
    auto vs = manifest_of(render_mesh_config(spec), "VirtualService", "reviews");
    EXPECT_EQ(at(vs, "spec"), json(R"({
      "hosts": ["reviews.bookinfo.svc.cluster.local"],
      "http": [
        {"name": "productpage-0",
         "match": [{"sourceLabels": {"app": "productpage"}, "port": 9080,
                    "headers": {"end-user": {"exact": "jason"}}}],
         "route": [{"destination": {"host": "reviews.bookinfo.svc.cluster.local", "subset": "v2",
                                    "port": {"number": 9080}}, "weight": 100}],
         "mirror": {"host": "reviews.bookinfo.svc.cluster.local", "subset": "v2"},
         "mirrorPercentage": {"value": 12.5}},
        {"name": "productpage-1",
         "match": [{"sourceLabels": {"app": "productpage"}, "port": 9080,
                    "uri": {"prefix": "/reviews"}}],
         "route": [{"destination": {"host": "reviews.bookinfo.svc.cluster.local", "subset": "v1",
                                    "port": {"number": 9080}}, "weight": 80},
                   {"destination": {"host": "reviews.bookinfo.svc.cluster.local", "subset": "v2",
                                    "port": {"number": 9080}}, "weight": 20}],
         "mirror": {"host": "reviews.bookinfo.svc.cluster.local", "subset": "v2"},
         "mirrorPercentage": {"value": 12.5}}]})"));
}

TEST(RenderVirtualService, TimeoutRetriesAndFaults) {
    auto spec = testing::bookinfo_hybrid();
    auto set = render_mesh_config(spec);
    auto details = manifest_of(set, "VirtualService", "details");
    EXPECT_EQ(at(details, "spec", "http", 0), json(R"({
        "name": "productpage-0",
        "match": [{"sourceLabels": {"app": "productpage"}, "port": 9080}],
        "route": [{"destination": {"host": "details.bookinfo.svc.cluster.local",
                                   "port": {"number": 9080}}}],
        "timeout": "5s",
        "retries": {"attempts": 3, "perTryTimeout": "2s", "retryOn": "5xx,connect-failure"}})"))
        << "a link without routes: one route, no subset";
    auto ratings = manifest_of(set, "VirtualService", "ratings");
    EXPECT_EQ(at(ratings, "spec", "http", 0, "fault"), json(R"({
        "delay": {"fixedDelay": "0.5s", "percentage": {"value": 10}},
        "abort": {"httpStatus": 503, "percentage": {"value": 1.5}}})"));
}

TEST(RenderVirtualService, SeveralSourcesAndPortsIntoOneDestination) {
    auto spec = testing::bookinfo_hybrid();
    spec.links.push_back(testing::link("productpage", "ratings", "grpc"));
    auto vs = manifest_of(render_mesh_config(spec), "VirtualService", "ratings");
    const auto& http = at(vs, "spec", "http").as_array();
    ASSERT_EQ(http.size(), 3u);
    // Spec order of the links, each route limited to its source and port, names unique.
    EXPECT_EQ(at(http[0], "name"), "reviews-0");
    EXPECT_EQ(at(http[0], "match", 0, "sourceLabels"), json(R"({"app": "reviews"})"));
    EXPECT_EQ(at(http[0], "match", 0, "port"), 9080);
    EXPECT_EQ(at(http[1], "name"), "reviews-1");
    EXPECT_EQ(at(http[1], "match", 0, "sourceLabels"), json(R"({"app": "reviews"})"));
    EXPECT_EQ(at(http[1], "match", 0, "port"), 9090);
    EXPECT_EQ(at(http[1], "route", 0, "destination", "port", "number"), 9090);
    EXPECT_FALSE(http[1].as_object().contains("fault")) << "fault belongs to the other link";
    EXPECT_EQ(at(http[2], "name"), "productpage-0");
    EXPECT_EQ(at(http[2], "match", 0, "sourceLabels"), json(R"({"app": "productpage"})"));
    EXPECT_EQ(at(http[2], "match", 0, "port"), 9090);
}

TEST(RenderVirtualService, TcpPortsGetTcpRoutes) {
    auto spec = testing::all_vms();
    auto vs = manifest_of(render_mesh_config(spec), "VirtualService", "scscf");
    EXPECT_EQ(at(vs, "spec"), json(R"({
        "hosts": ["scscf.ims.svc.cluster.local"],
        "tcp": [{"match": [{"sourceLabels": {"app": "pcscf"}, "port": 5060}],
                 "route": [{"destination": {"host": "scscf.ims.svc.cluster.local", "subset": "v1",
                                            "port": {"number": 5060}}, "weight": 100},
                           {"destination": {"host": "scscf.ims.svc.cluster.local", "subset": "v2",
                                            "port": {"number": 5060}}, "weight": 0}]}]})"));
}

TEST(RenderVirtualService, DefaultDenyOffAppendsACatchAllRoute) {
    auto spec = testing::all_containers();
    ASSERT_FALSE(spec.mesh.default_deny);
    auto vs = manifest_of(render_mesh_config(spec), "VirtualService", "cart");
    const auto& http = at(vs, "spec", "http").as_array();
    ASSERT_EQ(http.size(), 2u);
    EXPECT_EQ(at(http[0], "match", 0, "sourceLabels"), json(R"({"app": "frontend"})"));
    EXPECT_EQ(http[1], json(R"({"name": "default",
        "route": [{"destination": {"host": "cart.shop-prod.svc.cluster.local"}}]})"));

    spec.mesh.default_deny = true;
    auto strict = manifest_of(render_mesh_config(spec), "VirtualService", "cart");
    EXPECT_EQ(at(strict, "spec", "http").as_array().size(), 1u);

    auto vms = testing::all_vms();
    vms.mesh.default_deny = false;
    auto pcscf_into_scscf = manifest_of(render_mesh_config(vms), "VirtualService", "scscf");
    EXPECT_EQ(at(pcscf_into_scscf, "spec", "tcp", 1),
              json(R"({"route": [{"destination": {"host": "scscf.ims.svc.cluster.local"}}]})"));
    EXPECT_FALSE(at(pcscf_into_scscf, "spec").as_object().contains("http"));
}

// ---- security --------------------------------------------------------------------------------

TEST(RenderSecurity, PeerAuthenticationMode) {
    auto spec = testing::bookinfo_hybrid();
    auto pa = manifest_of(render_mesh_config(spec), "PeerAuthentication", "default");
    EXPECT_EQ(at(pa, "spec"), json(R"({"mtls": {"mode": "STRICT"}})"));
    EXPECT_EQ(at(pa, "metadata", "namespace"), "bookinfo");
    auto permissive =
        manifest_of(render_mesh_config(testing::all_vms()), "PeerAuthentication", "default");
    EXPECT_EQ(at(permissive, "spec", "mtls", "mode"), "PERMISSIVE");
}

TEST(RenderSecurity, AuthorizationPolicyAdmitsExactlyTheLinkedSourcesAndPorts) {
    auto spec = testing::bookinfo_hybrid();
    spec.links.push_back(testing::link("productpage", "ratings"));
    spec.links.push_back(testing::link("details", "ratings", "grpc"));
    auto ap = manifest_of(render_mesh_config(spec), "AuthorizationPolicy", "ratings");
    EXPECT_EQ(at(ap, "spec"), json(R"({
        "selector": {"matchLabels": {"app": "ratings"}},
        "action": "ALLOW",
        "rules": [
          {"from": [{"source": {"principals": ["cluster.local/ns/bookinfo/sa/details"]}}],
           "to": [{"operation": {"ports": ["9090"]}}]},
          {"from": [{"source": {"principals": ["cluster.local/ns/bookinfo/sa/productpage"]}}],
           "to": [{"operation": {"ports": ["9080"]}}]},
          {"from": [{"source": {"principals": ["cluster.local/ns/bookinfo/sa/reviews"]}}],
           "to": [{"operation": {"ports": ["9080", "9090"]}}]}]})"));
}

TEST(RenderSecurity, PortsSortNumerically) {
    auto spec = testing::all_vms();
    spec.microservices[2].ports = {{"diameter", 3868, Protocol::tcp},
                                   {"http", 10080, Protocol::http}};
    spec.links.push_back(testing::link("scscf", "hss", "http"));
    spec.links.push_back(testing::link("scscf", "hss", "diameter"));  // duplicate: deduplicated
    auto ap = manifest_of(render_mesh_config(spec), "AuthorizationPolicy", "hss");
    EXPECT_EQ(at(ap, "spec", "rules", 0, "to", 0, "operation", "ports"),
              json(R"(["3868", "10080"])"));
    EXPECT_EQ(at(ap, "spec", "rules").as_array().size(), 1u);
    EXPECT_EQ(at(ap, "spec", "rules", 0, "from", 0, "source", "principals"),
              json(R"(["telco.example/ns/ims/sa/scscf"])"));
}

TEST(RenderSecurity, DefaultDenyOnGivesUnlinkedMicroservicesAnEmptyPolicy) {
    auto spec = testing::bookinfo_hybrid();
    auto set = render_mesh_config(spec);
    EXPECT_THAT(names_of(set, "AuthorizationPolicy"),
                ElementsAre("details", "mongodb", "productpage", "ratings", "reviews"));
    auto ap = manifest_of(set, "AuthorizationPolicy", "productpage");
    EXPECT_EQ(at(ap, "spec"), json(R"({"selector": {"matchLabels": {"app": "productpage"}},
                                       "action": "ALLOW"})"))
        << "an ALLOW policy without rules admits no one";
}

TEST(RenderSecurity, DefaultDenyOffOnlyLinkedMicroservicesGetAPolicy) {
    auto spec = testing::bookinfo_hybrid();
    spec.mesh.default_deny = false;
    EXPECT_THAT(names_of(render_mesh_config(spec), "AuthorizationPolicy"),
                ElementsAre("details", "mongodb", "ratings", "reviews"));
    EXPECT_THAT(names_of(render_mesh_config(testing::all_containers()), "AuthorizationPolicy"),
                ElementsAre("cart"));
}

// ---- Sidecar ---------------------------------------------------------------------------------

TEST(RenderSidecar, EgressListsTheLinkedHostsSortedOnce) {
    auto spec = testing::bookinfo_hybrid();
    auto set = render_mesh_config(spec);
    EXPECT_THAT(names_of(set, "Sidecar"),
                ElementsAre("details", "mongodb", "productpage", "ratings", "reviews"));
    auto pp = manifest_of(set, "Sidecar", "productpage");
    EXPECT_EQ(at(pp, "spec"), json(R"({
        "workloadSelector": {"labels": {"app": "productpage"}},
        "egress": [{"hosts": ["istio-system/*", "./details.bookinfo.svc.cluster.local",
                              "./reviews.bookinfo.svc.cluster.local"]}]})"));
    // reviews links to ratings on two ports: one host.
    EXPECT_EQ(at(manifest_of(set, "Sidecar", "reviews"), "spec", "egress", 0, "hosts"),
              json(R"(["istio-system/*", "./ratings.bookinfo.svc.cluster.local"])"));
    EXPECT_EQ(at(manifest_of(set, "Sidecar", "mongodb"), "spec", "egress", 0, "hosts"),
              json(R"(["istio-system/*"])"));
}

TEST(RenderSidecar, DefaultDenyOffOpensTheNamespace) {
    auto spec = testing::all_containers();
    auto sc = manifest_of(render_mesh_config(spec), "Sidecar", "frontend");
    EXPECT_EQ(at(sc, "spec", "egress", 0, "hosts"), json(R"(["istio-system/*", "./*"])"));
}

// ---- Deployment ------------------------------------------------------------------------------

TEST(RenderDeploymentTest, PodsAreLabelledAndRunAsTheMicroservice) {
    auto spec = testing::bookinfo_hybrid();
    const auto& reviews = spec.microservices[2];
    auto d = render_deployment(spec, reviews, reviews.versions[1]);
    EXPECT_EQ(d.key.kind, "Deployment");
    EXPECT_EQ(d.key.api_version, "apps/v1");
    EXPECT_EQ(d.key.name, "reviews-v2");
    EXPECT_EQ(d.key.namespace_, "bookinfo");
    boost::json::value m = d.manifest.get();
    EXPECT_EQ(at(m, "metadata", "labels", "app"), "reviews");
    EXPECT_EQ(at(m, "metadata", "labels", "version"), "v2");
    EXPECT_EQ(at(m, "metadata", "labels", label_managed_by), "meshorch");
    EXPECT_EQ(at(m, "spec"), json(R"({
        "replicas": 2,
        "selector": {"matchLabels": {"app": "reviews", "version": "v2"}},
        "template": {
          "metadata": {"labels": {"app": "reviews", "version": "v2"}},
          "spec": {
            "serviceAccountName": "reviews",
            "containers": [{
              "name": "reviews",
              "image": "registry.example/app:v2",
              "ports": [{"name": "http", "containerPort": 9080, "protocol": "TCP"}],
              "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                            "limits": {"memory": "256Mi"}},
              "readinessProbe": {"httpGet": {"path": "/", "port": 9080}, "initialDelaySeconds": 0,
                                 "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1,
                                 "failureThreshold": 3}}]}}})"));
}

TEST(RenderDeploymentTest, NoResourcesOrProbeWhenNotGivenAndLongPortNamesLeftOff) {
    auto spec = testing::all_containers();
    auto& cart = spec.microservices[1];
    cart.ports = {{"grpc-with-a-long-name", 7070, Protocol::grpc}};
    auto d = render_deployment(spec, cart, cart.versions[0]);
    boost::json::value m = d.manifest.get();
    const auto& c = at(m, "spec", "template", "spec", "containers", 0);
    EXPECT_FALSE(c.as_object().contains("resources"));
    EXPECT_FALSE(c.as_object().contains("readinessProbe"));
    EXPECT_EQ(at(c, "ports"), json(R"([{"containerPort": 7070, "protocol": "TCP"}])"));
}

// ---- determinism -----------------------------------------------------------------------------

TEST(RenderDeterminism, SameInputSameOutput) {
    for (const auto& spec :
         {testing::bookinfo_hybrid(), testing::all_containers(), testing::all_vms()}) {
        auto observed = testing::observed_vms(spec);
        auto a = render(spec, observed);
        auto b = render(spec, observed);
        EXPECT_EQ(a, b);
        ASSERT_EQ(a.manifests().size(), b.manifests().size());
        for (std::size_t i = 0; i < a.manifests().size(); ++i) {
            EXPECT_EQ(boost::json::serialize(a.manifests()[i]),
                      boost::json::serialize(b.manifests()[i]));
        }
    }
}

TEST(RenderDeterminism, ObservedInsertionOrderDoesNotMatter) {
    auto spec = testing::bookinfo_hybrid();
    auto observed = testing::observed_vms(spec);
    std::vector<std::pair<std::pair<std::string, std::string>, std::vector<VmInstance>>> entries(
        observed.vms.begin(), observed.vms.end());
    std::mt19937 rng(42);
    for (int round = 0; round < 5; ++round) {
        std::shuffle(entries.begin(), entries.end(), rng);
        Observed shuffled;
        for (const auto& [key, vms] : entries) shuffled.vms.emplace(key, vms);
        EXPECT_EQ(render(spec, shuffled), render(spec, observed));
    }
}

TEST(RenderDeterminism, MicroserviceOrderDoesNotLeakIntoTheObjects) {
    auto spec = testing::bookinfo_hybrid();
    auto reordered = spec;
    std::reverse(reordered.microservices.begin(), reordered.microservices.end());
    auto a = render(spec, testing::observed_vms(spec));
    auto b = render(reordered, testing::observed_vms(spec));
    EXPECT_EQ(a, b) << "objects are keyed by name; microservice order does not leak into content";
}

}  // namespace
}  // namespace meshorch
