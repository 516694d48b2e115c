// Discovery documents -> resource names and scopes -> REST paths.
#include "kubernetes/resource_paths.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace meshorch::kubernetes::test {
namespace {

using detail::ResourceInfo;

TEST(ResourcePaths, ParsesAnApiResourceListAndSkipsSubresources) {
    auto doc = boost::json::parse(R"({
      "kind": "APIResourceList", "groupVersion": "v1",
      "resources": [
        {"name": "namespaces", "singularName": "", "namespaced": false, "kind": "Namespace",
         "verbs": ["get"]},
        {"name": "pods", "namespaced": true, "kind": "Pod", "verbs": ["get"]},
        {"name": "pods/status", "namespaced": true, "kind": "Pod", "verbs": ["get"]},
        {"name": "serviceaccounts/token", "namespaced": true, "kind": "TokenRequest",
         "group": "authentication.k8s.io", "version": "v1", "verbs": ["create"]}
      ]})");
    auto r = detail::parse_resource_list(doc);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->size(), 2u);
    EXPECT_EQ(r->at("Namespace"), (ResourceInfo{"namespaces", false}));
    EXPECT_EQ(r->at("Pod"), (ResourceInfo{"pods", true}));
}

TEST(ResourcePaths, RejectsSomethingThatIsNotAnApiResourceList) {
    EXPECT_FALSE(detail::parse_resource_list(boost::json::parse("[]")).ok());
    EXPECT_FALSE(detail::parse_resource_list(boost::json::parse(R"({"kind": "Status"})")).ok());
    auto missing = detail::parse_resource_list(
        boost::json::parse(R"({"resources": [{"name": "pods", "kind": "Pod"}]})"));
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, Errc::backend);
}

TEST(ResourcePaths, GroupVersionPaths) {
    EXPECT_EQ(*detail::group_version_path("v1"), "/api/v1");
    EXPECT_EQ(*detail::group_version_path("apps/v1"), "/apis/apps/v1");
    EXPECT_EQ(*detail::group_version_path("networking.istio.io/v1"),
              "/apis/networking.istio.io/v1");
    for (const char* bad : {"", "/v1", "apps/", "a/b/c"}) {
        auto r = detail::group_version_path(bad);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, Errc::invalid_argument);
    }
}

TEST(ResourcePaths, NamespacedAndClusterScopedObjects) {
    const ResourceInfo vs{"virtualservices", true};
    const ResourceInfo ns{"namespaces", false};
    EXPECT_EQ(*detail::object_path("/apis/networking.istio.io/v1", vs, "VirtualService", "bookinfo",
                                   "reviews"),
              "/apis/networking.istio.io/v1/namespaces/bookinfo/virtualservices/reviews");
    // A cluster-scoped object ignores the namespace.
    EXPECT_EQ(*detail::object_path("/api/v1", ns, "Namespace", "", "bookinfo"),
              "/api/v1/namespaces/bookinfo");
    EXPECT_EQ(*detail::object_path("/api/v1", ns, "Namespace", "ignored", "bookinfo"),
              "/api/v1/namespaces/bookinfo");
    EXPECT_EQ(detail::collection_path("/api/v1", ResourceInfo{"services", true}, "bookinfo"),
              "/api/v1/namespaces/bookinfo/services");
    EXPECT_EQ(detail::collection_path("/api/v1", ResourceInfo{"pods", true}, ""), "/api/v1/pods");
}

TEST(ResourcePaths, ANamespacedObjectNeedsANamespaceAndEveryObjectAName) {
    const ResourceInfo svc{"services", true};
    auto no_ns = detail::object_path("/api/v1", svc, "Service", "", "reviews");
    ASSERT_FALSE(no_ns.ok());
    EXPECT_EQ(no_ns.error().code, Errc::invalid_argument);
    EXPECT_NE(no_ns.error().message.find("Service reviews is namespaced"), std::string::npos);
    EXPECT_FALSE(detail::object_path("/api/v1", svc, "Service", "ns", "").ok());
}

TEST(ResourcePaths, NamesAreEscaped) {
    EXPECT_EQ(*detail::object_path("/api/v1", ResourceInfo{"configmaps", true}, "ConfigMap", "ns",
                                   "a b/c"),
              "/api/v1/namespaces/ns/configmaps/a%20b%2Fc");
}

}  // namespace
}  // namespace meshorch::kubernetes::test
