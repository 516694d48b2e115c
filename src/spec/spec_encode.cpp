// ServiceSpec -> envelope document. Every field is written, except optional ones that are
// absent or empty; the document reads back to the same spec.

#include <meshorch/document.hpp>
#include <meshorch/spec.hpp>

#include "spec/duration.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cmath>

namespace meshorch {

namespace {

namespace json = boost::json;
using spec_detail::format_duration;

// Whole percentages are written as integers (10, not 10.0); both read back as the same double.
json::value percentage(double p) {
    if (std::isfinite(p) && std::floor(p) == p && std::fabs(p) < 1e15) {
        return static_cast<std::int64_t>(p);
    }
    return p;
}

json::object string_match(const StringMatch& m) {
    const char* key = m.kind == MatchKind::exact    ? "exact"
                      : m.kind == MatchKind::prefix ? "prefix"
                                                    : "regex";
    json::object o;
    o[key] = m.value;
    return o;
}

json::object port(const Port& p) {
    json::object o;
    o["name"] = p.name;
    o["number"] = static_cast<int>(p.number);
    o["protocol"] = to_string(p.protocol);
    return o;
}

json::object health_check(const HealthCheck& hc) {
    json::object o;
    if (const auto* http = std::get_if<HttpGetCheck>(&hc.probe)) {
        o["httpGet"] = json::object{{"path", http->path}, {"port", static_cast<int>(http->port)}};
    } else if (const auto* tcp = std::get_if<TcpCheck>(&hc.probe)) {
        o["tcpSocket"] = json::object{{"port", static_cast<int>(tcp->port)}};
    } else {
        json::array cmd;
        for (const auto& arg : std::get<ExecCheck>(hc.probe).command) cmd.emplace_back(arg);
        o["exec"] = json::object{{"command", std::move(cmd)}};
    }
    o["initialDelay"] = format_duration(hc.initial_delay);
    o["period"] = format_duration(hc.period);
    o["timeout"] = format_duration(hc.timeout);
    o["successThreshold"] = hc.success_threshold;
    o["failureThreshold"] = hc.failure_threshold;
    return o;
}

json::object traffic_policy(const TrafficPolicy& tp) {
    json::object o;
    if (tp.load_balancer) o["loadBalancer"] = to_string(*tp.load_balancer);
    if (tp.connection_pool) {
        const ConnectionPool& cp = *tp.connection_pool;
        json::object c;
        if (cp.max_connections) c["maxConnections"] = *cp.max_connections;
        if (cp.connect_timeout) c["connectTimeout"] = format_duration(*cp.connect_timeout);
        if (cp.http1_max_pending_requests) {
            c["http1MaxPendingRequests"] = *cp.http1_max_pending_requests;
        }
        if (cp.http2_max_requests) c["http2MaxRequests"] = *cp.http2_max_requests;
        if (cp.max_requests_per_connection) {
            c["maxRequestsPerConnection"] = *cp.max_requests_per_connection;
        }
        if (cp.max_retries) c["maxRetries"] = *cp.max_retries;
        o["connectionPool"] = std::move(c);
    }
    if (tp.outlier_detection) {
        const OutlierDetection& od = *tp.outlier_detection;
        o["outlierDetection"] = json::object{
            {"consecutive5xxErrors", od.consecutive_5xx_errors},
            {"interval", format_duration(od.interval)},
            {"baseEjectionTime", format_duration(od.base_ejection_time)},
            {"maxEjectionPercent", od.max_ejection_percent},
        };
    }
    return o;
}

json::object resource_list(const ResourceList& r) {
    json::object o;
    if (!r.cpu.empty()) o["cpu"] = r.cpu;
    if (!r.memory.empty()) o["memory"] = r.memory;
    return o;
}

json::object version(const Version& v) {
    json::object o;
    o["name"] = v.name;
    if (const auto* vm = std::get_if<VmWorkload>(&v.workload)) {
        o["vm"] = json::object{{"image", vm->image},
                               {"flavor", vm->flavor},
                               {"network", vm->network},
                               {"instances", vm->instances}};
    } else {
        const auto& c = std::get<ContainerWorkload>(v.workload);
        json::object co{{"image", c.image}, {"replicas", c.replicas}};
        json::object resources;
        if (auto req = resource_list(c.requests); !req.empty()) resources["requests"] = req;
        if (auto lim = resource_list(c.limits); !lim.empty()) resources["limits"] = lim;
        if (!resources.empty()) co["resources"] = std::move(resources);
        o["container"] = std::move(co);
    }
    json::object vnf{{"vnfdId", v.vnf.vnfd_id}, {"flavourId", v.vnf.flavour_id}};
    if (!v.vnf.instantiation_level.empty()) {
        vnf["instantiationLevel"] = v.vnf.instantiation_level;
    }
    if (!v.vnf.extra_params.empty()) vnf["extraParams"] = v.vnf.extra_params;
    o["vnf"] = std::move(vnf);
    return o;
}

json::object microservice(const Microservice& ms) {
    json::object o;
    o["name"] = ms.name;
    json::array ports;
    for (const auto& p : ms.ports) ports.emplace_back(port(p));
    o["ports"] = std::move(ports);
    if (ms.health_check) o["healthCheck"] = health_check(*ms.health_check);
    if (auto tp = traffic_policy(ms.traffic_policy); !tp.empty()) o["trafficPolicy"] = tp;
    json::array versions;
    for (const auto& v : ms.versions) versions.emplace_back(version(v));
    o["versions"] = std::move(versions);
    return o;
}

json::object link(const Link& l) {
    json::object o;
    o["from"] = l.from;
    o["to"] = l.to;
    o["port"] = l.port;
    if (l.timeout) o["timeout"] = format_duration(*l.timeout);
    if (l.retries) {
        json::object r{{"attempts", l.retries->attempts}};
        if (l.retries->per_try_timeout) {
            r["perTryTimeout"] = format_duration(*l.retries->per_try_timeout);
        }
        if (!l.retries->retry_on.empty()) r["retryOn"] = l.retries->retry_on;
        o["retries"] = std::move(r);
    }
    if (l.fault) {
        json::object f;
        if (l.fault->delay) {
            f["delay"] = json::object{{"fixedDelay", format_duration(l.fault->delay->fixed_delay)},
                                      {"percentage", percentage(l.fault->delay->percentage)}};
        }
        if (l.fault->abort) {
            f["abort"] = json::object{{"httpStatus", l.fault->abort->http_status},
                                      {"percentage", percentage(l.fault->abort->percentage)}};
        }
        o["fault"] = std::move(f);
    }
    if (l.mirror) {
        o["mirror"] = json::object{{"version", l.mirror->version},
                                   {"percentage", percentage(l.mirror->percentage)}};
    }
    if (!l.routes.empty()) {
        json::array routes;
        for (const auto& route : l.routes) {
            json::object r;
            if (route.match) {
                json::object m;
                if (route.match->uri) m["uri"] = string_match(*route.match->uri);
                if (!route.match->headers.empty()) {
                    json::object headers;
                    for (const auto& [name, match] : route.match->headers) {
                        headers[name] = string_match(match);
                    }
                    m["headers"] = std::move(headers);
                }
                r["match"] = std::move(m);
            }
            if (!route.split.empty()) {
                json::array split;
                for (const auto& wv : route.split) {
                    split.emplace_back(
                        json::object{{"version", wv.version}, {"weight", wv.weight}});
                }
                r["split"] = std::move(split);
            }
            routes.emplace_back(std::move(r));
        }
        o["routes"] = std::move(routes);
    }
    return o;
}

}  // namespace

json::value spec_to_json(const ServiceSpec& spec) {
    json::object metadata{{"name", spec.name}, {"namespace", spec.namespace_}};
    if (!spec.labels.empty()) {
        json::object labels;
        for (const auto& [k, v] : spec.labels) labels[k] = v;
        metadata["labels"] = std::move(labels);
    }
    json::object mesh{{"mtls", to_string(spec.mesh.mtls)},
                      {"defaultDeny", spec.mesh.default_deny},
                      {"trustDomain", spec.mesh.trust_domain}};
    if (!spec.mesh.revision.empty()) mesh["revision"] = spec.mesh.revision;
    json::array microservices;
    for (const auto& ms : spec.microservices) microservices.emplace_back(microservice(ms));
    json::object body{{"mesh", std::move(mesh)}, {"microservices", std::move(microservices)}};
    if (!spec.links.empty()) {
        json::array links;
        for (const auto& l : spec.links) links.emplace_back(link(l));
        body["links"] = std::move(links);
    }
    return json::object{{"apiVersion", spec_api_version},
                        {"kind", spec_kind},
                        {"metadata", std::move(metadata)},
                        {"spec", std::move(body)}};
}

std::string dump_spec(const ServiceSpec& spec, Format format) {
    const json::value doc = spec_to_json(spec);
    return format == Format::json ? to_pretty_json(doc) : to_yaml(doc);
}

}  // namespace meshorch
