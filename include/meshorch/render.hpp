// Spec (+ observed facts) -> the Kubernetes and Istio objects that should exist. Pure.
#pragma once

#include <meshorch/model.hpp>
#include <meshorch/object.hpp>

#include <boost/json/object.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace meshorch {

// One VM the VNF manager reported for a version.
struct VmInstance {
    std::string server_id;  // e.g. the Nova server id; informative
    std::string address;    // IPv4 or IPv6 address the mesh reaches it at
    friend bool operator==(const VmInstance&, const VmInstance&) = default;
};

// Facts learned from the infrastructure that the desired state depends on.
struct Observed {
    // (microservice, version) -> its VMs, in a stable order (the engine sorts by server id).
    // Instance i renders as WorkloadEntry "<microservice>-<version>-<i>".
    std::map<std::pair<std::string, std::string>, std::vector<VmInstance>> vms;
    friend bool operator==(const Observed&, const Observed&) = default;
};

// Everything of DESIGN.md section 4 for a valid spec: Namespace, ServiceAccounts, Services,
// WorkloadGroups, WorkloadEntries (one per observed VM), DestinationRules, VirtualServices,
// PeerAuthentication, AuthorizationPolicies, Sidecars. Deterministic.
ObjectSet render(const ServiceSpec& spec, const Observed& observed = {});

// The parts of render() the engine applies at different phases.
ObjectSet render_cluster_prerequisites(const ServiceSpec& spec);  // Namespace, SA, Service, WG
ObjectSet render_workload_entries(const ServiceSpec& spec, const Observed& observed);
ObjectSet render_mesh_config(const ServiceSpec& spec);  // DR, VS, PA, AuthZ, Sidecar

// A Deployment for a container version (pods labelled app/version, serviceAccountName = the
// microservice). Tacker takes it from the VNF package; the simulated infrastructure and a
// direct-Kubernetes path use this one.
Object render_deployment(const ServiceSpec& spec, const Microservice& ms, const Version& v);

// Names shared by render and the engine.
std::string fqdn(const ServiceSpec& spec,
                 const std::string& microservice);  // m.ns.svc.cluster.local
std::string workload_name(const std::string& microservice, const std::string& version);  // m-v
std::string spiffe_principal(const ServiceSpec& spec,
                             const std::string& microservice);  // td/ns/N/sa/M
// Labels every owned object carries.
boost::json::object ownership_labels(const ServiceSpec& spec);

}  // namespace meshorch
