// Helpers for the engine tests: small specs, an orchestrator on a simulated world with short
// timings, event recording, and snapshot comparison.
#pragma once

#include <meshorch/orchestrator.hpp>
#include <meshorch/render.hpp>
#include <meshorch/sim.hpp>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace meshorch {
// Readable gtest output for the engine's enums.
inline void PrintTo(OperationState s, std::ostream* os) {
    *os << to_string(s);
}
inline void PrintTo(WorkloadState s, std::ostream* os) {
    *os << to_string(s);
}
inline void PrintTo(ServicePhase s, std::ostream* os) {
    *os << to_string(s);
}
inline void PrintTo(Errc c, std::ostream* os) {
    *os << to_string(c);
}
}  // namespace meshorch

namespace meshorch::engine_test {

using namespace std::chrono_literals;

inline Version vm_version(const std::string& name, int instances) {
    Version v;
    v.name = name;
    v.workload = VmWorkload{"image-" + name, "m1.small", "private", instances};
    v.vnf.vnfd_id = "vnfd-" + name;
    v.vnf.flavour_id = "simple";
    return v;
}

inline Version container_version(const std::string& name, int replicas) {
    Version v;
    v.name = name;
    ContainerWorkload c;
    c.image = "example/app:" + name;
    c.replicas = replicas;
    v.workload = c;
    v.vnf.vnfd_id = "vnfd-" + name;
    v.vnf.flavour_id = "simple";
    return v;
}

inline Microservice microservice(const std::string& name, std::vector<Version> versions) {
    Microservice ms;
    ms.name = name;
    ms.ports.push_back(Port{"http", 8080, Protocol::http});
    ms.versions = std::move(versions);
    return ms;
}

// frontend (container) -> cart: v1 on a VM, v2 in containers, weighted 90/10.
inline ServiceSpec hybrid_spec(const std::string& name = "shop", int v1_weight = 90) {
    ServiceSpec spec;
    spec.name = name;
    spec.namespace_ = name;
    spec.microservices.push_back(microservice("frontend", {container_version("v1", 1)}));
    spec.microservices.push_back(
        microservice("cart", {vm_version("v1", 1), container_version("v2", 2)}));
    Link link;
    link.from = "frontend";
    link.to = "cart";
    link.port = "http";
    Route route;
    route.split = {{"v1", v1_weight}, {"v2", 100 - v1_weight}};
    link.routes.push_back(route);
    spec.links.push_back(link);
    return spec;
}

inline Microservice* find_ms(ServiceSpec& spec, const std::string& name) {
    for (auto& ms : spec.microservices) {
        if (ms.name == name) return &ms;
    }
    return nullptr;
}

inline void set_split(ServiceSpec& spec, std::vector<WeightedVersion> split) {
    spec.links.at(0).routes.at(0).split = std::move(split);
}

inline sim::Options fast_sim(std::uint64_t seed = 1) {
    sim::Options o;
    o.seed = seed;
    o.threads = 2;
    o.default_latency = {1ms, 1ms};
    o.lcm_duration = 10ms;
    o.pod_start_time = 5ms;
    return o;
}

// The world's backends with `store` as the state store.
inline Backends backends_with(sim::World& world, std::shared_ptr<StateStore> store) {
    Backends b = world.backends();
    b.store = std::move(store);
    return b;
}

inline OrchestratorOptions fast_options() {
    OrchestratorOptions o;
    o.threads = 2;
    o.poll_interval = 2ms;
    o.call_timeout = 2s;
    o.operation_deadline = 30s;
    o.backoff.initial = 1ms;
    o.backoff.max = 20ms;
    o.backoff.max_attempts = 12;
    return o;
}

// A world, an orchestrator on it, and every event it reported.
class Harness {
public:
    explicit Harness(sim::Options so = fast_sim(), OrchestratorOptions oo = fast_options())
        : world(sim::World::create(std::move(so))) {
        spdlog::set_level(spdlog::level::warn);
        orch = std::make_unique<Orchestrator>(world->backends(), std::move(oo));
        orch->subscribe([this](const Event& e) {
            std::lock_guard lock(mutex_);
            events_.push_back(e);
        });
    }

