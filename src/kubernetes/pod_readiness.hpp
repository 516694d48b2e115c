// Internal: what a Pod says about readiness and the mesh (pure, shared by polling and the watch).
#pragma once

#include <meshorch/ports.hpp>

#include <boost/json/object.hpp>

#include <string>

namespace meshorch::kubernetes::detail {

inline constexpr const char* proxy_container = "istio-proxy";

struct PodFacts {
    std::string app;      // label app
    std::string version;  // label version
    bool ready = false;   // condition Ready is "True"
    // A container named istio-proxy, or an init container istio-proxy with restartPolicy
    // Always (a native sidecar, Istio's choice on Kubernetes 1.29+).
    bool with_proxy = false;
    friend bool operator==(const PodFacts&, const PodFacts&) = default;
};

PodFacts pod_facts(const boost::json::object& pod);

// Adds one pod to `readiness` when it belongs to (microservice, version).
void count_pod(const PodFacts& pod, const std::string& microservice, const std::string& version,
               WorkloadReadiness& readiness);

}  // namespace meshorch::kubernetes::detail
