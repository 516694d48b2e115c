// The cluster prerequisites and workloads: Namespace, ServiceAccount, Service, WorkloadGroup,
// WorkloadEntry and (for container versions outside Tacker) Deployment.
#include "render/detail.hpp"

#include <meshorch/render.hpp>

#include <boost/json/array.hpp>

#include <algorithm>
#include <cctype>
#include <variant>

namespace meshorch {
namespace render_detail {
namespace {

// A readiness probe in the shape both Kubernetes (Probe) and Istio (WorkloadGroup ReadinessProbe)
// use: one handler, then the timings in whole seconds.
boost::json::object probe(const Microservice& ms, const HealthCheck& hc) {
    boost::json::object p(6);
    if (const auto* http = std::get_if<HttpGetCheck>(&hc.probe)) {
        boost::json::object get(2);
        get.emplace("path", http->path.empty() ? std::string("/") : http->path);
        get.emplace("port", probe_port(ms, http->port));
        p.emplace("httpGet", std::move(get));
    } else if (const auto* tcp = std::get_if<TcpCheck>(&hc.probe)) {
        p.emplace("tcpSocket", boost::json::object{{"port", probe_port(ms, tcp->port)}});
    } else {
        const auto& args = std::get<ExecCheck>(hc.probe).command;
        boost::json::array command;
        command.reserve(args.size());
        for (const auto& arg : args) command.emplace_back(arg);
        boost::json::object exec(1);
        exec.emplace("command", std::move(command));
        p.emplace("exec", std::move(exec));
    }
    p.emplace("initialDelaySeconds", whole_seconds(hc.initial_delay, 0));
    p.emplace("periodSeconds", whole_seconds(hc.period, 1));
    p.emplace("timeoutSeconds", whole_seconds(hc.timeout, 1));
    p.emplace("successThreshold", std::max(hc.success_threshold, 1));
    p.emplace("failureThreshold", std::max(hc.failure_threshold, 1));
    return p;
}

// Container port names must be IANA service names: at most 15 characters, lower case letters,
// digits and single hyphens, at least one letter. Service port names may be longer (DNS-1123
// labels), so a name that does not fit is left off the container port.
bool is_iana_service_name(const std::string& s) {
    if (s.empty() || s.size() > 15 || s.front() == '-' || s.back() == '-') return false;
    if (s.find("--") != std::string::npos) return false;
    bool letter = false;
    for (char c : s) {
        if (c >= 'a' && c <= 'z') {
            letter = true;
        } else if (!(c >= '0' && c <= '9') && c != '-') {
            return false;
        }
    }
    return letter;
}

boost::json::object resource_list(const ResourceList& r) {
    boost::json::object out(2);
    if (!r.cpu.empty()) out.emplace("cpu", r.cpu);
    if (!r.memory.empty()) out.emplace("memory", r.memory);
    return out;
}

}  // namespace

Object render_namespace(const ServiceSpec& spec) {
    boost::json::object extra;
    if (spec.mesh.revision.empty()) {
        extra["istio-injection"] = "enabled";
    } else {
        extra["istio.io/rev"] = spec.mesh.revision;
    }
    boost::json::object m(3);
    m.emplace("apiVersion", api_core);
    m.emplace("kind", "Namespace");
    m.emplace("metadata", make_metadata(spec, namespace_of(spec), false, extra));
    return make_object(std::move(m));
}

Object render_service_account(const ServiceSpec& spec, const Microservice& ms) {
    const boost::json::object annotations{
        {"meshorch.io/spiffe-id", "spiffe://" + spiffe_principal(spec, ms.name)}};
    boost::json::object m(3);
    m.emplace("apiVersion", api_core);
    m.emplace("kind", "ServiceAccount");
    m.emplace("metadata", make_metadata(spec, ms.name, true, {}, annotations));
    return make_object(std::move(m));
}

Object render_service(const ServiceSpec& spec, const Microservice& ms) {
    boost::json::array ports;
    ports.reserve(ms.ports.size());
    for (const auto& port : ms.ports) {
        ports.emplace_back(boost::json::object{{"name", port.name},
                                               {"port", std::int64_t{port.number}},
                                               {"targetPort", std::int64_t{port.number}},
                                               {"protocol", "TCP"},
                                               {"appProtocol", app_protocol(port.protocol)}});
    }
    boost::json::object s(2);
    s.emplace("selector", app_labels(ms.name));
    s.emplace("ports", std::move(ports));
    return make_resource(api_core, "Service", make_metadata(spec, ms.name, true), std::move(s));
}

Object render_workload_group(const ServiceSpec& spec, const Microservice& ms, const Version& v) {
    boost::json::object wg_metadata(1);
    wg_metadata.emplace("labels", app_version_labels(ms.name, v.name));

    boost::json::object ports(ms.ports.size());
    // operator[]: a repeated port name keeps its last number.
    for (const auto& port : ms.ports) ports[port.name] = std::int64_t{port.number};
    boost::json::object tmpl(2);
    tmpl.emplace("serviceAccount", ms.name);
    if (!ports.empty()) tmpl.emplace("ports", std::move(ports));

    boost::json::object s(3);
    s.emplace("metadata", std::move(wg_metadata));
    s.emplace("template", std::move(tmpl));
    if (ms.health_check) s.emplace("probe", probe(ms, *ms.health_check));
    return make_resource(api_networking, "WorkloadGroup",
                         make_metadata(spec, workload_name(ms.name, v.name), true), std::move(s));
}

std::optional<Object> render_workload_entry(const ServiceSpec& spec, const Microservice& ms,
                                            const Version& v, std::size_t index,
                                            const std::string& address) {
    if (address.empty()) return std::nullopt;  // not known yet: nothing to route to
    boost::json::object s(3);
    s.emplace("address", address);
    s.emplace("labels", app_version_labels(ms.name, v.name));
    s.emplace("serviceAccount", ms.name);
    return make_resource(
        api_networking, "WorkloadEntry",
        make_metadata(spec, workload_name(ms.name, v.name) + "-" + std::to_string(index), true),
        std::move(s));
}

}  // namespace render_detail

Object render_deployment(const ServiceSpec& spec, const Microservice& ms, const Version& v) {
    using namespace render_detail;
    ContainerWorkload workload;
    if (const auto* c = std::get_if<ContainerWorkload>(&v.workload)) workload = *c;

    boost::json::array ports;
    for (const auto& port : ms.ports) {
        boost::json::object p;
        if (is_iana_service_name(port.name)) p["name"] = port.name;
        p["containerPort"] = std::int64_t{port.number};
        p["protocol"] = "TCP";
        ports.emplace_back(std::move(p));
    }

    boost::json::object container;
    container["name"] = ms.name;
    container["image"] = workload.image;
    if (!ports.empty()) container["ports"] = std::move(ports);
    boost::json::object resources;
    if (auto r = resource_list(workload.requests); !r.empty()) resources["requests"] = std::move(r);
    if (auto l = resource_list(workload.limits); !l.empty()) resources["limits"] = std::move(l);
    if (!resources.empty()) container["resources"] = std::move(resources);
    if (ms.health_check) container["readinessProbe"] = probe(ms, *ms.health_check);

    boost::json::object pod_metadata;
    pod_metadata["labels"] = app_version_labels(ms.name, v.name);
    boost::json::object pod_spec;
    pod_spec["serviceAccountName"] = ms.name;
    pod_spec["containers"] = boost::json::array{std::move(container)};
    boost::json::object tmpl;
    tmpl["metadata"] = std::move(pod_metadata);
    tmpl["spec"] = std::move(pod_spec);

    boost::json::object selector;
    selector["matchLabels"] = app_version_labels(ms.name, v.name);
    boost::json::object s;
    s["replicas"] = std::max(workload.replicas, 0);
    s["selector"] = std::move(selector);
    s["template"] = std::move(tmpl);
    return make_resource(api_apps, "Deployment",
                         make_metadata(spec, workload_name(ms.name, v.name), true,
                                       app_version_labels(ms.name, v.name)),
                         std::move(s));
}

}  // namespace meshorch
