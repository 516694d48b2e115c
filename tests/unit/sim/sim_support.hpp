// Helpers for the sim tests: synchronous wrappers over the asynchronous ports, and fixtures.
#pragma once

#include <meshorch/sim.hpp>

#include <gtest/gtest.h>
#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace meshorch::sim::test {

using namespace std::chrono_literals;

// What one call answered, and on which thread.
template <class T>
struct Answer {
    std::optional<Result<T>> result;
    std::thread::id thread;
};

// Issues the call through `start(callback)` and waits (at most `limit`) for its answer.
template <class T>
Result<T> await(const std::function<void(Callback<T>)>& start, std::chrono::milliseconds limit = 5s,
                std::thread::id* thread = nullptr) {
    auto promise = std::make_shared<std::promise<Answer<T>>>();
    auto future = promise->get_future();
    start([promise](Result<T> r) {
        promise->set_value(Answer<T>{std::move(r), std::this_thread::get_id()});
    });
    if (future.wait_for(limit) != std::future_status::ready) {
        ADD_FAILURE() << "no answer within " << limit.count() << " ms";
        return make_error(Errc::internal, "test: no answer");
    }
    auto answer = future.get();
    if (thread) *thread = answer.thread;
    return std::move(*answer.result);
}

// Polls `pred` until it holds or `limit` passes.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 5s) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(2ms);
    }
    return pred();
}

