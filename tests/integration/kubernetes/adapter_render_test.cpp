// Everything meshorch renders for Bookinfo (half VMs, half containers) goes through the adapter
// into the emulator, which validates the Istio objects against Istio's CRD schemas.
#include "adapter_support.hpp"

#include <meshorch/render.hpp>
#include <meshorch/spec.hpp>

#include <set>

namespace meshorch::kubernetes::test {
namespace {

std::string describe(const ObjectKey& k) {
    return k.kind + " " + (k.namespace_.empty() ? "" : k.namespace_ + "/") + k.name;
}

// The rendered Bookinfo with its VMs observed, plus the Deployments of its container versions.
ObjectSet bookinfo(ServiceSpec& spec) {
    auto loaded =
        load_spec_file(std::string(MESHORCH_SOURCE_DIR) + "/examples/specs/bookinfo-hybrid.yaml");
    if (!loaded) throw std::runtime_error(loaded.error().describe());
    spec = *loaded;
    Observed observed;
    int address = 10;
    for (const auto& ms : spec.microservices) {
        for (const auto& v : ms.versions) {
            if (v.substrate() != Substrate::vm) continue;
            for (int i = 0; i < v.instance_count(); ++i) {
                observed.vms[{ms.name, v.name}].push_back(VmInstance{
                    "server-" + std::to_string(address), "10.0.0." + std::to_string(address)});
                ++address;
            }
        }
    }
    ObjectSet set = render(spec, observed);
    for (const auto& ms : spec.microservices) {
        for (const auto& v : ms.versions) {
            if (v.substrate() == Substrate::container) set.put(render_deployment(spec, ms, v));
        }
    }
    return set;
}

TEST(KubernetesRender, BookinfoAppliesListsAndDeletesCompletely) {
    Emulator emulator;
    ServiceSpec spec;
    const ObjectSet desired = bookinfo(spec);
    const std::string ns = spec.namespace_;
    SyncCluster k(make(emulator.config()));

    std::set<std::string> kinds;
    std::map<ObjectKey, std::string> versions;
    for (const auto& [key, object] : desired) {
        auto r = k.apply(object);
        ASSERT_TRUE(r.ok()) << key.to_string() << ": " << r.error().describe();
        EXPECT_EQ(r->key, key);
        versions[key] = resource_version(*r);
        kinds.insert(key.kind);
    }
    for (const char* kind : {"Namespace", "ServiceAccount", "Service", "Deployment",
                             "WorkloadGroup", "WorkloadEntry", "DestinationRule", "VirtualService",
                             "PeerAuthentication", "AuthorizationPolicy", "Sidecar"}) {
        EXPECT_TRUE(kinds.count(kind)) << "Bookinfo renders no " << kind;
    }

    // The emulator holds exactly what was applied, besides what every namespace gets.
    const std::set<std::string> defaults{"ConfigMap " + ns + "/istio-ca-root-cert",
                                         "ConfigMap " + ns + "/kube-root-ca.crt",
                                         "ServiceAccount " + ns + "/default"};
    std::vector<std::string> expected(defaults.begin(), defaults.end());
    for (const auto& [key, object] : desired) {
        if (!key.namespace_.empty()) expected.push_back(describe(key));
    }
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(emulator.objects(ns), expected);

    // Listing by the ownership label finds each kind's objects.
    for (const auto& kind : kinds) {
        if (kind == "Namespace") continue;
        std::size_t want = 0;
        std::string api_version;
        for (const auto& [key, object] : desired) {
            if (key.kind == kind) {
                ++want;
                api_version = key.api_version;
            }
        }
        auto listed = k.list(api_version, kind, ns, {{label_service, spec.name}});
        ASSERT_TRUE(listed.ok()) << kind << ": " << listed.error().describe();
        EXPECT_EQ(listed->size(), want) << kind;
    }

    // A second apply of the same set changes nothing.
    for (const auto& [key, object] : desired) {
        auto r = k.apply(object);
        ASSERT_TRUE(r.ok()) << key.to_string();
        EXPECT_EQ(resource_version(*r), versions[key]) << key.to_string() << " was rewritten";
    }

    // Delete in reverse apply order; the namespace last.
    std::vector<ObjectKey> keys;
    for (const auto& [key, object] : desired) keys.push_back(key);
    for (auto it = keys.rbegin(); it != keys.rend(); ++it) {
        if (it->kind == "Namespace") continue;
        auto r = k.remove(*it);
        ASSERT_TRUE(r.ok()) << it->to_string() << ": " << r.error().describe();
    }
    EXPECT_EQ(emulator.objects(ns), std::vector<std::string>(defaults.begin(), defaults.end()));
    ASSERT_TRUE(k.remove(ObjectKey{"v1", "Namespace", "", ns}).ok());
    EXPECT_TRUE(eventually([&] { return emulator.objects(ns).empty(); }));
    EXPECT_TRUE(eventually([&] {
        return !k.get(ObjectKey{"v1", "Namespace", "", ns})->has_value();
    }));
}

}  // namespace
}  // namespace meshorch::kubernetes::test
