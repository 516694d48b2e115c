// VirtualService M: the routes of every link into M, each limited to its source (sourceLabels)
// and port, in spec order; a final catch-all when default-deny is off.
#include "render/detail.hpp"

#include <meshorch/render.hpp>

#include <boost/json/array.hpp>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace meshorch::render_detail {
namespace {

const char* match_kind(MatchKind k) noexcept {
    switch (k) {
        case MatchKind::exact: return "exact";
        case MatchKind::prefix: return "prefix";
        case MatchKind::regex: return "regex";
    }
    return "exact";
}

boost::json::object string_match(const StringMatch& m) {
    return {{match_kind(m.kind), m.value}};
}

// One match condition: the link's source and port, plus the route's own conditions (HTTP only:
// Istio's TCP routes have no uri or headers).
boost::json::object route_match(const Link& link, const Port& port, const Route& route, bool http) {
    boost::json::object m(4);
    m.emplace("sourceLabels", app_labels(link.from));
    m.emplace("port", std::int64_t{port.number});
    if (http && route.match) {
        if (route.match->uri) m.emplace("uri", string_match(*route.match->uri));
        if (!route.match->headers.empty()) {
            boost::json::object headers(route.match->headers.size());
            for (const auto& [name, match] : route.match->headers) {
                headers.emplace(name, string_match(match));
            }
            m.emplace("headers", std::move(headers));
        }
    }
    return m;
}

boost::json::object destination(const std::string& host, const std::string& subset,
                                std::int64_t port) {
    boost::json::object d(3);
    d.emplace("host", host);
    if (!subset.empty()) d.emplace("subset", subset);
    if (port != 0) d.emplace("port", boost::json::object{{"number", port}});
    return d;
}

boost::json::array route_destinations(const std::string& host, const Port& port,
                                      const Route& route) {
    boost::json::array out;
    if (route.split.empty()) {
        boost::json::object r(1);
        r.emplace("destination", destination(host, {}, port.number));
        out.emplace_back(std::move(r));
        return out;
    }
    out.reserve(route.split.size());
    for (const auto& wv : route.split) {
        boost::json::object r(2);
        r.emplace("destination", destination(host, wv.version, port.number));
        r.emplace("weight", wv.weight);
        out.emplace_back(std::move(r));
    }
    return out;
}

boost::json::object percentage(double value) {
    boost::json::object p(1);
    p.emplace("value", number_value(value));
    return p;
}

bool has_fault(const Link& link) {
    return link.fault && (link.fault->delay || link.fault->abort);
}

// How many members add_link_settings adds, so a route object is sized once.
std::size_t link_settings_size(const Link& link) {
    return (link.timeout ? 1 : 0) + (link.retries ? 1 : 0) + (has_fault(link) ? 1 : 0) +
           (link.mirror ? 2 : 0);
}

// The link-wide HTTP settings every route of the link carries.
void add_link_settings(boost::json::object& r, const Link& link, const std::string& host) {
    if (link.timeout) r.emplace("timeout", duration_string(*link.timeout));
    if (link.retries) {
        boost::json::object retries(3);
        retries.emplace("attempts", link.retries->attempts);
        if (link.retries->per_try_timeout) {
            retries.emplace("perTryTimeout", duration_string(*link.retries->per_try_timeout));
        }
        if (!link.retries->retry_on.empty()) retries.emplace("retryOn", link.retries->retry_on);
        r.emplace("retries", std::move(retries));
    }
    if (has_fault(link)) {
        boost::json::object fault(2);
        if (link.fault->delay) {
            boost::json::object delay(2);
            delay.emplace("fixedDelay", duration_string(link.fault->delay->fixed_delay));
            delay.emplace("percentage", percentage(link.fault->delay->percentage));
            fault.emplace("delay", std::move(delay));
        }
        if (link.fault->abort) {
            boost::json::object abort(2);
            abort.emplace("httpStatus", link.fault->abort->http_status);
            abort.emplace("percentage", percentage(link.fault->abort->percentage));
            fault.emplace("abort", std::move(abort));
        }
        r.emplace("fault", std::move(fault));
    }
    if (link.mirror) {
        r.emplace("mirror", destination(host, link.mirror->version, 0));
        r.emplace("mirrorPercentage", percentage(link.mirror->percentage));
    }
}

}  // namespace

