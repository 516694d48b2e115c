// The VM bootstrap bundle: the five files the Istio proxy on a VM reads, rendered the way
// `istioctl x workload entry configure` renders them (istio/istio,
// istioctl/pkg/workload/workload.go), with the same keys and meaning. Pure: no I/O.
//
//   cluster.env    sourced by the proxy's start script (`set -a; . cluster.env`) ->
//                  /var/lib/istio/envoy/cluster.env. KEY='value' lines, every value single-quoted
//                  (safe for any content), lines sorted as istioctl sorts them.
//   mesh.yaml      {defaultConfig: ProxyConfig} -> /etc/istio/config/mesh: discoveryAddress,
//                  proxyMetadata (the same metadata cluster.env carries), readinessProbe (the
//                  WorkloadGroup's probe), statusPort when not the default.
//   root-cert.pem  the mesh root certificate, verbatim -> /etc/certs/root-cert.pem
//   istio-token    the ServiceAccount token (audience istio-ca), verbatim ->
//                  /var/run/secrets/tokens/istio-token
//   hosts          "<istiod ip> <istiod host>\n" to append to /etc/hosts; empty when no IP is known
//                  (istioctl writes an empty file then too).
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/model.hpp>
#include <meshorch/ports.hpp>  // VmBundle

#include <boost/json/object.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace meshorch {

// File names (keys of VmBundle::files).
inline constexpr const char* vm_bundle_cluster_env = "cluster.env";
inline constexpr const char* vm_bundle_mesh_yaml = "mesh.yaml";
inline constexpr const char* vm_bundle_root_cert = "root-cert.pem";
inline constexpr const char* vm_bundle_token = "istio-token";
inline constexpr const char* vm_bundle_hosts = "hosts";

// Istio's defaults that the bundle refers to.
inline constexpr const char* istio_default_namespace = "istio-system";
inline constexpr std::uint16_t istiod_xds_port = 15012;  // istioctl's IstiodAddr port
inline constexpr std::uint16_t istio_default_status_port = 15020;

// Everything the bundle depends on besides the spec (the spec gives the WorkloadGroup, the
// revision and the trust domain). These are the facts istioctl reads from the cluster or its flags.
struct VmBundleInputs {
    // ---- the control plane
    std::string istio_namespace = istio_default_namespace;  // where istiod runs
    // defaultConfig.discoveryAddress. Empty: Istio's address of the control plane,
    // istiod[-<revision>].<istio_namespace>.svc:15012. With a revision, the unrevisioned default
    // "istiod.<istio_namespace>.svc:15012" is read as "the default" too and becomes the revision's
    // istiod (as istioctl does for a revisioned control plane), so callers may pass the default.
    std::string istiod_address;
    // CA_ADDR. Empty: istiod, i.e. the discovery address; written when the control plane is
    // revisioned (as istioctl) or not at the address the VM's start script assumes
    // (istiod.istio-system.svc:15012).
    std::string ca_address;
    // IP the VM reaches istiod at (east-west gateway, istioctl --ingressIP), IPv4 or IPv6.
    // Empty: an empty hosts file.
    std::string istiod_ip;
    std::string cluster_id = "Kubernetes";  // ISTIO_META_CLUSTER_ID (istioctl --clusterID)
    std::string mesh_id;                    // ISTIO_META_MESH_ID
    // ISTIO_META_NETWORK, unless the WorkloadGroup template names a network.
    std::string network;
    std::string service_cidr;  // ISTIO_SERVICE_CIDR: outbound ranges to capture; empty = "*"
    // defaultConfig.proxyMetadata of the control plane's mesh config, with a WorkloadGroup's
    // proxy.istio.io/config annotation already merged over it (istioctl merges both). The keys
    // the bundle computes override these, as in istioctl. Keys must be shell variable names.
    std::map<std::string, std::string> proxy_metadata;
    std::uint16_t status_port = 0;  // defaultConfig.statusPort; 0 = Istio's default (15020)
    bool dns_capture = true;        // ISTIO_META_DNS_CAPTURE (istioctl --capture-dns, default on)
    bool auto_register = false;     // ISTIO_META_AUTO_REGISTER_GROUP (meshorch creates entries)

    // ---- the VM
    // ISTIO_SVC_IP: the VM's address (istioctl --internalIP). Empty: the start script uses the
    // VM's first address.
    std::string vm_address;
    // The address is not on the VM's own interfaces (NAT, a floating IP: istioctl --externalIP):
    // adds REWRITE_PROBE_LEGACY_LOCALHOST_DESTINATION=true so probes go to localhost.
    bool vm_address_external = false;
    // Never captured (ISTIO_LOCAL_EXCLUDE_PORTS). Port 22 is excluded always, as istioctl does.
    std::uint16_t ssh_port = 22;

    // ---- secrets, written verbatim
    std::string token;      // istio-token: TokenRequest for the ServiceAccount, audience istio-ca
    std::string root_cert;  // root-cert.pem: ConfigMap istio-ca-root-cert, key root-cert.pem

    friend bool operator==(const VmBundleInputs&, const VmBundleInputs&) = default;
};

// Checks the inputs: proxy metadata keys are shell variable names ([A-Za-z_][A-Za-z0-9_]*),
// values hold no NUL byte and are UTF-8, IPs are IPs, addresses are host:port, ports non-zero.
// Errc::invalid_argument with one FieldError per problem ("proxy_metadata.X Y", "istiod_ip").
Status validate_vm_bundle_inputs(const VmBundleInputs& in);

// The bundle for one VM of a VM version of `ms`: what istioctl x workload entry configure writes
// for the WorkloadGroup meshorch renders for (ms, v) (render_cluster_prerequisites), with
// spec.mesh.revision and spec.mesh.trust_domain. Deterministic. Call validate_vm_bundle_inputs
// first: this function never writes an unsafe line, so what fails validation is left out
// (a metadata key that is not a variable name, an invalid IP) or cleaned (NUL bytes dropped, as
// bash drops them; invalid UTF-8 replaced by U+FFFD). Throws std::logic_error only if render's own
// WorkloadGroup were unreadable (a bug).
VmBundle render_vm_bundle(const ServiceSpec& spec, const Microservice& ms, const Version& v,
                          const VmBundleInputs& in);

// istioctl x workload entry configure for any WorkloadGroup manifest (networking.istio.io, any
// served version; metadata.name and metadata.namespace required, apiVersion not checked): the same
// rendering, on the group's spec.metadata.labels, spec.template {serviceAccount (default
// "default"), ports, labels, network} and spec.probe. The proxy.istio.io/config annotation is not
// read: merge it into in.proxy_metadata. Errc::invalid_argument when the inputs fail validation
// or the manifest is malformed.
Result<VmBundle> configure_workload_entry(const boost::json::object& workload_group,
                                          std::string_view revision, std::string_view trust_domain,
                                          const VmBundleInputs& in);

// istiod[-<revision>].<istio_namespace>.svc (istioctl's IstiodHost; "default" is no revision).
std::string istiod_host(std::string_view istio_namespace, std::string_view revision);
// The discovery address the bundle writes for these inputs and revision.
std::string vm_discovery_address(const VmBundleInputs& in, std::string_view revision);

}  // namespace meshorch
