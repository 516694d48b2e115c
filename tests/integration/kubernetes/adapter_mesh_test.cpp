// What the VM sidecar injector needs from the cluster: TokenRequest and the mesh root
// certificate; and what the engine waits for: workload readiness, by watch and by polling.
#include "adapter_support.hpp"

namespace meshorch::kubernetes::test {
namespace {

Object deployment(const std::string& ns, const std::string& app, const std::string& version,
                  int replicas) {
    const json::object labels{{"app", app}, {"version", version}};
    return manifest(
        {{"apiVersion", "apps/v1"},
         {"kind", "Deployment"},
         {"metadata", {{"name", app + "-" + version}, {"namespace", ns}}},
         {"spec",
          {{"replicas", replicas},
           {"selector", {{"matchLabels", labels}}},
           {"template",
            {{"metadata", {{"labels", labels}}},
             {"spec",
              {{"serviceAccountName", app},
               {"containers", json::array{{{"name", app}, {"image", app + ":1"}}}}}}}}}}});
}

Object service_account(const std::string& ns, const std::string& name) {
    return manifest({{"apiVersion", "v1"},
                     {"kind", "ServiceAccount"},
                     {"metadata", {{"name", name}, {"namespace", ns}}}});
}

TEST(KubernetesMesh, TokenRequestForAServiceAccount) {
    Emulator emulator;
    SyncCluster k(make(emulator.config()));
    ASSERT_TRUE(k.apply(namespace_object("shop")).ok());
    ASSERT_TRUE(k.apply(service_account("shop", "cart")).ok());
    const auto before = std::chrono::system_clock::now();
    auto t = k.token("shop", "cart", std::chrono::seconds(3600));
    ASSERT_TRUE(t.ok()) << t.error().describe();
    EXPECT_EQ(std::count(t->token.begin(), t->token.end(), '.'), 2) << "not a JWT";
    EXPECT_GT(t->expires_at, before + std::chrono::seconds(3500));
    EXPECT_LT(t->expires_at, before + std::chrono::seconds(3700));
    bool audience = false;
    for (const auto& r : emulator.requests()) {
        if (r.at("path").as_string() == "/api/v1/namespaces/shop/serviceaccounts/cart/token") {
            audience = r.at("body").as_string().find("\"istio-ca\"") != std::string::npos;
        }
    }
    EXPECT_TRUE(audience);

    auto missing = k.token("shop", "nobody");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, Errc::not_found);
    EXPECT_EQ(missing.error().http_status, 404);
    EXPECT_NE(missing.error().message.find("nobody"), std::string::npos) << missing.error().message;
}

TEST(KubernetesMesh, RootCertificateOfANamespace) {
    Emulator emulator;
    SyncCluster k(make(emulator.config()));
    ASSERT_TRUE(k.apply(namespace_object("shop")).ok());
    auto pem = k.root_certificate("shop");
    ASSERT_TRUE(pem.ok()) << pem.error().describe();
    EXPECT_EQ(*pem, read_file(emulator.pki("ca.pem")));

    // Until istiod publishes it (here: never, the namespace does not exist) it is worth waiting.
    auto absent = k.root_certificate("elsewhere");
    ASSERT_FALSE(absent.ok());
    EXPECT_EQ(absent.error().code, Errc::transient);
    EXPECT_NE(absent.error().message.find("istiod has not published"), std::string::npos);
}

// Pods appear, get ready, and carry the proxy only where injection is on.
void readiness_follows_the_pods(Readiness mode) {
    Emulator emulator(EmulatorOptions{true, true, 0.3});
    Options options;
    options.readiness = mode;
    SyncCluster k(make(emulator.config(), options));
    ASSERT_TRUE(k.apply(namespace_object("meshed", {{"istio-injection", "enabled"}})).ok());
    ASSERT_TRUE(k.apply(namespace_object("plain")).ok());

    auto none = k.readiness("meshed", "cart", "v1");
    ASSERT_TRUE(none.ok()) << none.error().describe();
    EXPECT_EQ(none->pods, 0);

    for (const char* ns : {"meshed", "plain"}) {
        ASSERT_TRUE(k.apply(service_account(ns, "cart")).ok());
        ASSERT_TRUE(k.apply(deployment(ns, "cart", "v1", 2)).ok());
        ASSERT_TRUE(k.apply(deployment(ns, "cart", "v2", 1)).ok());
    }
    WorkloadReadiness seen;
    EXPECT_TRUE(eventually([&] {
        auto r = k.readiness("meshed", "cart", "v1");
        if (r.ok()) seen = *r;
        return r.ok() && r->ready == 2;
    })) << seen.pods
        << " pods, " << seen.ready << " ready";
    EXPECT_EQ(seen.pods, 2);
    EXPECT_EQ(seen.with_proxy, 2);

    EXPECT_TRUE(eventually([&] {
        auto r = k.readiness("plain", "cart", "v1");
        if (r.ok()) seen = *r;
        return r.ok() && r->ready == 2;
    }));
    EXPECT_EQ(seen.with_proxy, 0);
    EXPECT_TRUE(eventually([&] {
        auto r = k.readiness("meshed", "cart", "v2");
        return r.ok() && r->pods == 1 && r->ready == 1 && r->with_proxy == 1;
    }));

    // Scaling down is seen too.
    ASSERT_TRUE(k.apply(deployment("meshed", "cart", "v1", 1)).ok());
    EXPECT_TRUE(eventually([&] {
        auto r = k.readiness("meshed", "cart", "v1");
        return r.ok() && r->pods == 1;
    }));
}

int watch_requests(Emulator& emulator, const std::string& ns) {
    int n = 0;
    for (const auto& r : emulator.requests()) {
        const auto& q = r.at("query").as_object();
        if (r.at("path").as_string() == "/api/v1/namespaces/" + ns + "/pods" &&
            q.contains("watch")) {
            ++n;
        }
    }
    return n;
}

TEST(KubernetesMesh, ReadinessByWatch) {
    readiness_follows_the_pods(Readiness::watch);
}

TEST(KubernetesMesh, ReadinessByPolling) {
    readiness_follows_the_pods(Readiness::poll);
}

TEST(KubernetesMesh, TheWatchAnswersFromMemoryOnceSynced) {
    Emulator emulator(EmulatorOptions{true, true, 0.1});
    SyncCluster k(make(emulator.config()));
    ASSERT_TRUE(k.apply(namespace_object("meshed", {{"istio-injection", "enabled"}})).ok());
    ASSERT_TRUE(k.apply(service_account("meshed", "cart")).ok());
    ASSERT_TRUE(k.apply(deployment("meshed", "cart", "v1", 1)).ok());
    EXPECT_TRUE(eventually([&] {
        auto r = k.readiness("meshed", "cart", "v1");
        return r.ok() && r->ready == 1;
    }));
    ASSERT_GE(watch_requests(emulator, "meshed"), 1);
    emulator.control("DELETE", "requests");
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(k.readiness("meshed", "cart", "v1").ok());
    int pod_requests = 0;
    for (const auto& r : emulator.requests()) {
        if (r.at("path").as_string().find("/pods") != std::string::npos) ++pod_requests;
    }
    EXPECT_EQ(pod_requests, 0);
}

TEST(KubernetesMesh, TheWatchListsAgainAfter410Gone) {
    Emulator emulator(EmulatorOptions{true, true, 0.1});
    Options options;
    options.watch_timeout = std::chrono::seconds(1);  // renewed often: from an old version
    SyncCluster k(make(emulator.config(), options));
    ASSERT_TRUE(k.apply(namespace_object("meshed", {{"istio-injection", "enabled"}})).ok());
    ASSERT_TRUE(k.apply(namespace_object("other")).ok());
    ASSERT_TRUE(k.apply(service_account("meshed", "cart")).ok());
    ASSERT_TRUE(k.apply(deployment("meshed", "cart", "v1", 1)).ok());
    ASSERT_TRUE(eventually([&] {
        auto r = k.readiness("meshed", "cart", "v1");
        return r.ok() && r->ready == 1;
    }));
    emulator.control("POST", "config", json::object{{"bookmark_interval_seconds", 60}});
    emulator.control("DELETE", "requests");

    // The next two watches fail (the cache backs off and stays on its old resourceVersion);
    // meanwhile the server moves on and compacts its history, so the watch after them is
    // 410 Gone and the cache must list again to see the workload scaled up.
    emulator.fault(json::object{
        {"match", {{"method", "GET"}, {"path_regex", "^/api/v1/namespaces/meshed/pods$"}}},
        {"error_rate", 1},
        {"error_code", 503},
        {"count", 2}});
    ASSERT_TRUE(eventually([&] { return watch_requests(emulator, "meshed") >= 1; }));
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(k.apply(config_map("other", "c" + std::to_string(i), "x")).ok());
    }
    ASSERT_TRUE(k.apply(deployment("meshed", "cart", "v1", 3)).ok());
    emulator.control("POST", "compact");

    EXPECT_TRUE(eventually([&] {
        auto r = k.readiness("meshed", "cart", "v1");
        return r.ok() && r->pods == 3 && r->ready == 3;
    }));
    int lists = 0;
    EXPECT_TRUE(eventually([&] {
        lists = 0;
        for (const auto& r : emulator.requests()) {
            const auto& q = r.at("query").as_object();
            if (r.at("path").as_string() == "/api/v1/namespaces/meshed/pods" &&
                !q.contains("watch") && !q.contains("labelSelector")) {
                ++lists;
            }
        }
        return lists >= 1;
    })) << "the cache never listed again";
    EXPECT_GE(watch_requests(emulator, "meshed"), 2);
}

}  // namespace
}  // namespace meshorch::kubernetes::test
