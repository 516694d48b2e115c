// Sidecar M: the proxy of M only learns about the hosts M links to (plus the control plane).
#include "render/detail.hpp"

#include <meshorch/render.hpp>

#include <boost/json/array.hpp>
#include <boost/json/string.hpp>

#include <algorithm>

namespace meshorch::render_detail {

Object render_sidecar(const ServiceSpec& spec, const Microservice& ms,
                      const std::vector<const Link*>& outbound) {
    boost::json::array hosts;
    if (spec.mesh.default_deny) {
        // "./<fqdn>" of every target, sorted, each once. Built in place: this runs for every
        // microservice of the service.
        const std::string suffix = fqdn_suffix(spec);
        hosts.reserve(1 + outbound.size());
        hosts.emplace_back("istio-system/*");
        for (const Link* link : outbound) {
            boost::json::string target;
            target.reserve(2 + link->to.size() + suffix.size());
            target.append("./").append(link->to).append(suffix);
            hosts.emplace_back(std::move(target));
        }
        auto by_text = [](const boost::json::value& a, const boost::json::value& b) {
            return a.get_string() < b.get_string();
        };
        auto same_text = [](const boost::json::value& a, const boost::json::value& b) {
            return a.get_string() == b.get_string();
        };
        std::sort(hosts.begin() + 1, hosts.end(), by_text);
        hosts.erase(std::unique(hosts.begin() + 1, hosts.end(), same_text), hosts.end());
    } else {
        // Without default-deny any microservice of the service may call any other: an egress
        // list limited to the links would send unlinked calls out of the mesh (passthrough,
        // plain text), where STRICT mTLS rejects them.
        hosts.reserve(2);
        hosts.emplace_back("istio-system/*");
        hosts.emplace_back("./*");
    }

    boost::json::object egress(1);
    egress.emplace("hosts", std::move(hosts));
    boost::json::array egress_list;
    egress_list.emplace_back(std::move(egress));
    boost::json::object selector(1);
    selector.emplace("labels", app_labels(ms.name));
    boost::json::object s(2);
    s.emplace("workloadSelector", std::move(selector));
    s.emplace("egress", std::move(egress_list));
    return make_resource(api_networking, "Sidecar", make_metadata(spec, ms.name, true),
                         std::move(s));
}

}  // namespace meshorch::render_detail