inline Object namespace_object(const std::string& name,
                               std::map<std::string, std::string> labels = {}) {
    boost::json::object md{{"name", name}};
    if (!labels.empty()) {
        boost::json::object l;
        for (auto& [k, v] : labels) l[k] = v;
        md["labels"] = std::move(l);
    }
    return make_object(boost::json::object{
        {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", std::move(md)}});
}

inline Object config_map(const std::string& ns, const std::string& name, const std::string& value,
                         std::map<std::string, std::string> labels = {}) {
    boost::json::object md{{"name", name}, {"namespace", ns}};
    if (!labels.empty()) {
        boost::json::object l;
        for (auto& [k, v] : labels) l[k] = v;
        md["labels"] = std::move(l);
    }
    return make_object(boost::json::object{{"apiVersion", "v1"},
                                           {"kind", "ConfigMap"},
                                           {"metadata", std::move(md)},
                                           {"data", boost::json::object{{"key", value}}}});
}

inline Object service_account(const std::string& ns, const std::string& name) {
    return make_object(
        boost::json::object{{"apiVersion", "v1"},
                            {"kind", "ServiceAccount"},
                            {"metadata", boost::json::object{{"name", name}, {"namespace", ns}}}});
}

inline Object deployment(const std::string& ns, const std::string& name, const std::string& app,
                         const std::string& version, int replicas) {
    boost::json::object labels{{"app", app}, {"version", version}};
    return make_object(boost::json::object{
        {"apiVersion", "apps/v1"},
        {"kind", "Deployment"},
        {"metadata", boost::json::object{{"name", name}, {"namespace", ns}}},
        {"spec", boost::json::object{
                     {"replicas", replicas},
                     {"selector", boost::json::object{{"matchLabels", labels}}},
                     {"template",
                      boost::json::object{
                          {"metadata", boost::json::object{{"labels", labels}}},
                          {"spec", boost::json::object{
                                       {"serviceAccountName", app},
                                       {"containers",
                                        boost::json::array{boost::json::object{
                                            {"name", app}, {"image", "example/" + app}}}}}}}}}}});
}

inline VnfRequest vm_request(const std::string& name, int instances = 2) {
    VnfRequest r;
    r.name = name;
    r.service = "shop";
    r.namespace_ = "shop";
    r.microservice = "cart";
    r.version = "v1";
    r.substrate = Substrate::vm;
    r.package.vnfd_id = "vnfd-cart";
    r.package.flavour_id = "simple";
    r.instances = instances;
    r.vm = VmWorkload{"cart-image", "m1.small", "net0", instances};
    return r;
}

inline VnfRequest container_request(const std::string& name, const std::string& ns,
                                    int replicas = 2) {
    VnfRequest r;
    r.name = name;
    r.service = "shop";
    r.namespace_ = ns;
    r.microservice = "web";
    r.version = "v2";
    r.substrate = Substrate::container;
    r.package.vnfd_id = "vnfd-web";
    r.instances = replicas;
    r.deployment = deployment(ns, "web-v2", "web", "v2", replicas);
    return r;
}

// A world plus synchronous shorthands for the calls the tests make most.
struct Sim {
    explicit Sim(Options o = {}) : world(World::create(std::move(o))) {
        vnfm = world->vnf_manager();
        cluster = world->cluster();
        injector = world->injector();
    }

    std::shared_ptr<World> world;
    std::shared_ptr<VnfManager> vnfm;
    std::shared_ptr<Cluster> cluster;
    std::shared_ptr<SidecarInjector> injector;
    CallContext ctx;

    Result<std::string> create(const VnfRequest& r) {
        return await<std::string>([&](auto cb) { vnfm->create_vnf(r, ctx, cb); });
    }
    Result<std::string> instantiate(const std::string& id, const VnfRequest& r) {
        return await<std::string>([&](auto cb) { vnfm->instantiate(id, r, ctx, cb); });
    }
    Result<std::string> scale(const std::string& id, int n) {
        return await<std::string>([&](auto cb) { vnfm->scale(id, n, ctx, cb); });
    }
    Result<std::string> heal(const std::string& id, const std::string& server) {
        return await<std::string>([&](auto cb) { vnfm->heal(id, server, ctx, cb); });
    }
    Result<std::string> terminate(const std::string& id) {
        return await<std::string>([&](auto cb) { vnfm->terminate(id, ctx, cb); });
    }
    Status remove_vnf(const std::string& id) {
        return await<Ok>([&](auto cb) { vnfm->delete_vnf(id, ctx, cb); });
    }
    Result<LcmOperation> operation(const std::string& id) {
        return await<LcmOperation>([&](auto cb) { vnfm->get_operation(id, ctx, cb); });
    }
    Result<VnfInstance> vnf(const std::string& id) {
        return await<VnfInstance>([&](auto cb) { vnfm->get_vnf(id, ctx, cb); });
    }
    Result<std::optional<VnfInstance>> find(const std::string& name) {
        return await<std::optional<VnfInstance>>([&](auto cb) { vnfm->find_vnf(name, ctx, cb); });
    }
    // Polls the op-occ until it leaves STARTING/PROCESSING; returns the final state.
    Status resolve(const std::string& op_id, FailedOperationAction action) {
        return await<Ok>([&](auto cb) { vnfm->resolve_failed_operation(op_id, action, ctx, cb); });
    }
    LcmOperation wait_op(const std::string& op_id) {
        LcmOperation last;
        eventually([&] {
            auto r = operation(op_id);
            if (!r) return false;
            last = *r;
            return last.state != LcmState::starting && last.state != LcmState::processing &&
                   last.state != LcmState::rolling_back;
        });
        return last;
    }
    // create + instantiate + wait; returns the VNF id.
    std::string deploy(const VnfRequest& r) {
        auto id = create(r);
        EXPECT_TRUE(id.ok());
        if (!id) return {};
        auto op = instantiate(*id, r);
        EXPECT_TRUE(op.ok()) << (op ? "" : op.error().describe());
        if (!op) return *id;
        EXPECT_EQ(wait_op(*op).state, LcmState::completed);
        return *id;
    }

    Result<Object> apply(const Object& o) {
        return await<Object>([&](auto cb) { cluster->apply(o, ctx, cb); });
    }
    Result<std::optional<Object>> get(const ObjectKey& k) {
        return await<std::optional<Object>>([&](auto cb) { cluster->get(k, ctx, cb); });
    }
    Result<std::vector<Object>> list(const std::string& api, const std::string& kind,
                                     const std::string& ns,
                                     const std::map<std::string, std::string>& labels = {}) {
        return await<std::vector<Object>>(
            [&](auto cb) { cluster->list(api, kind, ns, labels, ctx, cb); });
    }
    Status remove(const ObjectKey& k) {
        return await<Ok>([&](auto cb) { cluster->remove(k, ctx, cb); });
    }
    Result<ServiceAccountToken> token(const std::string& ns, const std::string& sa,
                                      std::chrono::seconds lifetime = std::chrono::hours(1),
                                      const std::string& audience = "istio-ca") {
        return await<ServiceAccountToken>(
            [&](auto cb) { cluster->create_token(ns, sa, audience, lifetime, ctx, cb); });
    }
    Result<std::string> root_cert(const std::string& ns) {
        return await<std::string>([&](auto cb) { cluster->root_certificate(ns, ctx, cb); });
    }
    Result<WorkloadReadiness> readiness(const std::string& ns, const std::string& ms,
                                        const std::string& v) {
        return await<WorkloadReadiness>(
            [&](auto cb) { cluster->workload_readiness(ns, ms, v, ctx, cb); });
    }
    Result<InjectionResult> inject(const InjectionRequest& r) {
        return await<InjectionResult>([&](auto cb) { injector->inject(r, ctx, cb); });
    }
    Status refresh(const VmInstance& vm, const std::string& token) {
        return await<Ok>([&](auto cb) { injector->refresh_token(vm, token, ctx, cb); });
    }
    Status uninject(const VmInstance& vm) {
        return await<Ok>([&](auto cb) { injector->remove(vm, ctx, cb); });
    }
};

inline std::string resource_version(const Object& o) {
    return std::string(o.manifest.at("metadata").at("resourceVersion").as_string());
}

}  // namespace meshorch::sim::test