std::optional<Object> render_virtual_service(const ServiceSpec& spec, const Microservice& ms,
                                             const std::vector<const Link*>& inbound) {
    if (inbound.empty()) return std::nullopt;
    const std::string host = fqdn(spec, ms.name);
    std::size_t route_count = spec.mesh.default_deny ? 0 : 1;  // the catch-all
    for (const Link* link : inbound) route_count += std::max<std::size_t>(link->routes.size(), 1);
    boost::json::array http;
    http.reserve(route_count);
    boost::json::array tcp;
    // Per source: route names <from>-<n> stay unique. A vector searched from the front (one
    // entry per source into M) allocates once, where a map allocated a node per source.
    std::vector<std::pair<const std::string*, int>> next_index;
    next_index.reserve(inbound.size());
    auto take_index = [&](const std::string& from) {
        for (auto& [source, next] : next_index) {
            if (*source == from) return next++;
        }
        next_index.emplace_back(&from, 1);
        return 0;
    };
    static const std::vector<Route> whole_link{Route{}};

    for (const Link* link_ptr : inbound) {
        const Link& link = *link_ptr;
        const Port* port = ms.find_port(link.port);
        if (port == nullptr) continue;  // not a valid spec; validate() reports it
        const bool is_http = port->protocol != Protocol::tcp;
        const auto& routes = link.routes.empty() ? whole_link : link.routes;
        for (const auto& route : routes) {
            boost::json::array match;
            match.emplace_back(route_match(link, *port, route, is_http));
            if (!is_http) {
                boost::json::object r(2);
                r.emplace("match", std::move(match));
                r.emplace("route", route_destinations(host, *port, route));
                tcp.emplace_back(std::move(r));
                continue;
            }
            boost::json::object r(3 + link_settings_size(link));
            r.emplace("name", link.from + "-" + std::to_string(take_index(link.from)));
            r.emplace("match", std::move(match));
            r.emplace("route", route_destinations(host, *port, route));
            add_link_settings(r, link, host);
            http.emplace_back(std::move(r));
        }
    }

    if (!spec.mesh.default_deny) {
        // Sources without a link still reach M, balanced by the Service as without any route.
        auto catch_all = [&] {
            boost::json::object r(1);
            r.emplace("destination", destination(host, {}, 0));
            boost::json::array route;
            route.emplace_back(std::move(r));
            return route;
        };
        const bool has_tcp = std::any_of(ms.ports.begin(), ms.ports.end(),
                                         [](const Port& p) { return p.protocol == Protocol::tcp; });
        const bool has_http = std::any_of(ms.ports.begin(), ms.ports.end(), [](const Port& p) {
            return p.protocol != Protocol::tcp;
        });
        if (has_http) {
            boost::json::object r(2);
            r.emplace("name", "default");
            r.emplace("route", catch_all());
            http.emplace_back(std::move(r));
        }
        if (has_tcp) {
            boost::json::object r(1);
            r.emplace("route", catch_all());
            tcp.emplace_back(std::move(r));
        }
    }

    boost::json::object s(3);
    s.emplace("hosts", boost::json::array{boost::json::value(host)});
    if (!http.empty()) s.emplace("http", std::move(http));
    if (!tcp.empty()) s.emplace("tcp", std::move(tcp));
    return make_resource(api_networking, "VirtualService", make_metadata(spec, ms.name, true),
                         std::move(s));
}

}  // namespace meshorch::render_detail
