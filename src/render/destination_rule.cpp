// DestinationRule M: one subset per version, the microservice's traffic policy, ISTIO_MUTUAL.
#include "render/detail.hpp"

#include <meshorch/render.hpp>

#include <boost/json/array.hpp>

namespace meshorch::render_detail {
namespace {

boost::json::object connection_pool(const ConnectionPool& cp) {
    boost::json::object tcp;
    if (cp.max_connections) tcp["maxConnections"] = *cp.max_connections;
    if (cp.connect_timeout) tcp["connectTimeout"] = duration_string(*cp.connect_timeout);
    boost::json::object http;
    if (cp.http1_max_pending_requests) {
        http["http1MaxPendingRequests"] = *cp.http1_max_pending_requests;
    }
    if (cp.http2_max_requests) http["http2MaxRequests"] = *cp.http2_max_requests;
    if (cp.max_requests_per_connection) {
        http["maxRequestsPerConnection"] = *cp.max_requests_per_connection;
    }
    if (cp.max_retries) http["maxRetries"] = *cp.max_retries;
    boost::json::object out;
    if (!tcp.empty()) out["tcp"] = std::move(tcp);
    if (!http.empty()) out["http"] = std::move(http);
    return out;
}

boost::json::object outlier_detection(const OutlierDetection& od) {
    boost::json::object out;
    out["consecutive5xxErrors"] = od.consecutive_5xx_errors;
    out["interval"] = duration_string(od.interval);
    out["baseEjectionTime"] = duration_string(od.base_ejection_time);
    out["maxEjectionPercent"] = od.max_ejection_percent;
    return out;
}

}  // namespace

Object render_destination_rule(const ServiceSpec& spec, const Microservice& ms) {
    const auto& tp = ms.traffic_policy;
    boost::json::object policy;
    if (tp.load_balancer) {
        boost::json::object lb;
        lb["simple"] = to_string(*tp.load_balancer);
        policy["loadBalancer"] = std::move(lb);
    }
    if (tp.connection_pool) {
        if (auto cp = connection_pool(*tp.connection_pool); !cp.empty()) {
            policy["connectionPool"] = std::move(cp);
        }
    }
    if (tp.outlier_detection) policy["outlierDetection"] = outlier_detection(*tp.outlier_detection);
    boost::json::object tls;
    tls["mode"] = "ISTIO_MUTUAL";
    policy["tls"] = std::move(tls);

    boost::json::array subsets;
    for (const auto& v : ms.versions) {
        boost::json::object labels;
        labels["version"] = v.name;
        boost::json::object subset;
        subset["name"] = v.name;
        subset["labels"] = std::move(labels);
        subsets.emplace_back(std::move(subset));
    }

    boost::json::object s;
    s["host"] = fqdn(spec, ms.name);
    s["trafficPolicy"] = std::move(policy);
    if (!subsets.empty()) s["subsets"] = std::move(subsets);
    return make_resource(api_networking, "DestinationRule", make_metadata(spec, ms.name, true),
                         std::move(s));
}

}  // namespace meshorch::render_detail
