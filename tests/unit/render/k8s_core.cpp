#include "unit/render/k8s_core.hpp"

#include <boost/json/serialize.hpp>

#include <regex>
#include <set>

namespace meshorch::testing {
namespace {

using boost::json::object;
using boost::json::value;

std::string str(const value* v) {
    return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

const object* obj(const value* v) {
    return v != nullptr ? v->if_object() : nullptr;
}

bool is_port_number(const value* v) {
    return v != nullptr && v->is_int64() && v->get_int64() >= 1 && v->get_int64() <= 65535;
}

bool is_quantity(const std::string& s) {
    static const std::regex q(R"(^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$)");
    return std::regex_match(s, q);
}

// A qualified name as the API server checks label keys and appProtocol: [prefix/]name.
bool is_qualified_name(const std::string& s) {
    static const std::regex name(R"(^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$)");
    auto slash = s.find('/');
    std::string n = s;
    if (slash != std::string::npos) {
        if (!is_dns1123_subdomain(s.substr(0, slash))) return false;
        n = s.substr(slash + 1);
    }
    return !n.empty() && n.size() <= 63 && std::regex_match(n, name);
}

void check_keys(const object& o, const std::set<std::string>& allowed, const std::string& path,
                std::vector<std::string>& errors) {
    for (const auto& kv : o) {
        if (!allowed.count(std::string(kv.key()))) {
            errors.push_back((path.empty() ? "" : path + ".") + std::string(kv.key()) +
                             ": unknown field");
        }
    }
}

void check_string_map(const value* v, const std::string& path, bool values_are_label_values,
                      std::vector<std::string>& errors) {
    const object* m = obj(v);
    if (m == nullptr) {
        errors.push_back(path + ": must be a map of strings");
        return;
    }
    for (const auto& kv : *m) {
        const std::string key(kv.key());
        if (!is_label_key(key)) errors.push_back(path + "." + key + ": invalid key");
        if (!kv.value().is_string()) {
            errors.push_back(path + "." + key + ": value must be a string");
        } else if (values_are_label_values &&
                   !is_label_value(std::string(kv.value().get_string()))) {
            errors.push_back(path + "." + key + ": invalid label value \"" +
                             std::string(kv.value().get_string()) + "\"");
        }
    }
}

void check_probe(const object& probe, const std::string& path, std::vector<std::string>& errors) {
    check_keys(
        probe,
        {"httpGet", "tcpSocket", "exec", "grpc", "initialDelaySeconds", "periodSeconds",
         "timeoutSeconds", "successThreshold", "failureThreshold", "terminationGracePeriodSeconds"},
        path, errors);
    int handlers = 0;
    for (const char* h : {"httpGet", "tcpSocket", "exec", "grpc"}) handlers += probe.contains(h);
    if (handlers != 1) errors.push_back(path + ": must have exactly one handler");
    for (const char* h : {"httpGet", "tcpSocket"}) {
        if (const object* handler = obj(probe.if_contains(h))) {
            const value* port = handler->if_contains("port");
            if (!is_port_number(port) && !is_iana_svc_name(str(port))) {
                errors.push_back(path + "." + h + ".port: invalid port");
            }
        }
    }
    if (const object* exec = obj(probe.if_contains("exec"))) {
        const value* cmd = exec->if_contains("command");
        if (cmd == nullptr || !cmd->is_array() || cmd->get_array().empty()) {
            errors.push_back(path + ".exec.command: must be a non-empty list");
        }
    }
    auto at_least = [&](const char* key, std::int64_t min) {
        const value* v = probe.if_contains(key);
        if (v != nullptr && (!v->is_int64() || v->get_int64() < min)) {
            errors.push_back(path + "." + key + ": must be an integer >= " + std::to_string(min));
        }
    };
    at_least("initialDelaySeconds", 0);
    at_least("periodSeconds", 1);
    at_least("timeoutSeconds", 1);
    at_least("successThreshold", 1);
    at_least("failureThreshold", 1);
}

void check_service(const object& m, std::vector<std::string>& errors) {
    if (!is_dns1035_label(str(obj(m.if_contains("metadata"))->if_contains("name")))) {
        errors.push_back("metadata.name: a Service name must be a DNS-1035 label");
    }
    const object* spec = obj(m.if_contains("spec"));
    if (spec == nullptr) {
        errors.push_back("spec: required");
        return;
    }
    check_keys(*spec, {"selector", "ports", "type", "clusterIP", "sessionAffinity"}, "spec",
               errors);
    if (spec->contains("selector")) {
        check_string_map(spec->if_contains("selector"), "spec.selector", true, errors);
    }
    const value* ports = spec->if_contains("ports");
    if (ports == nullptr || !ports->is_array() || ports->get_array().empty()) {
        errors.push_back("spec.ports: a ClusterIP Service needs at least one port");
        return;
    }
    const auto& list = ports->get_array();
    std::set<std::string> names;
    std::set<std::int64_t> numbers;
    for (std::size_t i = 0; i < list.size(); ++i) {
        const std::string path = "spec.ports[" + std::to_string(i) + "]";
        const object* p = list[i].if_object();
        if (p == nullptr) {
            errors.push_back(path + ": must be an object");
            continue;
        }
        check_keys(*p, {"name", "port", "targetPort", "protocol", "appProtocol", "nodePort"}, path,
                   errors);
        const std::string name = str(p->if_contains("name"));
        if (name.empty() && list.size() > 1) {
            errors.push_back(path + ".name: required when a Service has several ports");
        } else if (!name.empty() && !is_dns1123_label(name)) {
            errors.push_back(path + ".name: not a DNS-1123 label");
        }
        if (!name.empty() && !names.insert(name).second) {
            errors.push_back(path + ".name: duplicate");
        }
        if (!is_port_number(p->if_contains("port"))) {
            errors.push_back(path + ".port: must be 1-65535");
        } else if (!numbers.insert(p->at("port").get_int64()).second) {
            errors.push_back(path + ".port: duplicate port/protocol");
        }
        const value* target = p->if_contains("targetPort");
        if (target != nullptr && !is_port_number(target) && !is_iana_svc_name(str(target))) {
            errors.push_back(path + ".targetPort: must be 1-65535 or an IANA service name");
        }
        const std::string protocol = str(p->if_contains("protocol"));
        if (p->contains("protocol") && protocol != "TCP" && protocol != "UDP" &&
            protocol != "SCTP") {
            errors.push_back(path + ".protocol: must be TCP, UDP or SCTP");
        }
        if (p->contains("appProtocol") && !is_qualified_name(str(p->if_contains("appProtocol")))) {
            errors.push_back(path + ".appProtocol: not a qualified name");
        }
    }
}

void check_deployment(const object& m, std::vector<std::string>& errors) {
    const object* spec = obj(m.if_contains("spec"));
    if (spec == nullptr) {
        errors.push_back("spec: required");
        return;
    }
    check_keys(*spec,
               {"replicas", "selector", "template", "strategy", "minReadySeconds",
                "revisionHistoryLimit", "progressDeadlineSeconds"},
               "spec", errors);
    if (const value* r = spec->if_contains("replicas");
        r && (!r->is_int64() || r->get_int64() < 0)) {
        errors.push_back("spec.replicas: must be an integer >= 0");
    }
    const object* selector = obj(spec->if_contains("selector"));
    const object* match = selector ? obj(selector->if_contains("matchLabels")) : nullptr;
    if (match == nullptr || match->empty()) {
        errors.push_back("spec.selector.matchLabels: required and non-empty");
    } else {
        check_string_map(selector->if_contains("matchLabels"), "spec.selector.matchLabels", true,
                         errors);
    }
    const object* tmpl = obj(spec->if_contains("template"));
    const object* tmd = tmpl ? obj(tmpl->if_contains("metadata")) : nullptr;
    const object* labels = tmd ? obj(tmd->if_contains("labels")) : nullptr;
    if (labels == nullptr) {
        errors.push_back("spec.template.metadata.labels: required");
    } else {
        check_string_map(tmd->if_contains("labels"), "spec.template.metadata.labels", true, errors);
        if (match != nullptr) {
            for (const auto& kv : *match) {
                const value* l = labels->if_contains(kv.key());
                if (l == nullptr || *l != kv.value()) {
                    errors.push_back("spec.selector.matchLabels." + std::string(kv.key()) +
                                     ": does not match the template labels");
                }
            }
        }
    }
    const object* pod = tmpl ? obj(tmpl->if_contains("spec")) : nullptr;
    if (pod == nullptr) {
        errors.push_back("spec.template.spec: required");
        return;
    }
    check_keys(*pod,
               {"serviceAccountName", "containers", "initContainers", "volumes", "nodeSelector",
                "affinity", "tolerations", "securityContext"},
               "spec.template.spec", errors);
    if (pod->contains("serviceAccountName") &&
        !is_dns1123_subdomain(str(pod->if_contains("serviceAccountName")))) {
        errors.push_back("spec.template.spec.serviceAccountName: not a DNS-1123 subdomain");
    }
    const value* containers = pod->if_contains("containers");
    if (containers == nullptr || !containers->is_array() || containers->get_array().empty()) {
        errors.push_back("spec.template.spec.containers: at least one container is required");
        return;
    }
    std::set<std::string> container_names;
    for (std::size_t i = 0; i < containers->get_array().size(); ++i) {
        const std::string path = "spec.template.spec.containers[" + std::to_string(i) + "]";
        const object* c = containers->get_array()[i].if_object();
        if (c == nullptr) {
            errors.push_back(path + ": must be an object");
            continue;
        }
        check_keys(*c,
                   {"name", "image", "ports", "resources", "readinessProbe", "livenessProbe", "env",
                    "args", "command"},
                   path, errors);
        const std::string name = str(c->if_contains("name"));
        if (!is_dns1123_label(name)) errors.push_back(path + ".name: not a DNS-1123 label");
        if (!container_names.insert(name).second) errors.push_back(path + ".name: duplicate");
        if (str(c->if_contains("image")).empty()) errors.push_back(path + ".image: required");
        if (const value* ports = c->if_contains("ports")) {
            std::set<std::string> port_names;
            for (std::size_t j = 0; j < ports->get_array().size(); ++j) {
                const std::string pp = path + ".ports[" + std::to_string(j) + "]";
                const object& p = ports->get_array()[j].get_object();
                check_keys(p, {"name", "containerPort", "protocol", "hostPort"}, pp, errors);
                if (!is_port_number(p.if_contains("containerPort"))) {
                    errors.push_back(pp + ".containerPort: must be 1-65535");
                }
                if (p.contains("name")) {
                    const std::string pn = str(p.if_contains("name"));
                    if (!is_iana_svc_name(pn))
                        errors.push_back(pp + ".name: not an IANA service name");
                    if (!port_names.insert(pn).second) errors.push_back(pp + ".name: duplicate");
                }
                const std::string proto = str(p.if_contains("protocol"));
                if (p.contains("protocol") && proto != "TCP" && proto != "UDP" && proto != "SCTP") {
                    errors.push_back(pp + ".protocol: must be TCP, UDP or SCTP");
                }
            }
        }
        if (const object* res = obj(c->if_contains("resources"))) {
            check_keys(*res, {"requests", "limits"}, path + ".resources", errors);
            for (const char* part : {"requests", "limits"}) {
                const object* list = obj(res->if_contains(part));
                if (list == nullptr) continue;
                for (const auto& kv : *list) {
                    if (!kv.value().is_string() ||
                        !is_quantity(std::string(kv.value().get_string()))) {
                        errors.push_back(path + ".resources." + part + "." + std::string(kv.key()) +
                                         ": not a quantity");
                    }
                }
            }
        }
        if (const object* probe = obj(c->if_contains("readinessProbe"))) {
            check_probe(*probe, path + ".readinessProbe", errors);
        }
    }
}

}  // namespace

bool is_dns1123_label(const std::string& s) {
    static const std::regex re("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
    return !s.empty() && s.size() <= 63 && std::regex_match(s, re);
}

bool is_dns1123_subdomain(const std::string& s) {
    static const std::regex re(
        R"(^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$)");
    return !s.empty() && s.size() <= 253 && std::regex_match(s, re);
}

bool is_dns1035_label(const std::string& s) {
    static const std::regex re("^[a-z]([-a-z0-9]*[a-z0-9])?$");
    return !s.empty() && s.size() <= 63 && std::regex_match(s, re);
}

bool is_iana_svc_name(const std::string& s) {
    static const std::regex re("^[-a-z0-9]+$");
    static const std::regex letter("[a-z]");
    return !s.empty() && s.size() <= 15 && std::regex_match(s, re) &&
           std::regex_search(s, letter) && s.front() != '-' && s.back() != '-' &&
           s.find("--") == std::string::npos;
}

bool is_label_key(const std::string& s) {
    return is_qualified_name(s);
}

bool is_label_value(const std::string& s) {
    static const std::regex re(R"(^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$)");
    return s.size() <= 63 && std::regex_match(s, re);
}

std::vector<std::string> check_metadata(const object& manifest, bool namespaced) {
    std::vector<std::string> errors;
    const object* md = obj(manifest.if_contains("metadata"));
    if (md == nullptr) {
        errors.push_back("metadata: required");
        return errors;
    }
    check_keys(*md, {"name", "namespace", "labels", "annotations"}, "metadata", errors);
    if (!is_dns1123_subdomain(str(md->if_contains("name")))) {
        errors.push_back("metadata.name: \"" + str(md->if_contains("name")) +
                         "\" is not a DNS-1123 subdomain");
    }
    if (namespaced) {
        if (!is_dns1123_label(str(md->if_contains("namespace")))) {
            errors.push_back("metadata.namespace: required, a DNS-1123 label");
        }
    } else if (md->contains("namespace")) {
        errors.push_back("metadata.namespace: a cluster-scoped object has no namespace");
    }
    if (md->contains("labels"))
        check_string_map(md->if_contains("labels"), "metadata.labels", true, errors);
    if (md->contains("annotations")) {
        check_string_map(md->if_contains("annotations"), "metadata.annotations", false, errors);
    }
    return errors;
}

std::vector<std::string> check_core_object(const object& manifest) {
    const std::string api_version = str(manifest.if_contains("apiVersion"));
    const std::string kind = str(manifest.if_contains("kind"));
    std::vector<std::string> errors;
    if (kind == "Namespace" && api_version == "v1") {
        errors = check_metadata(manifest, false);
        check_keys(manifest, {"apiVersion", "kind", "metadata", "spec"}, "", errors);
        if (!is_dns1123_label(str(obj(manifest.if_contains("metadata"))->if_contains("name")))) {
            errors.push_back("metadata.name: a Namespace name must be a DNS-1123 label");
        }
    } else if (kind == "ServiceAccount" && api_version == "v1") {
        errors = check_metadata(manifest, true);
        check_keys(manifest,
                   {"apiVersion", "kind", "metadata", "secrets", "imagePullSecrets",
                    "automountServiceAccountToken"},
                   "", errors);
    } else if (kind == "Service" && api_version == "v1") {
        errors = check_metadata(manifest, true);
        if (errors.empty()) {
            check_keys(manifest, {"apiVersion", "kind", "metadata", "spec"}, "", errors);
            check_service(manifest, errors);
        }
    } else if (kind == "Deployment" && api_version == "apps/v1") {
        errors = check_metadata(manifest, true);
        check_keys(manifest, {"apiVersion", "kind", "metadata", "spec"}, "", errors);
        check_deployment(manifest, errors);
    } else {
        errors.push_back("not a core object this checker knows: " + api_version + " " + kind);
    }
    return errors;
}

}  // namespace meshorch::testing
