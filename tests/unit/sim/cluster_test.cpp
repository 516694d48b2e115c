// The simulated Kubernetes cluster: server-side apply, resourceVersions, namespaces, lists,
// Deployments that run pods, TokenRequest, the mesh root certificate.
#include "sim_support.hpp"

namespace meshorch::sim::test {
namespace {

std::string md(const Object& o, const char* field) {
    const auto& v = o.manifest.at("metadata").at(field);
    return v.is_string() ? std::string(v.as_string()) : std::to_string(v.to_number<long long>());
}

TEST(SimCluster, ApplyCreatesThenUpdatesAndBumpsTheResourceVersion) {
    Sim sim;
    ASSERT_TRUE(sim.apply(namespace_object("ns")).ok());
    auto created = sim.apply(config_map("ns", "cfg", "one"));
    ASSERT_TRUE(created.ok()) << created.error().describe();
    EXPECT_FALSE(resource_version(*created).empty());
    EXPECT_FALSE(md(*created, "uid").empty());
    EXPECT_FALSE(md(*created, "creationTimestamp").empty());
    EXPECT_EQ(md(*created, "generation"), "1");

    auto got = sim.get(created->key);
    ASSERT_TRUE(got.ok());
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ(**got, *created);

    auto updated = sim.apply(config_map("ns", "cfg", "two"));
    ASSERT_TRUE(updated.ok());
    EXPECT_GT(std::stoll(resource_version(*updated)), std::stoll(resource_version(*created)));
    EXPECT_EQ(md(*updated, "uid"), md(*created, "uid"));
    EXPECT_EQ(md(*updated, "creationTimestamp"), md(*created, "creationTimestamp"));
    EXPECT_EQ(md(*updated, "generation"), "2");
    EXPECT_EQ(updated->manifest.at("data").at("key").as_string(), "two");
    EXPECT_EQ(resource_version(**sim.get(created->key)), resource_version(*updated));

    // Applying the same manifest again writes nothing.
    auto same = sim.apply(config_map("ns", "cfg", "two"));
    ASSERT_TRUE(same.ok());
    EXPECT_EQ(resource_version(*same), resource_version(*updated));
}

TEST(SimCluster, ApplyInAMissingNamespaceIsNotFound) {
    Sim sim;
    auto r = sim.apply(config_map("absent", "cfg", "x"));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::not_found);
    EXPECT_EQ(r.error().http_status, 404);
    EXPECT_NE(r.error().message.find("namespaces \"absent\" not found"), std::string::npos);
    EXPECT_NE(r.error().body_excerpt.find("NotFound"), std::string::npos);
}

TEST(SimCluster, AStaleResourceVersionIsAConflict) {
    Sim sim;
    ASSERT_TRUE(sim.apply(namespace_object("ns")).ok());
    auto first = *sim.apply(config_map("ns", "cfg", "one"));
    ASSERT_TRUE(sim.apply(config_map("ns", "cfg", "two")).ok());
    Object stale = config_map("ns", "cfg", "three");
    stale.manifest.edit()["metadata"].as_object()["resourceVersion"] = resource_version(first);
    auto r = sim.apply(stale);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::conflict);
    EXPECT_EQ(r.error().http_status, 409);
}

TEST(SimCluster, ANamespaceGetsItsNameLabel) {
    Sim sim;
    auto ns = sim.apply(namespace_object("shop", {{"istio-injection", "enabled"}}));
    ASSERT_TRUE(ns.ok());
    const auto& labels = ns->manifest.at("metadata").at("labels").as_object();
    EXPECT_EQ(labels.at("kubernetes.io/metadata.name").as_string(), "shop");
    EXPECT_EQ(labels.at("istio-injection").as_string(), "enabled");
}

TEST(SimCluster, GetOfAMissingObjectIsNullopt) {
    Sim sim;
    auto r = sim.get(ObjectKey{"v1", "ConfigMap", "ns", "nope"});
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->has_value());
}

