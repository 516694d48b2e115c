// DestinationRule M: one subset per version, the microservice's traffic policy, ISTIO_MUTUAL.
#include "render/detail.hpp"

#include <meshorch/render.hpp>

#include <boost/json/array.hpp>

namespace meshorch::render_detail {
namespace {

boost::json::object connection_pool(const ConnectionPool& cp) {
    boost::json::object tcp(2);
    if (cp.max_connections) tcp.emplace("maxConnections", *cp.max_connections);
    if (cp.connect_timeout) tcp.emplace("connectTimeout", duration_string(*cp.connect_timeout));
    boost::json::object http(4);
    if (cp.http1_max_pending_requests) {
        http.emplace("http1MaxPendingRequests", *cp.http1_max_pending_requests);
    }
    if (cp.http2_max_requests) http.emplace("http2MaxRequests", *cp.http2_max_requests);
    if (cp.max_requests_per_connection) {
        http.emplace("maxRequestsPerConnection", *cp.max_requests_per_connection);
    }
    if (cp.max_retries) http.emplace("maxRetries", *cp.max_retries);
    boost::json::object out(2);
    if (!tcp.empty()) out.emplace("tcp", std::move(tcp));
    if (!http.empty()) out.emplace("http", std::move(http));
    return out;
}

boost::json::object outlier_detection(const OutlierDetection& od) {
    return {{"consecutive5xxErrors", od.consecutive_5xx_errors},
            {"interval", duration_string(od.interval)},
            {"baseEjectionTime", duration_string(od.base_ejection_time)},
            {"maxEjectionPercent", od.max_ejection_percent}};
}

}  // namespace

Object render_destination_rule(const ServiceSpec& spec, const Microservice& ms) {
    const auto& tp = ms.traffic_policy;
    boost::json::object policy(4);
    if (tp.load_balancer) {
        policy.emplace("loadBalancer",
                       boost::json::object{{"simple", to_string(*tp.load_balancer)}});
    }
    if (tp.connection_pool) {
        if (auto cp = connection_pool(*tp.connection_pool); !cp.empty()) {
            policy.emplace("connectionPool", std::move(cp));
        }
    }
    if (tp.outlier_detection) {
        policy.emplace("outlierDetection", outlier_detection(*tp.outlier_detection));
    }
    policy.emplace("tls", boost::json::object{{"mode", "ISTIO_MUTUAL"}});

    boost::json::array subsets;
    subsets.reserve(ms.versions.size());
    for (const auto& v : ms.versions) {
        boost::json::object subset(2);
        subset.emplace("name", v.name);
        subset.emplace("labels", boost::json::object{{"version", v.name}});
        subsets.emplace_back(std::move(subset));
    }

    boost::json::object s(3);
    s.emplace("host", fqdn(spec, ms.name));
    s.emplace("trafficPolicy", std::move(policy));
    if (!subsets.empty()) s.emplace("subsets", std::move(subsets));
    return make_resource(api_networking, "DestinationRule", make_metadata(spec, ms.name, true),
                         std::move(s));
}

}  // namespace meshorch::render_detail
