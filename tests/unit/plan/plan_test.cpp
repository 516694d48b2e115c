#include "unit/plan/plan_fixtures.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace meshorch {
namespace {

using namespace plan_test;

// reviews: v1 on a VM (two instances), v2 and v3 in containers; productpage calls it.
std::vector<Object> bookinfo_objects(const Split& split) {
    std::vector<std::string> versions;
    for (const auto& [v, w] : split) versions.push_back(v);
    std::vector<Object> out = {
        namespace_object(),
        service_account("productpage"),
        service_account("reviews"),
        service("productpage"),
        service("reviews"),
        destination_rule("productpage", {"v1"}),
        destination_rule("reviews", versions),
        authorization_policy("reviews", {"productpage"}),
        virtual_service("reviews", split),
    };
    if (std::find(versions.begin(), versions.end(), "v1") != versions.end()) {
        out.push_back(workload_group("reviews", "v1"));
        out.push_back(workload_entry("reviews", "v1", 0, "10.0.0.1"));
        out.push_back(workload_entry("reviews", "v1", 1, "10.0.0.2"));
    }
    return out;
}

std::vector<std::string> lines(const Plan& p) {
    std::vector<std::string> out;
    for (const auto& a : p.actions)
        out.push_back(std::string(to_string(a.kind)) + " " + a.object.key.to_string());
    return out;
}

ObjectSet applied_by(const ObjectSet& applied, const Plan& p) {
    ObjectSet state = applied;
    for (const auto& a : p.actions) {
        auto problem = apply_action(state, a);
        EXPECT_EQ(problem, "");
        auto dangling = dangling_subsets(state);
        EXPECT_TRUE(dangling.empty())
            << "after " << a.object.key.to_string() << ": " << dangling.front();
    }
    return state;
}

TEST(Plan, ActionKindNames) {
    EXPECT_STREQ(to_string(ActionKind::create), "create");
    EXPECT_STREQ(to_string(ActionKind::patch), "patch");
    EXPECT_STREQ(to_string(ActionKind::remove), "delete");
}

TEST(Plan, EmptyToEmptyIsEmpty) {
    EXPECT_TRUE(plan({}, {}).empty());
}

TEST(Plan, FromNothingCreatesEverythingInApplyOrder) {
    const auto desired = set_of(bookinfo_objects({{"v1", 50}, {"v2", 50}}));
    const Plan p = plan({}, desired);
    ASSERT_EQ(p.actions.size(), desired.size());
    EXPECT_EQ(p.count(ActionKind::create), desired.size());
    auto it = desired.begin();
    for (const auto& a : p.actions) {
        EXPECT_EQ(a.kind, ActionKind::create);
        EXPECT_EQ(a.object, it->second);
        EXPECT_EQ(a.reason, "new");
        ++it;
    }
    EXPECT_EQ(p.actions.front().object.key.kind, "Namespace");
    EXPECT_EQ(p.actions.back().object.key.kind, "VirtualService");
    EXPECT_EQ(applied_by({}, p), desired);
}

TEST(Plan, ToNothingDeletesEverythingInReverseApplyOrder) {
    const auto applied = set_of(bookinfo_objects({{"v1", 50}, {"v2", 50}}));
    const Plan p = plan(applied, {});
    ASSERT_EQ(p.actions.size(), applied.size());
    EXPECT_EQ(p.count(ActionKind::remove), applied.size());
    std::vector<Object> reversed;
    for (const auto& [k, o] : applied) reversed.insert(reversed.begin(), o);
    for (std::size_t i = 0; i < reversed.size(); ++i) {
        EXPECT_EQ(p.actions[i].kind, ActionKind::remove);
        EXPECT_EQ(p.actions[i].object, reversed[i]) << i;
        EXPECT_EQ(p.actions[i].reason, "no longer desired");
    }
    EXPECT_EQ(p.actions.front().object.key.kind, "VirtualService");
    EXPECT_EQ(p.actions.back().object.key.kind, "Namespace");
    EXPECT_TRUE(applied_by(applied, p).empty());
}

TEST(Plan, IdenticalSetsNeedNothing) {
    const auto a = set_of(bookinfo_objects({{"v1", 50}, {"v2", 50}}));
    const auto b = set_of(bookinfo_objects({{"v1", 50}, {"v2", 50}}));
    EXPECT_TRUE(plan(a, b).empty());
}

TEST(Plan, OneWeightInTwoHundredMicroservicesIsOnePatch) {
    auto build = [](int changed_weight) {
        ObjectSet s;
        s.put(namespace_object());
        for (int i = 0; i < 200; ++i) {
            const std::string ms = "ms" + std::to_string(i);
            s.put(service_account(ms));
            s.put(service(ms));
            s.put(workload_group(ms, "v1"));
            s.put(workload_entry(ms, "v1", 0, "10.1.0." + std::to_string(i % 250)));
            s.put(destination_rule(ms, {"v1", "v2"}));
            s.put(authorization_policy(ms, {"ms" + std::to_string((i + 1) % 200)}));
            const int w = i == 117 ? changed_weight : 90;
            s.put(virtual_service(ms, Split{{"v1", w}, {"v2", 100 - w}}));
        }
        return s;
    };
    const auto applied = build(90);
    const auto desired = build(80);
    const Plan p = plan(applied, desired);
    ASSERT_EQ(p.actions.size(), 1u) << describe(p);
    EXPECT_EQ(p.actions[0].kind, ActionKind::patch);
    EXPECT_EQ(p.actions[0].object.key.to_string(), "VirtualService shop/ms117");
    EXPECT_EQ(p.actions[0].object, *desired.find(p.actions[0].object.key));
    EXPECT_EQ(p.actions[0].reason, "changed: spec.http");
}

TEST(Plan, AddingAVersionWritesTheSubsetBeforeTheRouteThatUsesIt) {
    const auto applied = set_of(bookinfo_objects({{"v2", 100}}));
    const auto desired = set_of(bookinfo_objects({{"v1", 10}, {"v2", 90}}));
    const Plan p = plan(applied, desired);
    EXPECT_EQ(lines(p), (std::vector<std::string>{
                            "create WorkloadGroup shop/reviews-v1",
                            "create WorkloadEntry shop/reviews-v1-0",
                            "create WorkloadEntry shop/reviews-v1-1",
                            "patch DestinationRule shop/reviews",
                            "patch VirtualService shop/reviews",
                        }))
        << describe(p);
    EXPECT_EQ(p.actions[3].reason, "subset v1 added");
    EXPECT_EQ(p.actions[4].reason, "changed: spec.http");
    EXPECT_EQ(applied_by(applied, p), desired);
}

TEST(Plan, RemovingAVersionMovesRoutesBeforeTheSubsetAndTheWorkloadsGo) {
    const auto applied = set_of(bookinfo_objects({{"v1", 50}, {"v2", 50}}));
    const auto desired = set_of(bookinfo_objects({{"v2", 100}}));
    const Plan p = plan(applied, desired);
    // The rule changes in nothing but the subset: the union would be the applied rule, so it
    // is written once, after the route moved.
    EXPECT_EQ(lines(p), (std::vector<std::string>{
                            "patch VirtualService shop/reviews",
                            "patch DestinationRule shop/reviews",
                            "delete WorkloadEntry shop/reviews-v1-1",
                            "delete WorkloadEntry shop/reviews-v1-0",
                            "delete WorkloadGroup shop/reviews-v1",
                        }))
        << describe(p);
    EXPECT_EQ(p.actions[1].reason, "subset v1 removed after routes moved");
    EXPECT_EQ(p.actions[1].object, *desired.find(p.actions[1].object.key));
    EXPECT_EQ(applied_by(applied, p), desired);
}

TEST(Plan, ShrinkingRuleThatAlsoChangesIsFirstWidenedToTheUnion) {
    auto applied_objects = bookinfo_objects({{"v1", 50}, {"v2", 50}});
    auto desired_objects = bookinfo_objects({{"v2", 80}, {"v3", 20}});
    auto applied = set_of(applied_objects);
    auto desired = set_of(desired_objects);
    desired.put(destination_rule("reviews", {"v2", "v3"}, "LEAST_REQUEST"));
    const Plan p = plan(applied, desired);
    EXPECT_EQ(lines(p), (std::vector<std::string>{
                            "patch DestinationRule shop/reviews",
                            "patch VirtualService shop/reviews",
                            "patch DestinationRule shop/reviews",
                            "delete WorkloadEntry shop/reviews-v1-1",
                            "delete WorkloadEntry shop/reviews-v1-0",
                            "delete WorkloadGroup shop/reviews-v1",
                        }))
        << describe(p);

    const Action& widen = p.actions[0];
    EXPECT_EQ(widen.reason,
              "subset v3 added; changed: spec.trafficPolicy; keeps subset v1 until routes move");
    // The new rule, with v1 kept as it was.
    auto expected = destination_rule("reviews", {"v1", "v2", "v3"}, "LEAST_REQUEST");
    EXPECT_EQ(widen.object, expected);

    EXPECT_EQ(p.actions[2].reason, "subset v1 removed after routes moved");
    EXPECT_EQ(p.actions[2].object, *desired.find(p.actions[2].object.key));
    EXPECT_EQ(applied_by(applied, p), desired);
}

TEST(Plan, UnionKeepsTheOldDefinitionOfARemovedSubset) {
    auto old_rule = destination_rule("reviews", {"v1", "v2"});
    // v1 had extra labels; the union keeps exactly those.
    old_rule.manifest.edit()["spec"].as_object()["subsets"].as_array()[0].as_object()["labels"] =
        json::object{{"version", "v1"}, {"track", "stable"}};
    const auto applied = set_of({old_rule});
    const auto desired = set_of({destination_rule("reviews", {"v3", "v2"}, "RANDOM")});
    const Plan p = plan(applied, desired);
    ASSERT_EQ(p.actions.size(), 2u) << describe(p);
    const auto& subsets = p.actions[0].object.manifest.at("spec").at("subsets").as_array();
    ASSERT_EQ(subsets.size(), 3u);
    EXPECT_EQ(subsets[0], old_rule.manifest.at("spec").at("subsets").as_array()[0]);
    EXPECT_EQ(subsets[1].at("name"), "v2");
    EXPECT_EQ(subsets[2].at("name"), "v3");
    EXPECT_EQ(p.actions[1].object, *desired.find(p.actions[1].object.key));
}

TEST(Plan, ChangedSubsetDefinitionIsNamed) {
    auto changed = destination_rule("reviews", {"v1", "v2"});
    changed.manifest.edit()["spec"].as_object()["subsets"].as_array()[1].as_object()["labels"] =
        json::object{{"version", "v2b"}};
    const Plan p = plan(set_of({destination_rule("reviews", {"v1", "v2"})}), set_of({changed}));
    ASSERT_EQ(p.actions.size(), 1u);
    EXPECT_EQ(p.actions[0].reason, "subset v2 changed");
}

TEST(Plan, PatchReasonNamesTheFieldsThatDiffer) {
    auto relabelled = service("reviews", 9090);
    relabelled.manifest.edit()["metadata"].as_object()["labels"].as_object()["team"] = "books";
    const Plan p = plan(set_of({service("reviews")}), set_of({relabelled}));
    ASSERT_EQ(p.actions.size(), 1u);
    EXPECT_EQ(p.actions[0].kind, ActionKind::patch);
    EXPECT_EQ(p.actions[0].reason, "changed: metadata.labels, spec.ports");
}

TEST(Plan, NewApiVersionOfTheSameObjectIsAPatchNotCreateAndDelete) {
    const auto applied =
        set_of({destination_rule("reviews", {"v1"}, "ROUND_ROBIN", "networking.istio.io/v1beta1")});
    const auto desired = set_of({destination_rule("reviews", {"v1"})});
    const Plan p = plan(applied, desired);
    ASSERT_EQ(p.actions.size(), 1u) << describe(p);
    EXPECT_EQ(p.actions[0].kind, ActionKind::patch);
    EXPECT_EQ(p.actions[0].object, desired.begin()->second);
    EXPECT_EQ(p.actions[0].reason,
              "apiVersion networking.istio.io/v1beta1 -> networking.istio.io/v1");
    EXPECT_EQ(applied_by(applied, p), desired);
}

TEST(Plan, SameNameInAnotherGroupIsAnotherObject) {
    auto knative = service("reviews");
    knative.manifest.edit()["apiVersion"] = "serving.knative.dev/v1";
    knative = make_object(knative.manifest);
    const Plan p = plan(set_of({service("reviews")}), set_of({knative}));
    EXPECT_EQ(p.count(ActionKind::create), 1u);
    EXPECT_EQ(p.count(ActionKind::remove), 1u);
    EXPECT_EQ(p.actions.size(), 2u);
}

TEST(Plan, ReplacingAMicroserviceCreatesBeforeItDeletes) {
    const auto applied = set_of({namespace_object(), service_account("ratings"), service("ratings"),
                                 destination_rule("ratings", {"v1"}),
                                 virtual_service("ratings", Split{{"v1", 100}})});
    const auto desired = set_of({namespace_object(), service_account("details"), service("details"),
                                 destination_rule("details", {"v1"}),
                                 virtual_service("details", Split{{"v1", 100}})});
    const Plan p = plan(applied, desired);
    EXPECT_EQ(lines(p), (std::vector<std::string>{
                            "create ServiceAccount shop/details",
                            "create Service shop/details",
                            "create DestinationRule shop/details",
                            "create VirtualService shop/details",
                            "delete VirtualService shop/ratings",
                            "delete DestinationRule shop/ratings",
                            "delete Service shop/ratings",
                            "delete ServiceAccount shop/ratings",
                        }))
        << describe(p);
    EXPECT_EQ(applied_by(applied, p), desired);
}

TEST(Plan, RollbackOfARemovalRestoresInMakeBeforeBreakOrder) {
    const auto before = set_of(bookinfo_objects({{"v1", 50}, {"v2", 50}}));
    const auto after = set_of(bookinfo_objects({{"v2", 100}}));
    const Plan back = plan(after, before);
    EXPECT_EQ(lines(back), (std::vector<std::string>{
                               "create WorkloadGroup shop/reviews-v1",
                               "create WorkloadEntry shop/reviews-v1-0",
                               "create WorkloadEntry shop/reviews-v1-1",
                               "patch DestinationRule shop/reviews",
                               "patch VirtualService shop/reviews",
                           }))
        << describe(back);
    EXPECT_EQ(applied_by(after, back), before);
}

TEST(Plan, IsDeterministic) {
    const auto a = set_of(bookinfo_objects({{"v1", 50}, {"v2", 50}}));
    const auto b = set_of(bookinfo_objects({{"v2", 70}, {"v3", 30}}));
    EXPECT_EQ(plan(a, b), plan(a, b));
}

}  // namespace
}  // namespace meshorch
