// Names, labels and value formats shared by every rendered object.
#include "render/detail.hpp"

#include <meshorch/render.hpp>

#include <boost/json/string.hpp>

#include <cmath>
#include <limits>

namespace meshorch {

std::string fqdn(const ServiceSpec& spec, const std::string& microservice) {
    return microservice + "." + render_detail::namespace_of(spec) + ".svc.cluster.local";
}

std::string workload_name(const std::string& microservice, const std::string& version) {
    return microservice + "-" + version;
}

std::string spiffe_principal(const ServiceSpec& spec, const std::string& microservice) {
    return spec.mesh.trust_domain + "/ns/" + render_detail::namespace_of(spec) + "/sa/" +
           microservice;
}

boost::json::object ownership_labels(const ServiceSpec& spec) {
    boost::json::object labels;
    labels[label_managed_by] = label_managed_by_value;
    labels[label_service] = spec.name;
    return labels;
}

namespace render_detail {

std::string namespace_of(const ServiceSpec& spec) {
    return spec.namespace_.empty() ? spec.name : spec.namespace_;
}

boost::json::object object_labels(const ServiceSpec& spec, const boost::json::object& extra) {
    boost::json::object labels = ownership_labels(spec);
    for (const auto& [key, value] : extra) {
        if (!labels.contains(key)) labels[key] = value;
    }
    for (const auto& [key, value] : spec.labels) {
        if (!labels.contains(key)) labels[key] = value;
    }
    return labels;
}

boost::json::object make_metadata(const ServiceSpec& spec, const std::string& name, bool namespaced,
                                  const boost::json::object& extra_labels,
                                  const boost::json::object& annotations) {
    boost::json::object md;
    md["name"] = name;
    if (namespaced) md["namespace"] = namespace_of(spec);
    md["labels"] = object_labels(spec, extra_labels);
    if (!annotations.empty()) md["annotations"] = annotations;
    return md;
}

Object make_resource(const char* api_version, const char* kind, boost::json::object metadata,
                     boost::json::object spec) {
    boost::json::object m;
    m["apiVersion"] = api_version;
    m["kind"] = kind;
    m["metadata"] = std::move(metadata);
    m["spec"] = std::move(spec);
    return make_object(std::move(m));
}

boost::json::object app_version_labels(const std::string& microservice,
                                       const std::string& version) {
    boost::json::object labels;
    labels["app"] = microservice;
    labels["version"] = version;
    return labels;
}

boost::json::object app_labels(const std::string& microservice) {
    boost::json::object labels;
    labels["app"] = microservice;
    return labels;
}

std::string duration_string(Duration d) {
    auto ms = d.count();
    if (ms < 0) ms = 0;
    std::string out = std::to_string(ms / 1000);
    if (auto frac = ms % 1000; frac != 0) {
        std::string digits = std::to_string(frac);
        digits.insert(0, 3 - digits.size(), '0');
        while (!digits.empty() && digits.back() == '0') digits.pop_back();
        out += "." + digits;
    }
    out += "s";
    return out;
}

std::int64_t whole_seconds(Duration d, std::int64_t minimum) {
    auto ms = d.count();
    std::int64_t s = ms <= 0 ? 0 : (ms + 999) / 1000;
    return s < minimum ? minimum : s;
}

boost::json::value number_value(double x) {
    if (std::isfinite(x) && std::trunc(x) == x &&
        std::fabs(x) < static_cast<double>(std::numeric_limits<std::int32_t>::max())) {
        return static_cast<std::int64_t>(x);
    }
    return x;
}

const char* app_protocol(Protocol p) noexcept {
    switch (p) {
        case Protocol::http: return "http";
        case Protocol::http2: return "http2";
        case Protocol::grpc: return "grpc";
        case Protocol::tcp: return "tcp";
    }
    return "tcp";
}

std::int64_t probe_port(const Microservice& ms, std::uint16_t port) noexcept {
    if (port != 0 || ms.ports.empty()) return port;
    return ms.ports.front().number;
}

}  // namespace render_detail
}  // namespace meshorch
