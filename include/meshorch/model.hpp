// The service model: plain value types (copyable, comparable), no I/O.
// A ServiceSpec is what a deployer hands over; spec.hpp reads and writes it.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace meshorch {

using Duration = std::chrono::milliseconds;

// ---- mesh-wide settings ---------------------------------------------------------------------

enum class MtlsMode { strict, permissive };

struct MeshSettings {
    MtlsMode mtls = MtlsMode::strict;
    bool default_deny = true;  // a microservice admits only what links into it
    std::string trust_domain = "cluster.local";
    std::string revision;  // Istio control-plane revision; empty = default
    friend bool operator==(const MeshSettings&, const MeshSettings&) = default;
};

// ---- microservice ---------------------------------------------------------------------------

enum class Protocol { http, http2, grpc, tcp };

struct Port {
    std::string name;  // DNS-1123 label, unique within the microservice
    std::uint16_t number = 0;
    Protocol protocol = Protocol::http;
    friend bool operator==(const Port&, const Port&) = default;
};

struct HttpGetCheck {
    std::string path = "/";
    std::uint16_t port = 0;
    friend bool operator==(const HttpGetCheck&, const HttpGetCheck&) = default;
};
struct TcpCheck {
    std::uint16_t port = 0;
    friend bool operator==(const TcpCheck&, const TcpCheck&) = default;
};
struct ExecCheck {
    std::vector<std::string> command;
    friend bool operator==(const ExecCheck&, const ExecCheck&) = default;
};

struct HealthCheck {
    std::variant<HttpGetCheck, TcpCheck, ExecCheck> probe;
    Duration initial_delay{0};
    Duration period{std::chrono::seconds(10)};
    Duration timeout{std::chrono::seconds(1)};
    int success_threshold = 1;
    int failure_threshold = 3;
    friend bool operator==(const HealthCheck&, const HealthCheck&) = default;
};

enum class LoadBalancer { round_robin, least_request, random, passthrough };

struct ConnectionPool {
    std::optional<int> max_connections;              // tcp.maxConnections
    std::optional<Duration> connect_timeout;         // tcp.connectTimeout
    std::optional<int> http1_max_pending_requests;   // http.http1MaxPendingRequests
    std::optional<int> http2_max_requests;           // http.http2MaxRequests
    std::optional<int> max_requests_per_connection;  // http.maxRequestsPerConnection
    std::optional<int> max_retries;                  // http.maxRetries
    friend bool operator==(const ConnectionPool&, const ConnectionPool&) = default;
};

// Circuit breaking: eject a host after consecutive errors.
struct OutlierDetection {
    int consecutive_5xx_errors = 5;
    Duration interval{std::chrono::seconds(10)};
    Duration base_ejection_time{std::chrono::seconds(30)};
    int max_ejection_percent = 10;
    friend bool operator==(const OutlierDetection&, const OutlierDetection&) = default;
};

struct TrafficPolicy {
    std::optional<LoadBalancer> load_balancer;
    std::optional<ConnectionPool> connection_pool;
    std::optional<OutlierDetection> outlier_detection;
    friend bool operator==(const TrafficPolicy&, const TrafficPolicy&) = default;
};

// ---- versions (workloads) -------------------------------------------------------------------

struct VmWorkload {
    std::string image;
    std::string flavor;
    std::string network;
    int instances = 1;
    friend bool operator==(const VmWorkload&, const VmWorkload&) = default;
};

struct ResourceList {
    std::string cpu;     // Kubernetes quantity, e.g. "100m"
    std::string memory;  // e.g. "128Mi"
    friend bool operator==(const ResourceList&, const ResourceList&) = default;
};

struct ContainerWorkload {
    std::string image;
    int replicas = 1;
    ResourceList requests;
    ResourceList limits;
    friend bool operator==(const ContainerWorkload&, const ContainerWorkload&) = default;
};

// What Tacker needs to create and instantiate the VNF of one version.
struct VnfPackageRef {
    std::string vnfd_id;
    std::string flavour_id;
    std::string instantiation_level;   // optional
    boost::json::object extra_params;  // passed through as additionalParams
    friend bool operator==(const VnfPackageRef&, const VnfPackageRef&) = default;
};

