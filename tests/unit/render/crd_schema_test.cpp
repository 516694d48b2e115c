// The test validator itself: it loads Istio's CRDs and rejects what the API server would.
#include "unit/render/crd_schema.hpp"
#include "unit/render/test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace meshorch::testing {
namespace {

using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const CrdCatalog& istio() {
    return CrdCatalog::istio();
}

// Validates `spec` (JSON text) for a kind; returns "path: reason" lines.
std::string violations(const char* kind, const char* spec_json,
                       const char* api_version = "networking.istio.io/v1") {
    return describe(istio().validate_spec(api_version, kind, json(spec_json)));
}

TEST(CrdSchema, LoadsIstioCrds) {
    EXPECT_GE(istio().size(), 14u);
    for (const char* kind : {"DestinationRule", "VirtualService", "Sidecar", "WorkloadEntry",
                             "WorkloadGroup", "ServiceEntry", "Gateway"}) {
        EXPECT_TRUE(istio().serves("networking.istio.io/v1", kind)) << kind;
    }
    EXPECT_TRUE(istio().serves("security.istio.io/v1", "AuthorizationPolicy"));
    EXPECT_TRUE(istio().serves("security.istio.io/v1", "PeerAuthentication"));
    EXPECT_TRUE(istio().serves("networking.istio.io/v1beta1", "VirtualService"));
    EXPECT_FALSE(istio().serves("networking.istio.io/v2", "VirtualService"));
    EXPECT_FALSE(istio().serves("security.istio.io/v1", "VirtualService"));
    EXPECT_FALSE(istio().serves("v1", "Service"));
}

TEST(CrdSchema, RejectsAnUnknownKeywordInsteadOfIgnoringIt) {
    const std::string path = ::testing::TempDir() + "/crd_unknown_keyword.yaml";
    {
        std::FILE* f = std::fopen(path.c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fputs(R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  group: example.io
  names: {kind: Thing}
  versions:
  - name: v1
    served: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, dependentRequired: {a: [b]}}
)",
                   f);
        std::fclose(f);
    }
    try {
        CrdCatalog catalog(path);
        FAIL() << "a schema keyword the validator does not implement must not be ignored";
    } catch (const std::runtime_error& e) {
        EXPECT_THAT(e.what(), HasSubstr("dependentRequired"));
    }
}

TEST(CrdSchema, AcceptsAValidObject) {
    EXPECT_EQ(violations("DestinationRule", R"({"host": "a.b.svc.cluster.local",
        "trafficPolicy": {"tls": {"mode": "ISTIO_MUTUAL"}},
        "subsets": [{"name": "v1", "labels": {"version": "v1"}}]})"),
              "");
}

TEST(CrdSchema, UnknownField) {
    EXPECT_EQ(violations("DestinationRule",
                         R"({"host": "a", "trafficPolicy": {"tls": {"mod": "ISTIO_MUTUAL"}}})"),
              "spec.trafficPolicy.tls.mod: unknown field\n");
    EXPECT_EQ(
        violations(
            "VirtualService",
            R"({"hosts": ["a"], "http": [{"route": [{"destination": {"host": "a"}, "weigth": 1}]}]})"),
        "spec.http[0].route[0].weigth: unknown field\n");
    // TCP routes have no name in Istio's schema.
    EXPECT_EQ(
        violations(
            "VirtualService",
            R"({"hosts": ["a"], "tcp": [{"name": "x", "route": [{"destination": {"host": "a"}}]}]})"),
        "spec.tcp[0].name: unknown field\n");
}

TEST(CrdSchema, WrongType) {
    EXPECT_EQ(violations("VirtualService", R"({"hosts": "a"})"),
              "spec.hosts: expected array, got string\n");
    EXPECT_EQ(violations("VirtualService", R"({"hosts": ["a"], "http": [{"timeout": 10}]})"),
              "spec.http[0].timeout: expected string, got integer\n");
    EXPECT_EQ(violations("WorkloadGroup", R"({"template": {"ports": {"http": "9080"}}})"),
              "spec.template.ports.http: expected integer, got string\n");
    EXPECT_EQ(
        violations(
            "VirtualService",
            R"({"hosts": ["a"], "http": [{"route": [{"destination": {"host": "a"}, "weight": 1.5}]}]})"),
        "spec.http[0].route[0].weight: expected integer, got number\n");
    EXPECT_EQ(violations("DestinationRule", R"({"host": null})"),
              "spec.host: null is not allowed here\n");
}

TEST(CrdSchema, BadEnum) {
    EXPECT_EQ(violations("PeerAuthentication", R"({"mtls": {"mode": "STRICTLY"}})",
                         "security.istio.io/v1"),
              "spec.mtls.mode: \"STRICTLY\" is not one of [UNSET, DISABLE, PERMISSIVE, STRICT]\n");
    EXPECT_THAT(
        violations("DestinationRule",
                   R"({"host": "a", "trafficPolicy": {"loadBalancer": {"simple": "LEAST"}}})"),
        HasSubstr("spec.trafficPolicy.loadBalancer.simple: \"LEAST\" is not one of"));
}

