// Internal helpers shared by the render sources. Not installed, not part of the API.
#pragma once

#include <meshorch/model.hpp>
#include <meshorch/object.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace meshorch::render_detail {

inline constexpr const char* api_core = "v1";
inline constexpr const char* api_apps = "apps/v1";
inline constexpr const char* api_networking = "networking.istio.io/v1";
inline constexpr const char* api_security = "security.istio.io/v1";

// The Kubernetes namespace of the service (spec.namespace_, or the name when empty).
std::string namespace_of(const ServiceSpec& spec);
// What fqdn() puts after the microservice name: ".<namespace>.svc.cluster.local".
std::string fqdn_suffix(const ServiceSpec& spec);
// What spiffe_principal() puts before the microservice name: "<trust domain>/ns/<namespace>/sa/".
std::string spiffe_principal_prefix(const ServiceSpec& spec);

// metadata.labels: the ownership labels, then `extra`, then the spec's own labels. A key that is
// already set is never overwritten, so ownership labels always keep meshorch's values.
boost::json::object object_labels(const ServiceSpec& spec, const boost::json::object& extra = {});

// metadata {name, namespace (when namespaced), labels, annotations (when any)}.
boost::json::object make_metadata(const ServiceSpec& spec, const std::string& name, bool namespaced,
                                  const boost::json::object& extra_labels = {},
                                  const boost::json::object& annotations = {});

// {apiVersion, kind, metadata, spec} as an Object.
Object make_resource(const char* api_version, const char* kind, boost::json::object metadata,
                     boost::json::object spec);

// {app: M, version: V} and {app: M}.
boost::json::object app_version_labels(const std::string& microservice, const std::string& version);
boost::json::object app_labels(const std::string& microservice);

// Protobuf JSON duration in seconds: "10s", "0.5s", "1.25s".
std::string duration_string(Duration d);
// Whole seconds, rounded up; at least `minimum`.
std::int64_t whole_seconds(Duration d, std::int64_t minimum);
// A percentage or other double as JSON: an integer when it has no fraction (100, not 1E2).
boost::json::value number_value(double x);

// Service appProtocol for a port: "http", "http2", "grpc", "tcp".
const char* app_protocol(Protocol p) noexcept;

// The port a health check probes: its own, or the microservice's first port when it says 0.
std::int64_t probe_port(const Microservice& ms, std::uint16_t port) noexcept;

// The links into and out of one microservice, each in spec order.
struct MicroserviceLinks {
    std::vector<const Link*> inbound;   // link.to is the microservice
    std::vector<const Link*> outbound;  // link.from is the microservice
};

// The links of a spec by microservice name. Refers into the spec: it must outlive the index.
class LinkIndex {
public:
    explicit LinkIndex(const ServiceSpec& spec);
    // No links at all for a name that appears in none.
    const MicroserviceLinks& of(const std::string& microservice) const;

private:
    std::unordered_map<std::string_view, MicroserviceLinks> by_name_;
    MicroserviceLinks none_;
};

// ---- one function per object kind ----------------------------------------------------------
Object render_namespace(const ServiceSpec& spec);
Object render_service_account(const ServiceSpec& spec, const Microservice& ms);
Object render_service(const ServiceSpec& spec, const Microservice& ms);
Object render_workload_group(const ServiceSpec& spec, const Microservice& ms, const Version& v);
std::optional<Object> render_workload_entry(const ServiceSpec& spec, const Microservice& ms,
                                            const Version& v, std::size_t index,
                                            const std::string& address);

Object render_destination_rule(const ServiceSpec& spec, const Microservice& ms);
// The mesh objects of M take the links into M (`inbound`) or out of M (`outbound`) from a
// LinkIndex.
// Only for a microservice with at least one inbound link.
std::optional<Object> render_virtual_service(const ServiceSpec& spec, const Microservice& ms,
                                             const std::vector<const Link*>& inbound);
Object render_peer_authentication(const ServiceSpec& spec);
// None when default-deny is off and nothing links into the microservice.
std::optional<Object> render_authorization_policy(const ServiceSpec& spec, const Microservice& ms,
                                                  const std::vector<const Link*>& inbound);
Object render_sidecar(const ServiceSpec& spec, const Microservice& ms,
                      const std::vector<const Link*>& outbound);

}  // namespace meshorch::render_detail