enum class Substrate { vm, container };

struct Version {
    std::string name;  // DNS-1123 label; becomes the `version` label and the subset name
    std::variant<VmWorkload, ContainerWorkload> workload;
    VnfPackageRef vnf;

    Substrate substrate() const noexcept {
        return workload.index() == 0 ? Substrate::vm : Substrate::container;
    }
    // Number of workload instances: VMs or pod replicas.
    int instance_count() const noexcept;
    friend bool operator==(const Version&, const Version&) = default;
};

struct Microservice {
    std::string name;  // DNS-1123 label; the Service, ServiceAccount and `app` label
    std::vector<Port> ports;
    std::optional<HealthCheck> health_check;
    TrafficPolicy traffic_policy;
    std::vector<Version> versions;

    const Port* find_port(std::string_view name) const noexcept;
    const Version* find_version(std::string_view name) const noexcept;
    friend bool operator==(const Microservice&, const Microservice&) = default;
};

// ---- links ----------------------------------------------------------------------------------

enum class MatchKind { exact, prefix, regex };

struct StringMatch {
    MatchKind kind = MatchKind::exact;
    std::string value;
    friend bool operator==(const StringMatch&, const StringMatch&) = default;
};

struct RouteMatch {
    std::optional<StringMatch> uri;
    std::map<std::string, StringMatch> headers;  // header name (lower case) -> match
    friend bool operator==(const RouteMatch&, const RouteMatch&) = default;
};

struct WeightedVersion {
    std::string version;
    int weight = 100;  // percent; the weights of one route sum to 100
    friend bool operator==(const WeightedVersion&, const WeightedVersion&) = default;
};

struct Route {
    std::optional<RouteMatch> match;     // none: matches everything from the link's source
    std::vector<WeightedVersion> split;  // empty: all versions, as the Service balances them
    friend bool operator==(const Route&, const Route&) = default;
};

struct RetryPolicy {
    int attempts = 0;
    std::optional<Duration> per_try_timeout;
    std::string retry_on;  // Envoy's retry-on list, e.g. "5xx,connect-failure"
    friend bool operator==(const RetryPolicy&, const RetryPolicy&) = default;
};

struct DelayFault {
    Duration fixed_delay{0};
    double percentage = 100.0;
    friend bool operator==(const DelayFault&, const DelayFault&) = default;
};
struct AbortFault {
    int http_status = 503;
    double percentage = 100.0;
    friend bool operator==(const AbortFault&, const AbortFault&) = default;
};
struct FaultInjection {
    std::optional<DelayFault> delay;
    std::optional<AbortFault> abort;
    friend bool operator==(const FaultInjection&, const FaultInjection&) = default;
};

// Copy a share of the link's traffic to one version of the destination, responses ignored.
struct Mirror {
    std::string version;
    double percentage = 100.0;
    friend bool operator==(const Mirror&, const Mirror&) = default;
};

// Traffic from one microservice to another, on one of the destination's ports.
struct Link {
    std::string from;
    std::string to;
    std::string port;  // name of a port of `to`
    std::vector<Route> routes;
    std::optional<Duration> timeout;
    std::optional<RetryPolicy> retries;
    std::optional<FaultInjection> fault;
    std::optional<Mirror> mirror;
    friend bool operator==(const Link&, const Link&) = default;
};

// ---- the service ----------------------------------------------------------------------------

struct ServiceSpec {
    std::string name;                           // DNS-1123 label
    std::string namespace_;                     // Kubernetes namespace; defaults to the name
    std::map<std::string, std::string> labels;  // metadata.labels, carried through
    MeshSettings mesh;
    std::vector<Microservice> microservices;
    std::vector<Link> links;

    const Microservice* find_microservice(std::string_view name) const noexcept;
    friend bool operator==(const ServiceSpec&, const ServiceSpec&) = default;
};

const char* to_string(Protocol) noexcept;      // "HTTP", "HTTP2", "GRPC", "TCP"
const char* to_string(MtlsMode) noexcept;      // "STRICT", "PERMISSIVE"
const char* to_string(LoadBalancer) noexcept;  // "ROUND_ROBIN", ...
const char* to_string(Substrate) noexcept;     // "vm", "container"

}  // namespace meshorch
