// Names, labels and value formats shared by every rendered object.
#include "render/detail.hpp"

#include <meshorch/render.hpp>

#include <boost/json/string.hpp>

#include <cmath>
#include <limits>

namespace meshorch {

std::string fqdn(const ServiceSpec& spec, const std::string& microservice) {
    return microservice + render_detail::fqdn_suffix(spec);
}

std::string workload_name(const std::string& microservice, const std::string& version) {
    return microservice + "-" + version;
}

std::string spiffe_principal(const ServiceSpec& spec, const std::string& microservice) {
    return render_detail::spiffe_principal_prefix(spec) + microservice;
}

boost::json::object ownership_labels(const ServiceSpec& spec) {
    return {{label_managed_by, label_managed_by_value}, {label_service, spec.name}};
}

namespace render_detail {

std::string namespace_of(const ServiceSpec& spec) {
    return spec.namespace_.empty() ? spec.name : spec.namespace_;
}

std::string fqdn_suffix(const ServiceSpec& spec) {
    return "." + namespace_of(spec) + ".svc.cluster.local";
}

std::string spiffe_principal_prefix(const ServiceSpec& spec) {
    return spec.mesh.trust_domain + "/ns/" + namespace_of(spec) + "/sa/";
}

boost::json::object object_labels(const ServiceSpec& spec, const boost::json::object& extra) {
    // Sized once: every object of a service carries these labels, so growing them step by step
    // was a visible part of rendering.
    boost::json::object labels(2 + extra.size() + spec.labels.size());
    labels.emplace(label_managed_by, label_managed_by_value);
    labels.emplace(label_service, spec.name);
    // emplace keeps the value of a key that is already set.
    for (const auto& [key, value] : extra) labels.emplace(key, value);
    for (const auto& [key, value] : spec.labels) labels.emplace(key, value);
    return labels;
}

boost::json::object make_metadata(const ServiceSpec& spec, const std::string& name, bool namespaced,
                                  const boost::json::object& extra_labels,
                                  const boost::json::object& annotations) {
    boost::json::object md(4);
    md.emplace("name", name);
    if (namespaced) md.emplace("namespace", namespace_of(spec));
    md.emplace("labels", object_labels(spec, extra_labels));
    if (!annotations.empty()) md.emplace("annotations", annotations);
    return md;
}

Object make_resource(const char* api_version, const char* kind, boost::json::object metadata,
                     boost::json::object spec) {
    boost::json::object m(4);
    m.emplace("apiVersion", api_version);
    m.emplace("kind", kind);
    m.emplace("metadata", std::move(metadata));
    m.emplace("spec", std::move(spec));
    return make_object(std::move(m));
}

boost::json::object app_version_labels(const std::string& microservice,
                                       const std::string& version) {
    return {{"app", microservice}, {"version", version}};
}

boost::json::object app_labels(const std::string& microservice) {
    return {{"app", microservice}};
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