TEST(CrdSchema, MissingRequired) {
    EXPECT_EQ(
        violations("DestinationRule", R"({"subsets": [{"labels": {"version": "v1"}}]})"),
        "spec.host: required field is missing\nspec.subsets[0].name: required field is missing\n");
    EXPECT_EQ(violations("WorkloadGroup", R"({"metadata": {}})"),
              "spec.template: required field is missing\n");
    EXPECT_EQ(violations("VirtualService", R"({"http": [{"route": [{"weight": 100}]}]})"),
              "spec.http[0].route[0].destination: required field is missing\n");
}

TEST(CrdSchema, RangesAndFormats) {
    EXPECT_EQ(
        violations(
            "DestinationRule",
            R"({"host": "a", "trafficPolicy": {"connectionPool": {"tcp": {"maxConnections": 2147483648}}}})"),
        "spec.trafficPolicy.connectionPool.tcp.maxConnections: not an int32: 2147483648\n");
    EXPECT_EQ(violations("VirtualService", R"({"http": [{"match": [{"port": -1}]}]})"),
              "spec.http[0].match[0].port: must be >= 0, got -1\n");
    EXPECT_EQ(violations("WorkloadGroup", R"({"template": {"ports": {"http": 70000}}})"),
              "spec.template.ports.http: port must be between 1-65535 (rule: 0 < self && self <= "
              "65535)\n");
    EXPECT_EQ(
        violations(
            "DestinationRule",
            R"({"host": "a", "trafficPolicy": {"outlierDetection": {"outlierDetectionHttpErrorCodes": [600]}}})"),
        "spec.trafficPolicy.outlierDetection.outlierDetectionHttpErrorCodes[0]: must be <= 599, "
        "got 600\n");
}

TEST(CrdSchema, MaxLengthMaxItemsAndPattern) {
    const std::string long_account(254, 'a');
    const std::string wg = R"({"template": {"serviceAccount": ")" + long_account + R"("}})";
    EXPECT_EQ(violations("WorkloadGroup", wg.c_str()),
              "spec.template.serviceAccount: longer than 253 characters\n");
    std::string accounts;
    for (int i = 0; i < 17; ++i)
        accounts += (i ? ",\"ns/sa" : "\"ns/sa") + std::to_string(i) + "\"";
    const std::string authz =
        R"({"rules": [{"from": [{"source": {"serviceAccounts": [)" + accounts + "]}}]}]}";
    EXPECT_EQ(violations("AuthorizationPolicy", authz.c_str(), "security.istio.io/v1"),
              "spec.rules[0].from[0].source.serviceAccounts: more than 16 items\n");
    EXPECT_THAT(
        violations(
            "WorkloadGroup",
            R"({"template": {}, "probe": {"httpGet": {"port": 80, "httpHeaders": [{"name": "bad header"}]}}})"),
        HasSubstr("spec.probe.httpGet.httpHeaders[0].name: \"bad header\" does not match"));
}

TEST(CrdSchema, OneOfAlternatives) {
    EXPECT_EQ(
        violations("WorkloadGroup", R"({"template": {}, "probe": {"httpGet": {"port": 80}}})"), "");
    EXPECT_EQ(violations("WorkloadGroup", R"({"template": {}, "probe": {"periodSeconds": 5}})"), "")
        << "no handler at all is the first alternative";
    EXPECT_THAT(
        violations(
            "WorkloadGroup",
            R"({"template": {}, "probe": {"httpGet": {"port": 80}, "tcpSocket": {"port": 80}}})"),
        HasSubstr("spec.probe: must match exactly one oneOf alternative, matches 2 "
                  "(set at most one of: httpGet, tcpSocket, exec, grpc)"));
    EXPECT_THAT(violations("VirtualService",
                           R"({"http": [{"match": [{"uri": {"exact": "/a", "prefix": "/"}}]}]})"),
                HasSubstr("spec.http[0].match[0].uri: must match exactly one oneOf alternative"));
    EXPECT_THAT(
        violations(
            "VirtualService",
            R"({"http": [{"fault": {"abort": {"httpStatus": 503, "grpcStatus": "UNAVAILABLE"}}}]})"),
        HasSubstr("spec.http[0].fault.abort: must match exactly one"));
    EXPECT_THAT(
        violations("AuthorizationPolicy", R"({"action": "CUSTOM", "provider": {"name": "x"}})",
                   "security.istio.io/v1"),
        Eq(""));
}

