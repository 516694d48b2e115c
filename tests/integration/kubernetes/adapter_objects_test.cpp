// Server-side apply, get, paged list by label, delete: the Cluster port against the emulator.
#include "adapter_support.hpp"

namespace meshorch::kubernetes::test {
namespace {

class KubernetesObjects : public ::testing::Test {
protected:
    static void SetUpTestSuite() { emulator_ = new Emulator(); }
    static void TearDownTestSuite() {
        delete emulator_;
        emulator_ = nullptr;
    }
    void SetUp() override { emulator_->reset(); }

    static Emulator* emulator_;
};
Emulator* KubernetesObjects::emulator_ = nullptr;

TEST_F(KubernetesObjects, ApplyIsServerSideApplyAsMeshorchAndReturnsTheStoredObject) {
    SyncCluster k(make(emulator_->config()));
    auto ns = k.apply(namespace_object("shop", {{"istio-injection", "enabled"}}));
    ASSERT_TRUE(ns.ok()) << ns.error().describe();
    EXPECT_EQ(ns->key, (ObjectKey{"v1", "Namespace", "", "shop"}));
    EXPECT_FALSE(resource_version(*ns).empty());

    auto cm = k.apply(config_map("shop", "settings", "one"));
    ASSERT_TRUE(cm.ok()) << cm.error().describe();
    EXPECT_EQ(cm->manifest.at("data").at("key").as_string(), "one");
    EXPECT_FALSE(cm->manifest.at("metadata").at("uid").as_string().empty());

    // On the wire: PATCH with the apply content type, field manager meshorch, force.
    bool seen = false;
    for (const auto& r : emulator_->requests()) {
        if (r.at("method").as_string() != "PATCH" ||
            r.at("path").as_string() != "/api/v1/namespaces/shop/configmaps/settings") {
            continue;
        }
        seen = true;
        EXPECT_EQ(r.at("content_type").as_string(), "application/apply-patch+yaml");
        EXPECT_EQ(r.at("field_manager").as_string(), "meshorch");
        EXPECT_EQ(r.at("query").at("force").as_string(), "true");
        EXPECT_EQ(r.at("auth").as_string(), "token");
    }
    EXPECT_TRUE(seen);
}

TEST_F(KubernetesObjects, ReapplyingTheSameManifestWritesNothing) {
    SyncCluster k(make(emulator_->config()));
    ASSERT_TRUE(k.apply(namespace_object("shop")).ok());
    auto first = k.apply(config_map("shop", "settings", "one"));
    ASSERT_TRUE(first.ok());
    auto again = k.apply(config_map("shop", "settings", "one"));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(resource_version(*again), resource_version(*first));
    auto changed = k.apply(config_map("shop", "settings", "two"));
    ASSERT_TRUE(changed.ok());
    EXPECT_NE(resource_version(*changed), resource_version(*first));
}

TEST_F(KubernetesObjects, GetReturnsTheObjectOrNothing) {
    SyncCluster k(make(emulator_->config()));
    ASSERT_TRUE(k.apply(namespace_object("shop")).ok());
    auto applied = k.apply(config_map("shop", "settings", "one"));
    ASSERT_TRUE(applied.ok());
    auto got = k.get(applied->key);
    ASSERT_TRUE(got.ok()) << got.error().describe();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ(resource_version(**got), resource_version(*applied));
    auto absent = k.get(ObjectKey{"v1", "ConfigMap", "shop", "nope"});
    ASSERT_TRUE(absent.ok()) << absent.error().describe();
    EXPECT_FALSE(absent->has_value());
    // A namespace that does not exist is just as absent.
    auto no_ns = k.get(ObjectKey{"v1", "ConfigMap", "nowhere", "nope"});
    ASSERT_TRUE(no_ns.ok());
    EXPECT_FALSE(no_ns->has_value());
}

TEST_F(KubernetesObjects, ListFollowsContinueTokensAndFiltersByLabels) {
    Options small_pages;
    small_pages.list_page_size = 3;
    SyncCluster k(make(emulator_->config(), small_pages));
    ASSERT_TRUE(k.apply(namespace_object("shop")).ok());
    for (int i = 0; i < 8; ++i) {
        const std::string tier = i % 2 ? "back" : "front";
        ASSERT_TRUE(k.apply(config_map("shop", "cm-" + std::to_string(i), "v",
                                       {{"meshorch.io/service", "shop"}, {"tier", tier}}))
                        .ok());
    }
    ASSERT_TRUE(k.apply(config_map("shop", "unrelated", "v")).ok());

    auto all = k.list("v1", "ConfigMap", "shop", {{"meshorch.io/service", "shop"}});
    ASSERT_TRUE(all.ok()) << all.error().describe();
    ASSERT_EQ(all->size(), 8u);
    for (const auto& o : *all) {
        EXPECT_EQ(o.key.api_version, "v1");  // filled in: list items lack them
        EXPECT_EQ(o.key.kind, "ConfigMap");
        EXPECT_EQ(o.key.namespace_, "shop");
    }
    auto front =
        k.list("v1", "ConfigMap", "shop", {{"meshorch.io/service", "shop"}, {"tier", "front"}});
    ASSERT_TRUE(front.ok());
    EXPECT_EQ(front->size(), 4u);

    int pages = 0;
    for (const auto& r : emulator_->requests()) {
        if (r.at("method").as_string() == "GET" &&
            r.at("path").as_string() == "/api/v1/namespaces/shop/configmaps" &&
            r.at("query").at("labelSelector").as_string() == "meshorch.io/service=shop") {
            ++pages;
            EXPECT_EQ(r.at("query").at("limit").as_string(), "3");
        }
    }
    EXPECT_EQ(pages, 3);  // 8 objects, 3 per page
}

TEST_F(KubernetesObjects, RemoveDeletesInTheBackgroundAndAMissingObjectIsSuccess) {
    SyncCluster k(make(emulator_->config()));
    ASSERT_TRUE(k.apply(namespace_object("shop")).ok());
    auto cm = k.apply(config_map("shop", "settings", "one"));
    ASSERT_TRUE(cm.ok());
    ASSERT_TRUE(k.remove(cm->key).ok());
    EXPECT_FALSE(k.get(cm->key)->has_value());
    auto again = k.remove(cm->key);
    EXPECT_TRUE(again.ok()) << again.error().describe();
    bool background = false;
    for (const auto& r : emulator_->requests()) {
        if (r.at("method").as_string() == "DELETE") {
            background = r.at("body").as_string().find("\"Background\"") != std::string::npos;
        }
    }
    EXPECT_TRUE(background);
}

TEST_F(KubernetesObjects, ClusterScopedAndNamespacedKindsOfSeveralGroups) {
    SyncCluster k(make(emulator_->config()));
    ASSERT_TRUE(k.apply(namespace_object("shop")).ok());
    const std::vector<Object> objects{
        manifest({{"apiVersion", "v1"},
                  {"kind", "ServiceAccount"},
                  {"metadata", {{"name", "cart"}, {"namespace", "shop"}}}}),
        manifest({{"apiVersion", "v1"},
                  {"kind", "Service"},
                  {"metadata", {{"name", "cart"}, {"namespace", "shop"}}},
                  {"spec",
                   {{"selector", {{"app", "cart"}}},
                    {"ports", json::array{{{"name", "http"}, {"port", 8080}}}}}}}),
        manifest(
            {{"apiVersion", "apps/v1"},
             {"kind", "Deployment"},
             {"metadata", {{"name", "cart-v1"}, {"namespace", "shop"}}},
             {"spec",
              {{"replicas", 1},
               {"selector", {{"matchLabels", {{"app", "cart"}, {"version", "v1"}}}}},
               {"template",
                {{"metadata", {{"labels", {{"app", "cart"}, {"version", "v1"}}}}},
                 {"spec",
                  {{"containers", json::array{{{"name", "cart"}, {"image", "cart:1"}}}}}}}}}}}),
        manifest({{"apiVersion", "networking.istio.io/v1"},
                  {"kind", "DestinationRule"},
                  {"metadata", {{"name", "cart"}, {"namespace", "shop"}}},
                  {"spec", {{"host", "cart"}}}}),
    };
    for (const auto& o : objects) {
        auto r = k.apply(o);
        ASSERT_TRUE(r.ok()) << o.key.to_string() << ": " << r.error().describe();
        auto got = k.get(o.key);
        ASSERT_TRUE(got.ok() && got->has_value()) << o.key.to_string();
        ASSERT_TRUE(k.remove(o.key).ok()) << o.key.to_string();
        EXPECT_TRUE(eventually([&] { return !k.get(o.key)->has_value(); })) << o.key.to_string();
    }
}

TEST_F(KubernetesObjects, AKindTheServerDoesNotServeIsAClearError) {
    SyncCluster k(make(emulator_->config()));
    auto r = k.apply(manifest({{"apiVersion", "networking.istio.io/v1"},
                               {"kind", "VirtualMachine"},
                               {"metadata", {{"name", "x"}, {"namespace", "default"}}}}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::not_found);
    EXPECT_EQ(r.error().message,
              "the server has no resource for networking.istio.io/v1 VirtualMachine");
    auto group = k.get(ObjectKey{"example.com/v1", "Widget", "default", "w"});
    ASSERT_FALSE(group.ok());
    EXPECT_NE(group.error().message.find("example.com/v1 Widget"), std::string::npos);
}

TEST_F(KubernetesObjects, AnInvalidObjectIsRefusedWithTheServersReason) {
    SyncCluster k(make(emulator_->config()));
    auto r = k.apply(manifest({{"apiVersion", "networking.istio.io/v1"},
                               {"kind", "DestinationRule"},
                               {"metadata", {{"name", "cart"}, {"namespace", "default"}}},
                               {"spec", {{"host", 42}}}}));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::backend);
    EXPECT_EQ(r.error().http_status, 422);
    EXPECT_NE(r.error().message.find(
                  "PATCH /apis/networking.istio.io/v1/namespaces/default/destinationrules/cart: "),
              std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("(Invalid)"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace meshorch::kubernetes::test
