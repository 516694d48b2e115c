// Hand-written manifests for the plan tests, and a model of what applying a plan does.
#pragma once

#include <meshorch/object.hpp>
#include <meshorch/plan.hpp>

#include <boost/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace meshorch::plan_test {

namespace json = boost::json;

inline const std::string ns = "shop";

inline json::object meta(const std::string& name, const std::string& namespace_ = ns) {
    json::object labels{{label_managed_by, label_managed_by_value}, {label_service, "shop"}};
    json::object m{{"name", name}};
    if (!namespace_.empty()) m["namespace"] = namespace_;
    m["labels"] = std::move(labels);
    return m;
}

inline std::string host(const std::string& ms) {
    return ms + "." + ns + ".svc.cluster.local";
}

inline Object namespace_object() {
    auto m = meta(ns, "");
    m["labels"].as_object()["istio-injection"] = "enabled";
    return make_object({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", m}});
}

inline Object service_account(const std::string& ms) {
    return make_object({{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", meta(ms)}});
}

inline Object service(const std::string& ms, int port = 9080) {
    json::object p;
    p["name"] = "http";
    p["port"] = port;
    p["targetPort"] = port;
    json::array ports;
    ports.push_back(std::move(p));
    json::object spec;
    spec["selector"] = json::object{{"app", ms}};
    spec["ports"] = std::move(ports);
    return make_object({{"apiVersion", "v1"},
                        {"kind", "Service"},
                        {"metadata", meta(ms)},
                        {"spec", std::move(spec)}});
}

inline Object workload_group(const std::string& ms, const std::string& v) {
    json::object labels{{"app", ms}, {"version", v}};
    json::object spec;
    spec["metadata"] = json::object{{"labels", labels}};
    spec["template"] =
        json::object{{"serviceAccount", ms}, {"ports", json::object{{"http", 9080}}}};
    return make_object({{"apiVersion", "networking.istio.io/v1"},
                        {"kind", "WorkloadGroup"},
                        {"metadata", meta(ms + "-" + v)},
                        {"spec", std::move(spec)}});
}

inline Object workload_entry(const std::string& ms, const std::string& v, int i,
                             const std::string& address) {
    json::object spec;
    spec["address"] = address;
    spec["labels"] = json::object{{"app", ms}, {"version", v}};
    spec["serviceAccount"] = ms;
    return make_object({{"apiVersion", "networking.istio.io/v1"},
                        {"kind", "WorkloadEntry"},
                        {"metadata", meta(ms + "-" + v + "-" + std::to_string(i))},
                        {"spec", std::move(spec)}});
}

inline Object destination_rule(const std::string& ms, const std::vector<std::string>& versions,
                               const std::string& lb = "ROUND_ROBIN",
                               const std::string& api_version = "networking.istio.io/v1") {
    json::array subsets;
    for (const auto& v : versions) {
        json::object subset;
        subset["name"] = v;
        subset["labels"] = json::object{{"version", v}};
        subsets.push_back(std::move(subset));
    }
    json::object policy;
    policy["loadBalancer"] = json::object{{"simple", lb}};
    policy["tls"] = json::object{{"mode", "ISTIO_MUTUAL"}};
    json::object spec;
    spec["host"] = host(ms);
    spec["trafficPolicy"] = std::move(policy);
    spec["subsets"] = std::move(subsets);
    return make_object({{"apiVersion", api_version},
                        {"kind", "DestinationRule"},
                        {"metadata", meta(ms)},
                        {"spec", std::move(spec)}});
}

// One http route: (subset, weight) pairs.
using Split = std::vector<std::pair<std::string, int>>;

inline json::object destination(const std::string& ms, const std::string& subset) {
    json::object d;
    d["host"] = host(ms);
    d["subset"] = subset;
    return d;
}

inline json::object http_route(const std::string& ms, const Split& split,
                               const std::string& mirror = {}) {
    json::array route;
    for (const auto& [v, w] : split) {
        json::object r;
        r["destination"] = destination(ms, v);
        r["weight"] = w;
        route.push_back(std::move(r));
    }
    json::object r;
    r["route"] = std::move(route);
    r["timeout"] = "5s";
    if (!mirror.empty()) {
        r["mirror"] = destination(ms, mirror);
        r["mirrorPercentage"] = json::object{{"value", 10.0}};
    }
    return r;
}

inline Object virtual_service(const std::string& ms, const std::vector<json::object>& routes) {
    json::array http;
    for (const auto& r : routes) http.push_back(r);
    json::array hosts;
    hosts.push_back(json::value(host(ms)));
    json::object spec;
    spec["hosts"] = std::move(hosts);
    spec["http"] = std::move(http);
    return make_object({{"apiVersion", "networking.istio.io/v1"},
                        {"kind", "VirtualService"},
                        {"metadata", meta(ms)},
                        {"spec", std::move(spec)}});
}

inline Object virtual_service(const std::string& ms, const Split& split) {
    return virtual_service(ms, std::vector<json::object>{http_route(ms, split)});
}

inline Object authorization_policy(const std::string& ms, const std::vector<std::string>& from) {
    json::array principals;
    for (const auto& f : from) principals.push_back(json::value("cluster.local/ns/shop/sa/" + f));
    json::object source;
    source["principals"] = std::move(principals);
    json::array froms;
    froms.push_back(json::object{{"source", std::move(source)}});
    json::array rules;
    rules.push_back(json::object{{"from", std::move(froms)}});
    json::object spec;
    spec["selector"] = json::object{{"matchLabels", json::object{{"app", ms}}}};
    spec["action"] = "ALLOW";
    spec["rules"] = std::move(rules);
    return make_object({{"apiVersion", "security.istio.io/v1"},
                        {"kind", "AuthorizationPolicy"},
                        {"metadata", meta(ms)},
                        {"spec", std::move(spec)}});
}

inline ObjectSet set_of(const std::vector<Object>& objects) {
    ObjectSet s;
    for (const auto& o : objects) s.put(o);
    return s;
}

// The same object to the API server: same group, kind, namespace and name.
inline bool same_identity(const ObjectKey& a, const ObjectKey& b) {
    auto group = [](const std::string& v) {
        auto slash = v.rfind('/');
        return slash == std::string::npos ? std::string{} : v.substr(0, slash);
    };
    return a.kind == b.kind && a.namespace_ == b.namespace_ && a.name == b.name &&
           group(a.api_version) == group(b.api_version);
}

inline const Object* find_identity(const ObjectSet& s, const ObjectKey& key) {
    for (const auto& [k, o] : s) {
        if (same_identity(k, key)) return &o;
    }
    return nullptr;
}

// What the cluster holds after one action; an empty string when the action makes sense, else why
// it does not (creating what exists, patching or deleting what does not).
inline std::string apply_action(ObjectSet& state, const Action& a) {
    const Object* existing = find_identity(state, a.object.key);
    switch (a.kind) {
        case ActionKind::create:
            if (existing) return "create of existing " + a.object.key.to_string();
            state.put(a.object);
            return {};
        case ActionKind::patch:
            if (!existing) return "patch of missing " + a.object.key.to_string();
            state.erase(ObjectKey(existing->key));
            state.put(a.object);
            return {};
        case ActionKind::remove:
            if (!existing) return "delete of missing " + a.object.key.to_string();
            if (!(*existing == a.object))
                return "delete carries another object " + a.object.key.to_string();
            state.erase(ObjectKey(existing->key));
            return {};
    }
    return "unknown action";
}

// Every (VirtualService, subset) whose subset is missing from the DestinationRule of its host.
inline std::vector<std::string> dangling_subsets(const ObjectSet& state) {
    std::vector<std::string> out;
    auto has_subset = [&](const std::string& namespace_, std::string_view h,
                          std::string_view subset) {
        for (const auto& [k, o] : state) {
            if (k.kind != "DestinationRule" || k.namespace_ != namespace_) continue;
            const auto& spec = o.manifest.at("spec").as_object();
            if (spec.at("host").as_string() != h) continue;
            if (const auto* subsets = spec.if_contains("subsets")) {
                for (const auto& s : subsets->as_array()) {
                    if (s.as_object().at("name").as_string() == subset) return true;
                }
            }
        }
        return false;
    };
    auto check = [&](const ObjectKey& k, const json::value& destination) {
        const auto& d = destination.as_object();
        const auto* subset = d.if_contains("subset");
        if (!subset) return;
        std::string_view h = d.at("host").as_string();
        if (!has_subset(k.namespace_, h, subset->as_string())) {
            out.push_back(k.to_string() + " -> " + std::string(h) + "/" +
                          std::string(subset->as_string()));
        }
    };
    for (const auto& [k, o] : state) {
        if (k.kind != "VirtualService") continue;
        const auto* http = o.manifest.at("spec").as_object().if_contains("http");
        if (!http) continue;
        for (const auto& route : http->as_array()) {
            const auto& r = route.as_object();
            if (const auto* dests = r.if_contains("route")) {
                for (const auto& d : dests->as_array()) check(k, d.as_object().at("destination"));
            }
            if (const auto* mirror = r.if_contains("mirror")) check(k, *mirror);
        }
    }
    return out;
}

inline std::string describe(const Plan& p) {
    std::string out;
    for (const auto& a : p.actions) {
        out += std::string(to_string(a.kind)) + " " + a.object.key.to_string() + "  (" + a.reason +
               ")\n";
    }
    return out;
}

}  // namespace meshorch::plan_test