TEST(SimCluster, ListFiltersByKindNamespaceAndLabels) {
    Sim sim;
    ASSERT_TRUE(sim.apply(namespace_object("a")).ok());
    ASSERT_TRUE(sim.apply(namespace_object("b")).ok());
    ASSERT_TRUE(sim.apply(config_map("a", "one", "1", {{"team", "x"}, {"tier", "web"}})).ok());
    ASSERT_TRUE(sim.apply(config_map("a", "two", "2", {{"team", "y"}})).ok());
    ASSERT_TRUE(sim.apply(config_map("b", "three", "3", {{"team", "x"}})).ok());
    ASSERT_TRUE(sim.apply(service_account("a", "sa")).ok());

    EXPECT_EQ(sim.list("v1", "ConfigMap", "a")->size(), 2u);
    auto x_in_a = sim.list("v1", "ConfigMap", "a", {{"team", "x"}});
    ASSERT_EQ(x_in_a->size(), 1u);
    EXPECT_EQ((*x_in_a)[0].key.name, "one");
    EXPECT_EQ(sim.list("v1", "ConfigMap", "", {{"team", "x"}})->size(), 2u);  // all namespaces
    EXPECT_EQ(sim.list("v1", "ConfigMap", "a", {{"team", "x"}, {"tier", "db"}})->size(), 0u);
    EXPECT_EQ(sim.list("v1", "ServiceAccount", "a")->size(), 1u);
    EXPECT_EQ(sim.list("v1", "Namespace", "")->size(), 2u);
}

// As the API server answers a list: by namespace, then name, whatever the order of the applies.
TEST(SimCluster, ListIsInNamespaceThenNameOrder) {
    Sim sim;
    for (const char* ns : {"b", "a"}) ASSERT_TRUE(sim.apply(namespace_object(ns)).ok());
    for (const auto& [ns, name] : std::vector<std::pair<std::string, std::string>>{
             {"b", "two"}, {"a", "zed"}, {"b", "one"}, {"a", "alpha"}}) {
        ASSERT_TRUE(sim.apply(config_map(ns, name, "x")).ok());
        ASSERT_TRUE(sim.apply(service_account(ns, name)).ok());
    }
    auto names = [](const std::vector<Object>& objects) {
        std::vector<std::string> out;
        for (const auto& o : objects) out.push_back(o.key.namespace_ + "/" + o.key.name);
        return out;
    };
    EXPECT_EQ(names(*sim.list("v1", "ConfigMap", "")),
              (std::vector<std::string>{"a/alpha", "a/zed", "b/one", "b/two"}));
    EXPECT_EQ(names(*sim.list("v1", "ServiceAccount", "b")),
              (std::vector<std::string>{"b/one", "b/two"}));
    EXPECT_EQ(names(*sim.list("v1", "Namespace", "")), (std::vector<std::string>{"/a", "/b"}));
}

TEST(SimCluster, RemoveOfAMissingObjectIsOk) {
    Sim sim;
    EXPECT_TRUE(sim.remove(ObjectKey{"v1", "ConfigMap", "ns", "nope"}).ok());
    EXPECT_TRUE(sim.remove(ObjectKey{"v1", "Namespace", "", "nope"}).ok());
}

TEST(SimCluster, RemovingANamespaceRemovesEverythingInIt) {
    Sim sim;
    ASSERT_TRUE(sim.apply(namespace_object("gone", {{"istio-injection", "enabled"}})).ok());
    ASSERT_TRUE(sim.apply(namespace_object("kept")).ok());
    ASSERT_TRUE(sim.apply(config_map("gone", "cfg", "x")).ok());
    ASSERT_TRUE(sim.apply(service_account("gone", "sa")).ok());
    ASSERT_TRUE(sim.apply(deployment("gone", "web", "web", "v1", 2)).ok());
    ASSERT_TRUE(sim.apply(config_map("kept", "cfg", "x")).ok());
    EXPECT_EQ(sim.world->snapshot().pods.size(), 2u);

    ASSERT_TRUE(sim.remove(ObjectKey{"v1", "Namespace", "", "gone"}).ok());
    auto snap = sim.world->snapshot();
    EXPECT_TRUE(snap.pods.empty());
    EXPECT_EQ(snap.objects.size(), 2u);  // namespace kept and its ConfigMap
    EXPECT_NE(snap.objects.find(ObjectKey{"v1", "ConfigMap", "kept", "cfg"}), nullptr);
    EXPECT_FALSE(sim.get(ObjectKey{"v1", "ConfigMap", "gone", "cfg"})->has_value());
}

