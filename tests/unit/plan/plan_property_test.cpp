// plan() over random pairs of object sets (fixed seed): what it must hold for every pair.
#include "unit/plan/plan_fixtures.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

namespace meshorch {
namespace {

using namespace plan_test;

// The state of one microservice, drawn from few enough choices that two draws often agree.
struct MsState {
    std::vector<std::string> versions;  // subsets, in order
    std::set<std::string> on_vm;
    std::map<std::string, std::vector<std::string>> addresses;  // VM version -> instances
    int port = 9080;
    std::string lb = "ROUND_ROBIN";
    std::string dr_api_version = "networking.istio.io/v1";
    std::vector<Split> routes;  // empty: no VirtualService
    std::string mirror;
    std::vector<std::string> callers;
};

class Generator {
public:
    explicit Generator(std::uint32_t seed) : rng_(seed) {}

    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
    bool chance(int percent) { return pick(100) < percent; }

    MsState microservice() {
        static const std::vector<std::string> all = {"v1", "v2", "v3", "v4"};
        MsState m;
        for (const auto& v : all) {
            if (chance(50)) m.versions.push_back(v);
        }
        if (m.versions.empty()) m.versions.push_back(all[static_cast<std::size_t>(pick(4))]);
        if (chance(15)) std::reverse(m.versions.begin(), m.versions.end());
        for (const auto& v : m.versions) {
            if (!chance(50)) continue;
            m.on_vm.insert(v);
            const int n = pick(3);
            for (int i = 0; i < n; ++i)
                m.addresses[v].push_back("10.0.0." + std::to_string(1 + pick(3)));
        }
        m.port = chance(80) ? 9080 : 9090;
        m.lb = chance(70) ? "ROUND_ROBIN" : "LEAST_REQUEST";
        if (chance(10)) m.dr_api_version = "networking.istio.io/v1beta1";
        if (chance(80)) {
            const int n = 1 + pick(2);
            for (int r = 0; r < n; ++r) {
                Split split;
                int left = 100;
                for (const auto& v : m.versions) {
                    if (!chance(60)) continue;
                    const int w = chance(50) ? left : std::min(left, 10 * pick(11));
                    split.emplace_back(v, w);
                    left -= w;
                }
                if (split.empty()) split.emplace_back(m.versions.back(), 0);
                split.back().second += left;
                m.routes.push_back(std::move(split));
            }
            if (chance(20))
                m.mirror =
                    m.versions[static_cast<std::size_t>(pick(static_cast<int>(m.versions.size())))];
        }
        if (chance(70)) m.callers.push_back("ms" + std::to_string(pick(6)));
        return m;
    }

    // Microservice name -> state; a few of the six names.
    std::map<std::string, MsState> service() {
        std::map<std::string, MsState> out;
        for (int i = 0; i < 6; ++i) {
            if (chance(60)) out["ms" + std::to_string(i)] = microservice();
        }
        return out;
    }

