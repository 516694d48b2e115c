#include "kubernetes/pod_readiness.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <string_view>

namespace meshorch::kubernetes::detail {

namespace json = boost::json;

namespace {

const json::object* object_at(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v ? v->if_object() : nullptr;
}

const json::array* array_at(const json::object* o, std::string_view key) {
    if (!o) return nullptr;
    const auto* v = o->if_contains(key);
    return v ? v->if_array() : nullptr;
}

std::string_view string_at(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || !v->is_string()) return {};
    return v->get_string();
}

bool has_proxy(const json::array* containers, bool native_sidecars_only) {
    if (!containers) return false;
    for (const auto& c : *containers) {
        const auto* o = c.if_object();
        if (!o || string_at(*o, "name") != proxy_container) continue;
        if (!native_sidecars_only || string_at(*o, "restartPolicy") == "Always") return true;
    }
    return false;
}

}  // namespace

PodFacts pod_facts(const json::object& pod) {
    PodFacts facts;
    if (const auto* md = object_at(pod, "metadata")) {
        if (const auto* labels = object_at(*md, "labels")) {
            facts.app = std::string(string_at(*labels, "app"));
            facts.version = std::string(string_at(*labels, "version"));
        }
    }
    const auto* spec = object_at(pod, "spec");
    facts.with_proxy = has_proxy(array_at(spec, "containers"), false) ||
                       has_proxy(array_at(spec, "initContainers"), true);
    if (const auto* conditions = array_at(object_at(pod, "status"), "conditions")) {
        for (const auto& c : *conditions) {
            const auto* o = c.if_object();
            if (o && string_at(*o, "type") == "Ready")
                facts.ready = string_at(*o, "status") == "True";
        }
    }
    return facts;
}

void count_pod(const PodFacts& pod, const std::string& microservice, const std::string& version,
               WorkloadReadiness& readiness) {
    if (pod.app != microservice || pod.version != version) return;
    ++readiness.pods;
    if (pod.ready) ++readiness.ready;
    if (pod.with_proxy) ++readiness.with_proxy;
}

}  // namespace meshorch::kubernetes::detail
