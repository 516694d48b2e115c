// VirtualService M: the routes of every link into M, each limited to its source (sourceLabels)
// and port, in spec order; a final catch-all when default-deny is off.
#include "render/detail.hpp"

#include <meshorch/render.hpp>

#include <boost/json/array.hpp>

#include <algorithm>
#include <map>

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
    boost::json::object out;
    out[match_kind(m.kind)] = m.value;
    return out;
}

// One match condition: the link's source and port, plus the route's own conditions (HTTP only:
// Istio's TCP routes have no uri or headers).
boost::json::object route_match(const Link& link, const Port& port, const Route& route, bool http) {
    boost::json::object m;
    m["sourceLabels"] = app_labels(link.from);
    m["port"] = std::int64_t{port.number};
    if (http && route.match) {
        if (route.match->uri) m["uri"] = string_match(*route.match->uri);
        if (!route.match->headers.empty()) {
            boost::json::object headers;
            for (const auto& [name, match] : route.match->headers) {
                headers[name] = string_match(match);
            }
            m["headers"] = std::move(headers);
        }
    }
    return m;
}

boost::json::object destination(const std::string& host, const std::string& subset,
                                std::int64_t port) {
    boost::json::object d;
    d["host"] = host;
    if (!subset.empty()) d["subset"] = subset;
    if (port != 0) {
        boost::json::object p;
        p["number"] = port;
        d["port"] = std::move(p);
    }
    return d;
}

boost::json::array route_destinations(const std::string& host, const Port& port,
                                      const Route& route) {
    boost::json::array out;
    if (route.split.empty()) {
        boost::json::object r;
        r["destination"] = destination(host, {}, port.number);
        out.emplace_back(std::move(r));
        return out;
    }
    for (const auto& wv : route.split) {
        boost::json::object r;
        r["destination"] = destination(host, wv.version, port.number);
        r["weight"] = wv.weight;
        out.emplace_back(std::move(r));
    }
    return out;
}

boost::json::object percentage(double value) {
    boost::json::object p;
    p["value"] = number_value(value);
    return p;
}

// The link-wide HTTP settings every route of the link carries.
void add_link_settings(boost::json::object& r, const Link& link, const std::string& host) {
    if (link.timeout) r["timeout"] = duration_string(*link.timeout);
    if (link.retries) {
        boost::json::object retries;
        retries["attempts"] = link.retries->attempts;
        if (link.retries->per_try_timeout) {
            retries["perTryTimeout"] = duration_string(*link.retries->per_try_timeout);
        }
        if (!link.retries->retry_on.empty()) retries["retryOn"] = link.retries->retry_on;
        r["retries"] = std::move(retries);
    }
    if (link.fault && (link.fault->delay || link.fault->abort)) {
        boost::json::object fault;
        if (link.fault->delay) {
            boost::json::object delay;
            delay["fixedDelay"] = duration_string(link.fault->delay->fixed_delay);
            delay["percentage"] = percentage(link.fault->delay->percentage);
            fault["delay"] = std::move(delay);
        }
        if (link.fault->abort) {
            boost::json::object abort;
            abort["httpStatus"] = link.fault->abort->http_status;
            abort["percentage"] = percentage(link.fault->abort->percentage);
            fault["abort"] = std::move(abort);
        }
        r["fault"] = std::move(fault);
    }
    if (link.mirror) {
        r["mirror"] = destination(host, link.mirror->version, 0);
        r["mirrorPercentage"] = percentage(link.mirror->percentage);
    }
}

}  // namespace

std::optional<Object> render_virtual_service(const ServiceSpec& spec, const Microservice& ms) {
    const std::string host = fqdn(spec, ms.name);
    boost::json::array http;
    boost::json::array tcp;
    std::map<std::string, int> next_index;  // per source: route names <from>-<n> stay unique
    bool linked = false;

    for (const auto& link : spec.links) {
        if (link.to != ms.name) continue;
        linked = true;
        const Port* port = ms.find_port(link.port);
        if (port == nullptr) continue;  // not a valid spec; validate() reports it
        const bool is_http = port->protocol != Protocol::tcp;
        const std::vector<Route> whole_link{Route{}};
        const auto& routes = link.routes.empty() ? whole_link : link.routes;
        for (const auto& route : routes) {
            boost::json::array match{route_match(link, *port, route, is_http)};
            if (!is_http) {
                boost::json::object r;
                r["match"] = std::move(match);
                r["route"] = route_destinations(host, *port, route);
                tcp.emplace_back(std::move(r));
                continue;
            }
            boost::json::object r;
            r["name"] = link.from + "-" + std::to_string(next_index[link.from]++);
            r["match"] = std::move(match);
            r["route"] = route_destinations(host, *port, route);
            add_link_settings(r, link, host);
            http.emplace_back(std::move(r));
        }
    }
    if (!linked) return std::nullopt;

    if (!spec.mesh.default_deny) {
        // Sources without a link still reach M, balanced by the Service as without any route.
        auto catch_all = [&] {
            boost::json::object r;
            r["destination"] = destination(host, {}, 0);
            return boost::json::array{std::move(r)};
        };
        const bool has_tcp = std::any_of(ms.ports.begin(), ms.ports.end(),
                                         [](const Port& p) { return p.protocol == Protocol::tcp; });
        const bool has_http = std::any_of(ms.ports.begin(), ms.ports.end(), [](const Port& p) {
            return p.protocol != Protocol::tcp;
        });
        if (has_http) {
            boost::json::object r;
            r["name"] = "default";
            r["route"] = catch_all();
            http.emplace_back(std::move(r));
        }
        if (has_tcp) {
            boost::json::object r;
            r["route"] = catch_all();
            tcp.emplace_back(std::move(r));
        }
    }

    boost::json::object s;
    s["hosts"] = boost::json::array{boost::json::value(host)};
    if (!http.empty()) s["http"] = std::move(http);
    if (!tcp.empty()) s["tcp"] = std::move(tcp);
    return make_resource(api_networking, "VirtualService", make_metadata(spec, ms.name, true),
                         std::move(s));
}

}  // namespace meshorch::render_detail