TEST(SimCluster, ADeploymentRunsPodsAndReplacesADeletedPod) {
    Sim sim;
    ASSERT_TRUE(sim.apply(namespace_object("ns", {{"istio-injection", "enabled"}})).ok());
    ASSERT_TRUE(sim.apply(deployment("ns", "api", "api", "v1", 2)).ok());
    auto pods = sim.list("v1", "Pod", "ns", {{"app", "api"}, {"version", "v1"}});
    ASSERT_EQ(pods->size(), 2u);
    const auto victim = (*pods)[0].key;
    EXPECT_EQ(victim.name.rfind("api-", 0), 0u);
    auto got = sim.get(victim);
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((**got).manifest.at("status").at("phase").as_string(), "Running");

    ASSERT_TRUE(sim.remove(victim).ok());
    auto after = sim.list("v1", "Pod", "ns");
    ASSERT_EQ(after->size(), 2u);
    for (const auto& p : *after) EXPECT_NE(p.key.name, victim.name);

    ASSERT_TRUE(sim.apply(deployment("ns", "api", "api", "v1", 0)).ok());
    EXPECT_TRUE(sim.list("v1", "Pod", "ns")->empty());
    ASSERT_TRUE(sim.apply(deployment("ns", "api", "api", "v1", 1)).ok());
    EXPECT_EQ(sim.readiness("ns", "api", "v1")->with_proxy, 1);
    ASSERT_TRUE(sim.remove(ObjectKey{"apps/v1", "Deployment", "ns", "api"}).ok());
    EXPECT_TRUE(sim.world->snapshot().pods.empty());
}

TEST(SimCluster, PodsAreNotAppliedDirectly) {
    Sim sim;
    ASSERT_TRUE(sim.apply(namespace_object("ns")).ok());
    auto pod = make_object(
        boost::json::object{{"apiVersion", "v1"},
                            {"kind", "Pod"},
                            {"metadata", boost::json::object{{"name", "p"}, {"namespace", "ns"}}}});
    auto r = sim.apply(pod);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Errc::backend);
    sim.world->preload(pod);  // a pod someone else made
    EXPECT_EQ(sim.world->snapshot().pods.size(), 1u);
}

TEST(SimCluster, TokenRequestNeedsTheServiceAccountAndExpires) {
    Sim sim;
    ASSERT_TRUE(sim.apply(namespace_object("ns")).ok());
    auto missing = sim.token("ns", "cart");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, Errc::not_found);
    EXPECT_EQ(sim.token("other", "cart").error().code, Errc::not_found);

    ASSERT_TRUE(sim.apply(service_account("ns", "cart")).ok());
    const auto before = std::chrono::system_clock::now();
    auto token = sim.token("ns", "cart", std::chrono::seconds(600));
    const auto after = std::chrono::system_clock::now();
    ASSERT_TRUE(token.ok());
    EXPECT_EQ(std::count(token->token.begin(), token->token.end(), '.'), 2);  // a JWT
    EXPECT_GE(token->expires_at, before + std::chrono::seconds(600) - 1s);
    EXPECT_LE(token->expires_at, after + std::chrono::seconds(600));
    auto another = sim.token("ns", "cart", std::chrono::seconds(600));
    EXPECT_NE(another->token, token->token);
    EXPECT_EQ(sim.token("ns", "cart", std::chrono::seconds(0)).error().code, Errc::backend);
}

TEST(SimCluster, RootCertificateNeedsTheNamespace) {
    Sim sim;
    auto missing = sim.root_cert("ns");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, Errc::not_found);
    ASSERT_TRUE(sim.apply(namespace_object("ns")).ok());
    auto cert = sim.root_cert("ns");
    ASSERT_TRUE(cert.ok());
    EXPECT_EQ(cert->rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
    EXPECT_EQ(*cert, *sim.root_cert("ns"));
}

TEST(SimCluster, PreloadIsNotACallAndItsLabelsSurviveApply) {
    Sim sim;
    sim.world->preload(namespace_object("shop", {{"istio.io/rev", "canary"}}));
    EXPECT_TRUE(sim.world->call_counts().empty());
    auto applied =
        sim.apply(namespace_object("shop", {{"app.kubernetes.io/managed-by", "meshorch"}}));
    ASSERT_TRUE(applied.ok());
    const auto& labels = applied->manifest.at("metadata").at("labels").as_object();
    EXPECT_EQ(labels.at("istio.io/rev").as_string(), "canary");
    EXPECT_EQ(labels.at("app.kubernetes.io/managed-by").as_string(), "meshorch");
}

TEST(SimCluster, ReadinessCountsPodsByAppAndVersion) {
    Sim sim;
    ASSERT_TRUE(sim.apply(namespace_object("ns")).ok());
    ASSERT_TRUE(sim.apply(deployment("ns", "a-v1", "a", "v1", 2)).ok());
    ASSERT_TRUE(sim.apply(deployment("ns", "a-v2", "a", "v2", 3)).ok());
    auto v1 = sim.readiness("ns", "a", "v1");
    EXPECT_EQ(v1->pods, 2);
    EXPECT_EQ(v1->ready, 2);
    EXPECT_EQ(v1->with_proxy, 0);
    EXPECT_EQ(sim.readiness("ns", "a", "v2")->pods, 3);
    EXPECT_EQ(sim.readiness("other", "a", "v1")->pods, 0);
}

}  // namespace
}  // namespace meshorch::sim::test
