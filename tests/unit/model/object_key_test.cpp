// ObjectKey order: kinds in apply order (what an object refers to first), then namespace, name.
#include <meshorch/object.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace meshorch {
namespace {

const std::vector<std::string> apply_order = {
    "Namespace",           "ServiceAccount", "Service",         "Deployment",
    "WorkloadGroup",       "WorkloadEntry",  "DestinationRule", "PeerAuthentication",
    "AuthorizationPolicy", "Sidecar",        "VirtualService",
};

TEST(KindRank, EveryKnownKindHasItsPlaceInTheApplyOrder) {
    for (std::size_t i = 0; i < apply_order.size(); ++i) {
        EXPECT_EQ(kind_rank(apply_order[i]), static_cast<int>(i)) << apply_order[i];
    }
}

// Names as long as a known one, or close to one, are still unknown: they sort after the rest.
TEST(KindRank, UnknownKindsComeAfterTheKnownOnes) {
    const int unknown = static_cast<int>(apply_order.size());
    for (const std::string& kind :
         std::vector<std::string>{"", "Pod", "Servica", "Sidecars", "service", "WorkloadGroupX",
                                  "VirtualServicf", "ServiceAccounts", "ConfigMap",
                                  std::string(40, 'S'), "EnvoyFilterWithAVeryLongName"}) {
        EXPECT_EQ(kind_rank(kind), unknown) << kind;
    }
}

TEST(ObjectKeyOrder, KindFirstThenNamespaceThenNameThenApiVersion) {
    const ObjectKey ns{"v1", "Namespace", "", "zz"};
    const ObjectKey route{"networking.istio.io/v1", "VirtualService", "a", "a"};
    const ObjectKey rule{"networking.istio.io/v1", "DestinationRule", "z", "z"};
    EXPECT_LT(ns, rule);
    EXPECT_LT(rule, route);
    EXPECT_LT((ObjectKey{"v1", "Service", "a", "b"}), (ObjectKey{"v1", "Service", "b", "a"}));
    EXPECT_LT((ObjectKey{"v1", "Service", "a", "a"}), (ObjectKey{"v1", "Service", "a", "b"}));
    EXPECT_LT((ObjectKey{"v1", "Service", "a", "a"}), (ObjectKey{"v2", "Service", "a", "a"}));
    // Two unknown kinds compare their names; any known kind comes first.
    EXPECT_LT((ObjectKey{"v1", "ConfigMap", "a", "a"}), (ObjectKey{"v1", "Secret", "a", "a"}));
    EXPECT_LT(route, (ObjectKey{"v1", "ConfigMap", "a", "a"}));
    EXPECT_EQ((ObjectKey{"v1", "Sidecar", "a", "a"} <=> ObjectKey{"v1", "Sidecar", "a", "a"}),
              std::strong_ordering::equal);
}

}  // namespace
}  // namespace meshorch
