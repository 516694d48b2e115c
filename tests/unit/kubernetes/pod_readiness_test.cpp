// What a Pod says about readiness and the mesh.
#include "kubernetes/pod_readiness.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace meshorch::kubernetes::test {
namespace {

detail::PodFacts facts(const char* json) {
    return detail::pod_facts(boost::json::parse(json).as_object());
}

TEST(PodReadiness, ReadsLabelsReadyConditionAndTheProxyContainer) {
    const auto f = facts(R"({
      "metadata": {"name": "reviews-v1-abc", "labels": {"app": "reviews", "version": "v1"}},
      "spec": {"containers": [{"name": "reviews"}, {"name": "istio-proxy"}]},
      "status": {"conditions": [{"type": "PodScheduled", "status": "True"},
                                {"type": "Ready", "status": "True"}]}})");
    EXPECT_EQ(f.app, "reviews");
    EXPECT_EQ(f.version, "v1");
    EXPECT_TRUE(f.ready);
    EXPECT_TRUE(f.with_proxy);
}

TEST(PodReadiness, NativeSidecarsCountOnlyWithRestartPolicyAlways) {
    EXPECT_TRUE(facts(R"({"spec": {"containers": [{"name": "app"}],
        "initContainers": [{"name": "istio-proxy", "restartPolicy": "Always"}]}})")
                    .with_proxy);
    // istio-init style: an init container that runs to completion is not the proxy.
    EXPECT_FALSE(facts(R"({"spec": {"containers": [{"name": "app"}],
        "initContainers": [{"name": "istio-proxy"}]}})")
                     .with_proxy);
}

TEST(PodReadiness, NotReadyAndBareAndMalformedPods) {
    const auto not_ready = facts(R"({"status": {"conditions": [{"type": "Ready",
                                     "status": "False"}]},
                                     "spec": {"containers": [{"name": "app"}]}})");
    EXPECT_FALSE(not_ready.ready);
    EXPECT_FALSE(not_ready.with_proxy);
    EXPECT_EQ(facts("{}"), detail::PodFacts{});
    EXPECT_EQ(facts(R"({"metadata": 1, "spec": {"containers": 2}, "status": []})"),
              detail::PodFacts{});
}

TEST(PodReadiness, CountsOnlyTheWorkloadsOwnPods) {
    WorkloadReadiness r;
    detail::count_pod({"reviews", "v1", true, true}, "reviews", "v1", r);
    detail::count_pod({"reviews", "v1", false, true}, "reviews", "v1", r);
    detail::count_pod({"reviews", "v1", true, false}, "reviews", "v1", r);
    detail::count_pod({"reviews", "v2", true, true}, "reviews", "v1", r);
    detail::count_pod({"ratings", "v1", true, true}, "reviews", "v1", r);
    EXPECT_EQ(r.pods, 3);
    EXPECT_EQ(r.ready, 2);
    EXPECT_EQ(r.with_proxy, 2);
}

}  // namespace
}  // namespace meshorch::kubernetes::test