    std::vector<Event> events() const {
        std::lock_guard lock(mutex_);
        return events_;
    }
    std::vector<Event> events_of(const std::string& op_id) const {
        std::vector<Event> out;
        for (auto& e : events()) {
            if (e.operation_id == op_id) out.push_back(e);
        }
        return out;
    }
    std::vector<OperationState> operation_states(const std::string& op_id) const {
        std::vector<OperationState> out;
        for (auto& e : events_of(op_id)) {
            if (e.type == Event::Type::operation) out.push_back(e.operation_state);
        }
        return out;
    }
    std::vector<WorkloadState> workload_states(const std::string& op_id,
                                               const WorkloadId& id) const {
        std::vector<WorkloadState> out;
        for (auto& e : events_of(op_id)) {
            if (e.type == Event::Type::workload && e.workload == id)
                out.push_back(e.workload_state);
        }
        return out;
    }
    std::vector<std::string> steps(const std::string& op_id) const {
        std::vector<std::string> out;
        for (auto& e : events_of(op_id)) {
            if (e.type == Event::Type::step) out.push_back(e.message);
        }
        return out;
    }

    // Starts an operation and waits for its end.
    Operation run(Result<Operation> started, std::chrono::milliseconds limit = 60s) {
        EXPECT_TRUE(started.ok()) << (started ? "" : started.error().describe());
        if (!started) return {};
        Operation op = *started;
        EXPECT_TRUE(op.wait_for(limit)) << "operation " << op.id() << " did not end";
        return op;
    }
    Operation deploy(const ServiceSpec& spec) { return run(orch->deploy(spec)); }
    Operation reconfigure(const ServiceSpec& spec) { return run(orch->reconfigure(spec)); }
    Operation terminate(const std::string& name) { return run(orch->terminate(name)); }

    std::uint64_t count(sim::CallKind kind) const {
        auto counts = world->call_counts();
        auto it = counts.find(kind);
        return it == counts.end() ? 0 : it->second;
    }

    std::shared_ptr<sim::World> world;
    std::unique_ptr<Orchestrator> orch;

private:
    mutable std::mutex mutex_;
    std::vector<Event> events_;
};

// Polls `pred` until it holds or `limit` passes.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(1ms);
    }
    return pred();
}

inline std::string describe(const Status& s) {
    return s.ok() ? "ok" : s.error().describe();
}

// Index of the first step message containing `needle`; -1 when none.
inline int find_step(const std::vector<std::string>& steps, const std::string& needle) {
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (steps[i].find(needle) != std::string::npos) return static_cast<int>(i);
    }
    return -1;
}

// A manifest without what the API server adds (resourceVersion, uid, timestamps...).
inline boost::json::object without_server_fields(boost::json::object m) {
    if (auto* md = m.if_contains("metadata"); md && md->is_object()) {
        auto& o = md->as_object();
        for (const char* k :
             {"resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"}) {
            o.erase(k);
        }
    }
    m.erase("status");
    return m;
}

// Snapshots that are the same world as far as a user can tell (ids of re-created things aside).
inline void expect_same_world(const sim::Snapshot& before, const sim::Snapshot& after) {
    ASSERT_EQ(before.objects.size(), after.objects.size());
    auto a = before.objects.begin();
    auto b = after.objects.begin();
    for (; a != before.objects.end(); ++a, ++b) {
        EXPECT_EQ(a->first, b->first);
        EXPECT_EQ(boost::json::serialize(without_server_fields(a->second.manifest)),
                  boost::json::serialize(without_server_fields(b->second.manifest)));
    }
    ASSERT_EQ(before.vnfs.size(), after.vnfs.size());
    for (std::size_t i = 0; i < before.vnfs.size(); ++i) {
        EXPECT_EQ(before.vnfs[i].name, after.vnfs[i].name);
        EXPECT_EQ(before.vnfs[i].instances, after.vnfs[i].instances);
        EXPECT_EQ(before.vnfs[i].instantiated, after.vnfs[i].instantiated);
    }
    EXPECT_EQ(before.vms.size(), after.vms.size());
    EXPECT_EQ(before.pods.size(), after.pods.size());
    ASSERT_EQ(before.proxies.size(), after.proxies.size());
}

inline const Object* find_object(const sim::Snapshot& s, const std::string& kind,
                                 const std::string& ns, const std::string& name) {
    for (const auto& [key, o] : s.objects) {
        if (key.kind == kind && key.namespace_ == ns && key.name == name) return &o;
    }
    return nullptr;
}

inline std::string entry_address(const sim::Snapshot& s, const std::string& ns,
                                 const std::string& name) {
    const Object* o = find_object(s, "WorkloadEntry", ns, name);
    if (!o) return {};
    return std::string(o->manifest.at("spec").as_object().at("address").as_string());
}

}  // namespace meshorch::engine_test
