// Sidecar M: the proxy of M only learns about the hosts M links to (plus the control plane).
#include "render/detail.hpp"

#include <meshorch/render.hpp>

#include <boost/json/array.hpp>

#include <set>

namespace meshorch::render_detail {

Object render_sidecar(const ServiceSpec& spec, const Microservice& ms) {
    boost::json::array hosts;
    hosts.emplace_back("istio-system/*");
    if (spec.mesh.default_deny) {
        std::set<std::string> targets;
        for (const auto& link : spec.links) {
            if (link.from == ms.name) targets.insert("./" + fqdn(spec, link.to));
        }
        for (const auto& t : targets) hosts.emplace_back(t);
    } else {
        // Without default-deny any microservice of the service may call any other: an egress
        // list limited to the links would send unlinked calls out of the mesh (passthrough,
        // plain text), where STRICT mTLS rejects them.
        hosts.emplace_back("./*");
    }

    boost::json::object egress;
    egress["hosts"] = std::move(hosts);
    boost::json::object selector;
    selector["labels"] = app_labels(ms.name);
    boost::json::object s;
    s["workloadSelector"] = std::move(selector);
    s["egress"] = boost::json::array{std::move(egress)};
    return make_resource(api_networking, "Sidecar", make_metadata(spec, ms.name, true),
                         std::move(s));
}

}  // namespace meshorch::render_detail