    // Another state near `from`: each microservice kept, changed, dropped or added.
    std::map<std::string, MsState> evolve(const std::map<std::string, MsState>& from) {
        std::map<std::string, MsState> out;
        for (int i = 0; i < 6; ++i) {
            const std::string name = "ms" + std::to_string(i);
            auto it = from.find(name);
            const int roll = pick(100);
            if (it != from.end() && roll < 55) {
                out[name] = it->second;
            } else if (roll < 85) {
                out[name] = microservice();
            }
        }
        return out;
    }

private:
    std::mt19937 rng_;
};

ObjectSet objects(const std::map<std::string, MsState>& microservices) {
    ObjectSet s;
    if (microservices.empty()) return s;
    s.put(namespace_object());
    for (const auto& [ms, m] : microservices) {
        s.put(service_account(ms));
        s.put(service(ms, m.port));
        for (const auto& v : m.on_vm) {
            s.put(workload_group(ms, v));
            auto it = m.addresses.find(v);
            if (it == m.addresses.end()) continue;
            for (std::size_t i = 0; i < it->second.size(); ++i) {
                s.put(workload_entry(ms, v, static_cast<int>(i), it->second[i]));
            }
        }
        s.put(destination_rule(ms, m.versions, m.lb, m.dr_api_version));
        s.put(authorization_policy(ms, m.callers));
        if (!m.routes.empty()) {
            std::vector<json::object> http;
            for (std::size_t r = 0; r < m.routes.size(); ++r) {
                http.push_back(http_route(ms, m.routes[r], r == 0 ? m.mirror : std::string{}));
            }
            s.put(virtual_service(ms, http));
        }
    }
    return s;
}

// The objects that differ between two sets, by identity (group/kind/namespace/name).
std::vector<ObjectKey> differing(const ObjectSet& a, const ObjectSet& b) {
    std::vector<ObjectKey> out;
    for (const auto& [k, o] : a) {
        const Object* other = find_identity(b, k);
        if (!other || !(*other == o)) out.push_back(k);
    }
    for (const auto& [k, o] : b) {
        if (!find_identity(a, k)) out.push_back(k);
    }
    return out;
}

// Everything the plan of one pair must satisfy; empty when it does.
std::string check(const ObjectSet& applied, const ObjectSet& desired) {
    const Plan p = plan(applied, desired);
    if (!(plan(applied, desired) == p)) return "not deterministic";

    // Only objects that differ are written; each at most twice (a shrinking rule), and the
    // second time only for a DestinationRule.
    const auto diff = differing(applied, desired);
    std::map<std::string, int> writes;
    for (const auto& a : p.actions) {
        const bool differs = std::any_of(diff.begin(), diff.end(), [&](const ObjectKey& k) {
            return same_identity(k, a.object.key);
        });
        if (!differs) return "writes unchanged " + a.object.key.to_string();
        if (++writes[a.object.key.kind + " " + a.object.key.namespace_ + "/" + a.object.key.name] >
                1 &&
            a.object.key.kind != "DestinationRule") {
            return "writes twice " + a.object.key.to_string();
        }
    }

    // Phase 1: creates and patches in apply order; phase 2: deletes and final rule patches in
    // reverse apply order.
    std::size_t i = 0;
    for (; i < p.actions.size() && p.actions[i].kind != ActionKind::remove; ++i) {
        if (i > 0 && !(p.actions[i - 1].object.key < p.actions[i].object.key)) {
            // A split rule's final patch may start phase 2 right after phase 1.
            if (p.actions[i].object.key.kind == "DestinationRule") break;
            return "phase 1 out of order at " + p.actions[i].object.key.to_string();
        }
    }
    const std::size_t phase2 = i;
    for (; i < p.actions.size(); ++i) {
        const auto& a = p.actions[i];
        if (a.kind == ActionKind::create) return "create in phase 2: " + a.object.key.to_string();
        if (a.kind == ActionKind::patch && a.object.key.kind != "DestinationRule") {
            return "patch in phase 2: " + a.object.key.to_string();
        }
        if (i > phase2 && !(a.object.key < p.actions[i - 1].object.key)) {
            return "phase 2 out of order at " + a.object.key.to_string();
        }
    }

    // Make before break: no route ever points at a missing subset, and the end is `desired`.
    ObjectSet state = applied;
    for (const auto& a : p.actions) {
        if (auto problem = apply_action(state, a); !problem.empty()) return problem;
        if (auto dangling = dangling_subsets(state); !dangling.empty()) {
            return "after " + std::string(to_string(a.kind)) + " " + a.object.key.to_string() +
                   ": route to missing subset " + dangling.front();
        }
    }
    if (!(state == desired)) return "applying the plan does not give the desired set";
    return {};
}

TEST(PlanProperty, RandomPairsConvergeWithoutDanglingRoutes) {
    Generator gen(20240611);
    std::size_t actions = 0;
    std::size_t splits = 0;
    for (int round = 0; round < 600; ++round) {
        const auto before = gen.service();
        const auto after = round % 3 == 0 ? gen.service() : gen.evolve(before);
        const auto applied = objects(before);
        const auto desired = objects(after);
        ASSERT_TRUE(dangling_subsets(applied).empty());
        ASSERT_TRUE(dangling_subsets(desired).empty());
        const std::string forward = check(applied, desired);
        ASSERT_EQ(forward, "") << "round " << round << "\n" << describe(plan(applied, desired));
        const std::string back = check(desired, applied);
        ASSERT_EQ(back, "") << "round " << round << " (rollback)\n"
                            << describe(plan(desired, applied));
        const Plan p = plan(applied, desired);
        actions += p.actions.size();
        for (const auto& a : p.actions) {
            if (a.reason.find("until routes move") != std::string::npos) ++splits;
        }
    }
    // The generator exercises what it is meant to.
    EXPECT_GT(actions, 1000u);
    EXPECT_GT(splits, 20u);
}

// The engine's entry points (the desired set given up, the applied set borrowed in part) plan
// exactly what plan(applied, desired) does, splits of shrinking DestinationRules included.
TEST(PlanProperty, MovingAndBorrowingEntryPointsPlanTheSame) {
    Generator gen(20261128);
    std::size_t splits = 0;
    for (int round = 0; round < 300; ++round) {
        const auto before = gen.service();
        const auto after = round % 3 == 0 ? gen.service() : gen.evolve(before);
        const auto applied = objects(before);
        const auto desired = objects(after);
        const Plan reference = plan(applied, desired);
        for (const auto& a : reference.actions) {
            if (a.reason.find("until routes move") != std::string::npos) ++splits;
        }

        ObjectSet given_up = desired;
        EXPECT_EQ(plan(applied, std::move(given_up)), reference) << "round " << round << "\n"
                                                                 << describe(reference);
        EXPECT_TRUE(given_up.empty());

        std::vector<const Object*> borrowed;
        for (const auto& [key, object] : applied) borrowed.push_back(&object);
        ObjectSet given_up_too = desired;
        EXPECT_EQ(plan_subset(borrowed, std::move(given_up_too)), reference)
            << "round " << round << "\n"
            << describe(reference);
    }
    EXPECT_GT(splits, 10u);
}

TEST(PlanProperty, PlanToItselfIsEmpty) {
    Generator gen(7);
    for (int round = 0; round < 100; ++round) {
        const auto s = objects(gen.service());
        EXPECT_TRUE(plan(s, s).empty());
    }
}

}  // namespace
}  // namespace meshorch