TEST(CrdSchema, CelRules) {
    EXPECT_EQ(violations("VirtualService", R"({"http": [{"timeout": "10"}]})"),
              "spec.http[0].timeout: must be a valid duration greater than 1ms "
              "(rule: duration(self) >= duration('1ms'))\n");
    EXPECT_EQ(violations("VirtualService", R"({"http": [{"timeout": "0.5s"}]})"), "");
    EXPECT_THAT(violations("VirtualService", R"({"http": [{"timeout": "0s"}]})"),
                HasSubstr("greater than 1ms"));
    EXPECT_THAT(violations("WorkloadEntry", R"({"labels": {"app": "a"}})"),
                HasSubstr("Address is required"));
    EXPECT_THAT(violations("WorkloadEntry", R"({"address": "unix://relative"})"),
                HasSubstr("UDS must be an absolute path"));
    EXPECT_THAT(violations("WorkloadEntry", R"({"address": "1.2.3.4", "ports": {"bad_name": 80}})"),
                HasSubstr("port name must be valid"));
    EXPECT_THAT(violations("AuthorizationPolicy", R"({"selector": {"matchLabels": {"app": "a*"}}})",
                           "security.istio.io/v1"),
                HasSubstr("wildcard not allowed in label value match"));
    EXPECT_THAT(
        violations(
            "AuthorizationPolicy",
            R"({"selector": {"matchLabels": {"app": "a"}}, "targetRef": {"kind": "Service", "name": "a"}})",
            "security.istio.io/v1"),
        HasSubstr("only one of targetRefs or selector can be set"));
    EXPECT_THAT(
        violations(
            "AuthorizationPolicy",
            R"({"rules": [{"from": [{"source": {"serviceAccounts": ["ns/a"], "principals": ["x"]}}]}]})",
            "security.istio.io/v1"),
        HasSubstr("Cannot set serviceAccounts with namespaces or principals"));
    EXPECT_THAT(
        violations("PeerAuthentication", R"({"portLevelMtls": {"8080": {"mode": "DISABLE"}}})",
                   "security.istio.io/v1"),
        HasSubstr("portLevelMtls requires selector"));
    EXPECT_THAT(
        violations(
            "PeerAuthentication",
            R"({"selector": {"matchLabels": {"app": "a"}}, "portLevelMtls": {"0": {"mode": "DISABLE"}}})",
            "security.istio.io/v1"),
        HasSubstr("port must be between 1-65535"));
    EXPECT_THAT(
        violations("WorkloadGroup",
                   R"({"template": {}, "probe": {"httpGet": {"port": 80, "scheme": "FTP"}}})"),
        HasSubstr("scheme must be one of [HTTP, HTTPS]"));
}

TEST(CrdSchema, WholeManifest) {
    auto ok = json(R"({"apiVersion": "security.istio.io/v1", "kind": "PeerAuthentication",
                       "metadata": {"name": "default", "namespace": "x"},
                       "spec": {"mtls": {"mode": "STRICT"}}})");
    EXPECT_THAT(istio().validate(ok.as_object()), IsEmpty());
    auto wrong_group = ok;
    wrong_group.as_object()["apiVersion"] = "networking.istio.io/v1";
    EXPECT_EQ(describe(istio().validate(wrong_group.as_object())),
              "apiVersion: no served CRD version for kind \"PeerAuthentication\" in "
              "\"networking.istio.io/v1\"\n");
    auto no_spec = json(
        R"({"apiVersion": "networking.istio.io/v1", "kind": "WorkloadEntry", "metadata": {"name": "a"}})");
    EXPECT_EQ(describe(istio().validate(no_spec.as_object())), "spec: required field is missing\n");
    auto extra = json(
        R"({"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": {"name": "a"},
                          "spec": {}, "data": {}})");
    EXPECT_EQ(describe(istio().validate(extra.as_object())), "data: unknown field\n");
    auto unnamed = json(
        R"({"apiVersion": "networking.istio.io/v1", "kind": "Sidecar", "metadata": {}, "spec": {}})");
    EXPECT_EQ(describe(istio().validate(unnamed.as_object())),
              "metadata.name: required field is missing\n");
}

TEST(CrdSchema, GoDurations) {
    long long ns = 0;
    ASSERT_TRUE(parse_go_duration("10s", ns));
    EXPECT_EQ(ns, 10'000'000'000LL);
    ASSERT_TRUE(parse_go_duration("0.5s", ns));
    EXPECT_EQ(ns, 500'000'000LL);
    ASSERT_TRUE(parse_go_duration("1h2m3.5s", ns));
    EXPECT_EQ(ns, 3'723'500'000'000LL);
    ASSERT_TRUE(parse_go_duration("1ms", ns));
    EXPECT_EQ(ns, 1'000'000LL);
    ASSERT_TRUE(parse_go_duration("0", ns));
    EXPECT_EQ(ns, 0);
    ASSERT_TRUE(parse_go_duration(".5s", ns));
    EXPECT_EQ(ns, 500'000'000LL);
    for (const char* bad : {"", "10", "s", "1d", "1.s.", "-", "1 s"}) {
        EXPECT_FALSE(parse_go_duration(bad, ns)) << bad;
    }
}

}  // namespace
}  // namespace meshorch::testing
