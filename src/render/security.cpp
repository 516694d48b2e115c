// PeerAuthentication (the namespace's mTLS mode) and AuthorizationPolicy M (ALLOW exactly the
// microservices linked into M, on the linked ports).
#include "render/detail.hpp"

#include <meshorch/render.hpp>

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace meshorch::render_detail {

Object render_peer_authentication(const ServiceSpec& spec) {
    boost::json::object mtls;
    mtls["mode"] = to_string(spec.mesh.mtls);
    boost::json::object s;
    s["mtls"] = std::move(mtls);
    return make_resource(api_security, "PeerAuthentication", make_metadata(spec, "default", true),
                         std::move(s));
}

std::optional<Object> render_authorization_policy(const ServiceSpec& spec, const Microservice& ms,
                                                  const std::vector<const Link*>& inbound) {
    if (inbound.empty() && !spec.mesh.default_deny) return std::nullopt;

    // (source, port number) of every link into M on a port M has, sorted by source then port,
    // each once. A source linked only on unknown ports gets no rule: it is admitted nothing
    // rather than everything.
    std::vector<std::pair<const std::string*, int>> grants;
    grants.reserve(inbound.size());
    for (const Link* link : inbound) {
        if (const Port* port = ms.find_port(link->port)) {
            grants.emplace_back(&link->from, port->number);
        }
    }
    auto before = [](const auto& a, const auto& b) {
        if (const int c = a.first->compare(*b.first); c != 0) return c < 0;
        return a.second < b.second;
    };
    auto same = [](const auto& a, const auto& b) {
        return *a.first == *b.first && a.second == b.second;
    };
    std::sort(grants.begin(), grants.end(), before);
    grants.erase(std::unique(grants.begin(), grants.end(), same), grants.end());

    const std::string principal_prefix = spiffe_principal_prefix(spec);
    boost::json::array rules;
    for (auto first = grants.begin(); first != grants.end();) {
        const std::string& from = *first->first;
        auto last =
            std::find_if(first, grants.end(), [&](const auto& g) { return *g.first != from; });

        boost::json::string principal;
        principal.reserve(principal_prefix.size() + from.size());
        principal.append(principal_prefix).append(from);
        boost::json::array principals;
        principals.emplace_back(std::move(principal));
        boost::json::object source(1);
        source.emplace("principals", std::move(principals));
        boost::json::object from_entry(1);
        from_entry.emplace("source", std::move(source));

        boost::json::array port_strings;
        port_strings.reserve(static_cast<std::size_t>(last - first));
        for (; first != last; ++first) port_strings.emplace_back(std::to_string(first->second));
        boost::json::object operation(1);
        operation.emplace("ports", std::move(port_strings));
        boost::json::object to_entry(1);
        to_entry.emplace("operation", std::move(operation));

        boost::json::array from_list;
        from_list.emplace_back(std::move(from_entry));
        boost::json::array to_list;
        to_list.emplace_back(std::move(to_entry));
        boost::json::object rule(2);
        rule.emplace("from", std::move(from_list));
        rule.emplace("to", std::move(to_list));
        rules.emplace_back(std::move(rule));
    }

    boost::json::object selector(1);
    selector.emplace("matchLabels", app_labels(ms.name));
    boost::json::object s(3);
    s.emplace("selector", std::move(selector));
    s.emplace("action", "ALLOW");
    // An ALLOW policy without rules matches no request: the workload admits no one.
    if (!rules.empty()) s.emplace("rules", std::move(rules));
    return make_resource(api_security, "AuthorizationPolicy", make_metadata(spec, ms.name, true),
                         std::move(s));
}

}  // namespace meshorch::render_detail
