// plan() on what render() makes of real specs: the reconfigurations a deployer does.
#include "unit/plan/plan_fixtures.hpp"

#include <meshorch/render.hpp>
#include <meshorch/spec.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

namespace meshorch {
namespace {

using namespace plan_test;
using namespace std::chrono_literals;

Version vm_version(const std::string& name, int instances = 1) {
    Version v;
    v.name = name;
    v.workload = VmWorkload{"image-" + name, "m1.small", "net0", instances};
    v.vnf.vnfd_id = "vnfd-" + name;
    v.vnf.flavour_id = "simple";
    return v;
}

Version container_version(const std::string& name) {
    Version v;
    v.name = name;
    ContainerWorkload c;
    c.image = "registry.example/app:" + name;
    v.workload = c;
    v.vnf.vnfd_id = "vnfd-" + name;
    v.vnf.flavour_id = "simple";
    return v;
}

Microservice microservice(const std::string& name, std::vector<Version> versions) {
    Microservice m;
    m.name = name;
    m.ports.push_back({"http", 9080, Protocol::http});
    m.versions = std::move(versions);
    return m;
}

Link link(const std::string& from, const std::string& to, std::vector<WeightedVersion> split) {
    Link l;
    l.from = from;
    l.to = to;
    l.port = "http";
    Route r;
    r.split = std::move(split);
    l.routes.push_back(std::move(r));
    l.timeout = 5s;
    return l;
}

// productpage -> reviews (v1 on a VM, v2 in a container) -> ratings (v1 on a VM).
ServiceSpec bookinfo() {
    ServiceSpec s;
    s.name = "bookinfo";
    s.namespace_ = "bookinfo";
    s.microservices = {
        microservice("productpage", {container_version("v1")}),
        microservice("reviews", {vm_version("v1", 2), container_version("v2")}),
        microservice("ratings", {vm_version("v1")}),
    };
    s.links = {
        link("productpage", "reviews", {{"v1", 50}, {"v2", 50}}),
        link("reviews", "ratings", {}),
    };
    return s;
}

Observed vms_of(const ServiceSpec& spec) {
    Observed o;
    int n = 1;
    for (const auto& m : spec.microservices) {
        for (const auto& v : m.versions) {
            if (v.substrate() != Substrate::vm) continue;
            for (int i = 0; i < v.instance_count(); ++i, ++n) {
                o.vms[{m.name, v.name}].push_back(
                    {"server-" + std::to_string(n), "10.0.0." + std::to_string(n)});
            }
        }
    }
    return o;
}

Microservice& ms(ServiceSpec& s, const std::string& name) {
    return *std::find_if(s.microservices.begin(), s.microservices.end(),
                         [&](const Microservice& m) { return m.name == name; });
}

// Plans old -> new, applies it step by step checking make before break; returns the plan.
Plan reconfigure(const ServiceSpec& from, const ServiceSpec& to) {
    const ObjectSet applied = render(from, vms_of(from));
    const ObjectSet desired = render(to, vms_of(to));
    Plan p = plan(applied, desired);
    ObjectSet state = applied;
    for (const auto& a : p.actions) {
        EXPECT_EQ(apply_action(state, a), "");
        auto dangling = dangling_subsets(state);
        EXPECT_TRUE(dangling.empty())
            << "after " << to_string(a.kind) << " " << a.object.key.to_string() << ": "
            << dangling.front() << "\n"
            << describe(p);
    }
    EXPECT_TRUE(state == desired) << describe(p);
    return p;
}

std::vector<std::string> lines(const Plan& p) {
    std::vector<std::string> out;
    for (const auto& a : p.actions) {
        out.push_back(std::string(to_string(a.kind)) + " " + a.object.key.to_string());
    }
    return out;
}

std::size_t index_of(const Plan& p, const std::string& line) {
    const auto all = lines(p);
    return static_cast<std::size_t>(std::find(all.begin(), all.end(), line) - all.begin());
}

TEST(PlanOfRender, RenderedServiceHasNoDanglingRoutes) {
    const auto s = bookinfo();
    EXPECT_TRUE(dangling_subsets(render(s, vms_of(s))).empty());
}

TEST(PlanOfRender, UnchangedSpecNeedsNothing) {
    EXPECT_TRUE(reconfigure(bookinfo(), bookinfo()).empty());
}

TEST(PlanOfRender, WeightChangeIsOneVirtualServicePatch) {
    auto to = bookinfo();
    to.links[0].routes[0].split = {{"v1", 20}, {"v2", 80}};
    const Plan p = reconfigure(bookinfo(), to);
    EXPECT_EQ(lines(p), std::vector<std::string>{"patch VirtualService bookinfo/reviews"})
        << describe(p);
}

TEST(PlanOfRender, AddingAContainerVersionAddsTheSubsetBeforeTheRoute) {
    auto to = bookinfo();
    ms(to, "reviews").versions.push_back(container_version("v3"));
    to.links[0].routes[0].split = {{"v1", 40}, {"v2", 40}, {"v3", 20}};
    const Plan p = reconfigure(bookinfo(), to);
    EXPECT_EQ(p.count(ActionKind::remove), 0u) << describe(p);
    EXPECT_LT(index_of(p, "patch DestinationRule bookinfo/reviews"),
              index_of(p, "patch VirtualService bookinfo/reviews"))
        << describe(p);
}

TEST(PlanOfRender, RetiringTheVmVersionMovesRoutesFirst) {
    auto to = bookinfo();
    auto& reviews = ms(to, "reviews").versions;
    reviews.erase(reviews.begin());
    to.links[0].routes[0].split = {{"v2", 100}};
    const Plan p = reconfigure(bookinfo(), to);
    const auto vs = index_of(p, "patch VirtualService bookinfo/reviews");
    const auto dr = index_of(p, "patch DestinationRule bookinfo/reviews");
    const auto wg = index_of(p, "delete WorkloadGroup bookinfo/reviews-v1");
    const auto we = index_of(p, "delete WorkloadEntry bookinfo/reviews-v1-0");
    ASSERT_LT(wg, p.actions.size()) << describe(p);
    ASSERT_LT(we, p.actions.size()) << describe(p);
    EXPECT_LT(vs, dr) << describe(p);
    EXPECT_LT(dr, we) << describe(p);
    EXPECT_LT(we, wg) << describe(p);
}

TEST(PlanOfRender, VmToContainerMigrationInThreeReconfigures) {
    // 1. a container version next to the VM, no traffic yet; 2. all traffic to it; 3. VM gone.
    const auto start = bookinfo();
    auto step1 = start;
    ms(step1, "ratings").versions.push_back(container_version("v2"));
    step1.links[1].routes[0].split = {{"v1", 100}, {"v2", 0}};
    auto step2 = step1;
    step2.links[1].routes[0].split = {{"v1", 0}, {"v2", 100}};
    auto step3 = step2;
    auto& ratings = ms(step3, "ratings").versions;
    ratings.erase(ratings.begin());
    step3.links[1].routes[0].split = {{"v2", 100}};

    const Plan p1 = reconfigure(start, step1);
    EXPECT_EQ(p1.count(ActionKind::remove), 0u) << describe(p1);
    const Plan p2 = reconfigure(step1, step2);
    EXPECT_EQ(lines(p2), std::vector<std::string>{"patch VirtualService bookinfo/ratings"})
        << describe(p2);
    const Plan p3 = reconfigure(step2, step3);
    EXPECT_GE(p3.count(ActionKind::remove), 2u) << describe(p3);  // WorkloadGroup and Entry
    // And back, as a rollback would.
    reconfigure(step3, start);
}

TEST(PlanOfRender, DroppingAMicroserviceRemovesItsRoutesBeforeItsService) {
    auto to = bookinfo();
    to.microservices.pop_back();  // ratings
    to.links.pop_back();
    const Plan p = reconfigure(bookinfo(), to);
    EXPECT_EQ(p.count(ActionKind::create), 0u) << describe(p);
    const auto service = index_of(p, "delete Service bookinfo/ratings");
    ASSERT_LT(service, p.actions.size()) << describe(p);
    for (std::size_t i = service + 1; i < p.actions.size(); ++i) {
        const auto& kind = p.actions[i].object.key.kind;
        EXPECT_TRUE(kind == "ServiceAccount" || kind == "Namespace") << describe(p);
    }
}

// Every pair of the sample specs: each plan converges without dangling routes.
TEST(PlanOfRender, BetweenTheSampleSpecs) {
    const std::filesystem::path dir = std::filesystem::path(MESHORCH_SOURCE_DIR) / "examples/specs";
    std::vector<ServiceSpec> specs;
    if (std::filesystem::is_directory(dir)) {
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            const auto ext = entry.path().extension();
            if (ext != ".yaml" && ext != ".yml" && ext != ".json") continue;
            auto spec = load_spec_file(entry.path().string());
            if (!spec) continue;  // invalid samples exist on purpose
            specs.push_back(std::move(spec).value());
        }
    }
    if (specs.empty()) GTEST_SKIP() << "no valid sample specs in " << dir;
    for (const auto& a : specs) {
        for (const auto& b : specs) {
            SCOPED_TRACE(a.name + " -> " + b.name);
            reconfigure(a, b);
        }
    }
}

}  // namespace
}  // namespace meshorch
