// PeerAuthentication (the namespace's mTLS mode) and AuthorizationPolicy M (ALLOW exactly the
// microservices linked into M, on the linked ports).
#include "render/detail.hpp"

#include <meshorch/render.hpp>

#include <boost/json/array.hpp>

#include <map>
#include <set>

namespace meshorch::render_detail {

Object render_peer_authentication(const ServiceSpec& spec) {
    boost::json::object mtls;
    mtls["mode"] = to_string(spec.mesh.mtls);
    boost::json::object s;
    s["mtls"] = std::move(mtls);
    return make_resource(api_security, "PeerAuthentication", make_metadata(spec, "default", true),
                         std::move(s));
}

std::optional<Object> render_authorization_policy(const ServiceSpec& spec, const Microservice& ms) {
    // source microservice -> the port numbers it is linked to (both sorted by std::map/set).
    std::map<std::string, std::set<int>> sources;
    for (const auto& link : spec.links) {
        if (link.to != ms.name) continue;
        auto& ports = sources[link.from];
        if (const Port* port = ms.find_port(link.port)) ports.insert(port->number);
    }
    if (sources.empty() && !spec.mesh.default_deny) return std::nullopt;

    boost::json::array rules;
    for (const auto& [from, ports] : sources) {
        if (ports.empty()) continue;  // only unknown ports: admit nothing rather than everything
        boost::json::object source;
        source["principals"] = boost::json::array{boost::json::value(spiffe_principal(spec, from))};
        boost::json::object from_entry;
        from_entry["source"] = std::move(source);

        boost::json::array port_strings;
        for (int p : ports) port_strings.emplace_back(std::to_string(p));
        boost::json::object operation;
        operation["ports"] = std::move(port_strings);
        boost::json::object to_entry;
        to_entry["operation"] = std::move(operation);

        boost::json::object rule;
        rule["from"] = boost::json::array{std::move(from_entry)};
        rule["to"] = boost::json::array{std::move(to_entry)};
        rules.emplace_back(std::move(rule));
    }

    boost::json::object selector;
    selector["matchLabels"] = app_labels(ms.name);
    boost::json::object s;
    s["selector"] = std::move(selector);
    s["action"] = "ALLOW";
    // An ALLOW policy without rules matches no request: the workload admits no one.
    if (!rules.empty()) s["rules"] = std::move(rules);
    return make_resource(api_security, "AuthorizationPolicy", make_metadata(spec, ms.name, true),
                         std::move(s));
}

}  // namespace meshorch::render_detail
