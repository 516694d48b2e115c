// JSON document -> ServiceSpec. Every problem is collected with its path; decoding goes on
// after an error so that one pass reports everything.

#include "spec/spec_codec.hpp"

#include <meshorch/spec.hpp>

#include "spec/duration.hpp"
#include "spec/json_path.hpp"
#include "spec/names.hpp"
#include "spec/scalars.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <climits>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

namespace meshorch::spec_detail {

namespace {

namespace json = boost::json;

std::string kind_name(const json::value& v) {
    switch (v.kind()) {
        case json::kind::null: return "null";
        case json::kind::bool_: return "a boolean";
        case json::kind::int64:
        case json::kind::uint64: return "an integer";
        case json::kind::double_: return "a decimal number";
        case json::kind::string: return "a string";
        case json::kind::array: return "a list";
        case json::kind::object: return "a mapping";
    }
    return "a value";
}

class Decoder {
public:
    void error(std::string path, std::string reason) {
        errors_.push_back(FieldError{std::move(path), std::move(reason), 0, 0});
    }
    void type_error(std::string path, std::string_view expected, const json::value& got) {
        std::string reason = "expected ";
        reason += expected;
        reason += ", found ";
        reason += kind_name(got);
        if (expected == "a string" && (got.is_number() || got.is_bool())) {
            reason += " (quote the value to make it a string)";
        }
        error(std::move(path), std::move(reason));
    }
    std::vector<FieldError> take_errors() { return std::move(errors_); }

private:
    std::vector<FieldError> errors_;
};

// One mapping of the document: checks it is a mapping, reports unknown fields, hands out
// members. A member whose value is null counts as absent.
class Mapping {
public:
    Mapping(Decoder& d, const json::value& v, std::string path,
            std::initializer_list<std::string_view> fields)
        : d_(d), path_(std::move(path)) {
        object_ = v.if_object();
        if (!object_) {
            d_.type_error(path_, "a mapping", v);
            return;
        }
        for (const auto& kv : *object_) {
            bool known = false;
            for (auto f : fields) known = known || f == kv.key();
            if (known) continue;
            std::string reason = "unknown field " + quoted(kv.key());
            if (auto guess = closest_name(kv.key(), fields); !guess.empty()) {
                reason += " (did you mean \"" + guess + "\"?)";
            } else {
                reason += "; expected one of:";
                bool first = true;
                for (auto f : fields) {
                    reason += first ? " " : ", ";
                    reason += f;
                    first = false;
                }
            }
            d_.error(member_path(path_, kv.key()), std::move(reason));
        }
    }

    bool ok() const { return object_ != nullptr; }

    const json::value* get(std::string_view key) const {
        if (!object_) return nullptr;
        const json::value* v = object_->if_contains(key);
        return (v && !v->is_null()) ? v : nullptr;
    }

    const json::value* required(std::string_view key) const {
        const json::value* v = get(key);
        if (!v && object_) d_.error(path(key), "is required");
        return v;
    }

    std::string path(std::string_view key) const { return member_path(path_, key); }
    const std::string& path() const { return path_; }
    Decoder& decoder() const { return d_; }

private:
    Decoder& d_;
    std::string path_;
    const json::object* object_ = nullptr;
};

// ---- scalar readers: each takes the mapping and the key, leaves `out` alone when absent ----

bool read_string(const Mapping& m, std::string_view key, std::string& out, bool required = false) {
    const json::value* v = required ? m.required(key) : m.get(key);
    if (!v) return false;
    if (!v->is_string()) {
        m.decoder().type_error(m.path(key), "a string", *v);
        return false;
    }
    out = std::string(v->get_string());
    return true;
}

bool read_bool(const Mapping& m, std::string_view key, bool& out) {
    const json::value* v = m.get(key);
    if (!v) return false;
    if (!v->is_bool()) {
        m.decoder().type_error(m.path(key), "a boolean (true or false)", *v);
        return false;
    }
    out = v->get_bool();
    return true;
}

// An integer; values outside [lo, hi] are reported (with that range) and not stored.
template <class Int>
bool read_int(const Mapping& m, std::string_view key, Int& out, long long lo, long long hi,
              bool required = false) {
    const json::value* v = required ? m.required(key) : m.get(key);
    if (!v) return false;
    long long value = 0;
    if (v->is_int64()) {
        value = v->get_int64();
    } else if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(LLONG_MAX)) {
        value = static_cast<long long>(v->get_uint64());
    } else if (v->is_uint64()) {
        m.decoder().error(m.path(key), "must be between " + std::to_string(lo) + " and " +
                                           std::to_string(hi) + " (got " +
                                           std::to_string(v->get_uint64()) + ")");
        return false;
    } else {
        m.decoder().type_error(m.path(key), "an integer", *v);
        return false;
    }
    if (value < lo || value > hi) {
        m.decoder().error(m.path(key), range_reason(lo, hi, value));
        return false;
    }
    out = static_cast<Int>(value);
    return true;
}

bool read_int_field(const Mapping& m, std::string_view key, int& out, bool required = false) {
    return read_int(m, key, out, INT_MIN, INT_MAX, required);
}

bool read_optional_int(const Mapping& m, std::string_view key, std::optional<int>& out) {
    int v = 0;
    if (!read_int_field(m, key, v)) return false;
    out = v;
    return true;
}

bool read_number(const Mapping& m, std::string_view key, double& out) {
    const json::value* v = m.get(key);
    if (!v) return false;
    if (!v->is_number()) {
        m.decoder().type_error(m.path(key), "a number", *v);
        return false;
    }
    out = v->to_number<double>();
    return true;
}

bool read_duration(const Mapping& m, std::string_view key, Duration& out, bool required = false) {
    const json::value* v = required ? m.required(key) : m.get(key);
    if (!v) return false;
    if (!v->is_string()) {
        m.decoder().type_error(m.path(key), "a duration string such as \"10s\" or \"500ms\"", *v);
        return false;
    }
    std::string why;
    if (!parse_duration(v->get_string(), out, why)) {
        m.decoder().error(m.path(key), "invalid duration " + quoted(v->get_string()) + ": " + why);
        return false;
    }
    return true;
}

bool read_optional_duration(const Mapping& m, std::string_view key, std::optional<Duration>& out) {
    Duration d{0};
    if (!read_duration(m, key, d)) return false;
    out = d;
    return true;
}

template <class E>
struct EnumName {
    std::string_view name;
    E value;
};

template <class E>
bool read_enum(const Mapping& m, std::string_view key, E& out,
               std::initializer_list<EnumName<E>> names) {
    const json::value* v = m.get(key);
    if (!v) return false;
    if (!v->is_string()) {
        m.decoder().type_error(m.path(key), "a string", *v);
        return false;
    }
    const std::string_view text = v->get_string();
    for (const auto& n : names) {
        if (n.name == text) {
            out = n.value;
            return true;
        }
    }
    std::string reason = "invalid value " + quoted(text) + ": must be one of ";
    bool first = true;
    for (const auto& n : names) {
        if (!first) reason += ", ";
        reason += n.name;
        first = false;
    }
    m.decoder().error(m.path(key), std::move(reason));
    return false;
}

const json::array* read_list(const Mapping& m, std::string_view key, bool required = false) {
    const json::value* v = required ? m.required(key) : m.get(key);
    if (!v) return nullptr;
    if (!v->is_array()) {
        m.decoder().type_error(m.path(key), "a list", *v);
        return nullptr;
    }
    return &v->get_array();
}

// ---- the spec ------------------------------------------------------------------------------

void decode_mesh(Decoder& d, const json::value& v, const std::string& path, MeshSettings& out) {
    Mapping m(d, v, path, {"mtls", "defaultDeny", "trustDomain", "revision"});
    read_enum<MtlsMode>(m, "mtls", out.mtls,
                        {{"STRICT", MtlsMode::strict}, {"PERMISSIVE", MtlsMode::permissive}});
    read_bool(m, "defaultDeny", out.default_deny);
    read_string(m, "trustDomain", out.trust_domain);
    read_string(m, "revision", out.revision);
}

void decode_port(Decoder& d, const json::value& v, const std::string& path, Port& out) {
    Mapping m(d, v, path, {"name", "number", "protocol"});
    read_string(m, "name", out.name, true);
    read_int(m, "number", out.number, 1, 65535, true);
    read_enum<Protocol>(m, "protocol", out.protocol,
                        {{"HTTP", Protocol::http},
                         {"HTTP2", Protocol::http2},
                         {"GRPC", Protocol::grpc},
                         {"TCP", Protocol::tcp}});
}

void decode_health_check(Decoder& d, const json::value& v, const std::string& path,
                         HealthCheck& out) {
    Mapping m(d, v, path,
              {"httpGet", "tcpSocket", "exec", "initialDelay", "period", "timeout",
               "successThreshold", "failureThreshold"});
    if (!m.ok()) return;
    std::vector<std::string_view> probes;
    if (const auto* http = m.get("httpGet")) {
        probes.push_back("httpGet");
        HttpGetCheck check;
        Mapping h(d, *http, m.path("httpGet"), {"path", "port"});
        read_string(h, "path", check.path);
        read_int(h, "port", check.port, 1, 65535, true);
        out.probe = check;
    }
    if (const auto* tcp = m.get("tcpSocket")) {
        probes.push_back("tcpSocket");
        TcpCheck check;
        Mapping t(d, *tcp, m.path("tcpSocket"), {"port"});
        read_int(t, "port", check.port, 1, 65535, true);
        if (probes.size() == 1) out.probe = check;
    }
    if (const auto* exec = m.get("exec")) {
        probes.push_back("exec");
        ExecCheck check;
        Mapping e(d, *exec, m.path("exec"), {"command"});
        if (const auto* cmd = read_list(e, "command", true)) {
            for (std::size_t i = 0; i < cmd->size(); ++i) {
                const json::value& arg = (*cmd)[i];
                if (arg.is_string()) {
                    check.command.emplace_back(arg.get_string());
                } else {
                    d.type_error(index_path(e.path("command"), i), "a string", arg);
                }
            }
        }
        if (probes.size() == 1) out.probe = check;
    }
    if (probes.empty()) {
        d.error(path, "exactly one of httpGet, tcpSocket or exec is required");
    } else if (probes.size() > 1) {
        std::string found;
        for (std::size_t i = 0; i < probes.size(); ++i) {
            found += i == 0 ? "" : (i + 1 == probes.size() ? " and " : ", ");
            found += probes[i];
        }
        d.error(path, "only one of httpGet, tcpSocket or exec may be given (found " + found + ")");
    }
    read_duration(m, "initialDelay", out.initial_delay);
    read_duration(m, "period", out.period);
    read_duration(m, "timeout", out.timeout);
    read_int_field(m, "successThreshold", out.success_threshold);
    read_int_field(m, "failureThreshold", out.failure_threshold);
}

void decode_traffic_policy(Decoder& d, const json::value& v, const std::string& path,
                           TrafficPolicy& out) {
    Mapping m(d, v, path, {"loadBalancer", "connectionPool", "outlierDetection"});
    LoadBalancer lb = LoadBalancer::round_robin;
    if (read_enum<LoadBalancer>(m, "loadBalancer", lb,
                                {{"ROUND_ROBIN", LoadBalancer::round_robin},
                                 {"LEAST_REQUEST", LoadBalancer::least_request},
                                 {"RANDOM", LoadBalancer::random},
                                 {"PASSTHROUGH", LoadBalancer::passthrough}})) {
        out.load_balancer = lb;
    }
    if (const auto* cp = m.get("connectionPool")) {
        ConnectionPool pool;
        Mapping c(d, *cp, m.path("connectionPool"),
                  {"maxConnections", "connectTimeout", "http1MaxPendingRequests",
                   "http2MaxRequests", "maxRequestsPerConnection", "maxRetries"});
        read_optional_int(c, "maxConnections", pool.max_connections);
        read_optional_duration(c, "connectTimeout", pool.connect_timeout);
        read_optional_int(c, "http1MaxPendingRequests", pool.http1_max_pending_requests);
        read_optional_int(c, "http2MaxRequests", pool.http2_max_requests);
        read_optional_int(c, "maxRequestsPerConnection", pool.max_requests_per_connection);
        read_optional_int(c, "maxRetries", pool.max_retries);
        out.connection_pool = pool;
    }
    if (const auto* od = m.get("outlierDetection")) {
        OutlierDetection detection;
        Mapping o(d, *od, m.path("outlierDetection"),
                  {"consecutive5xxErrors", "interval", "baseEjectionTime", "maxEjectionPercent"});
        read_int_field(o, "consecutive5xxErrors", detection.consecutive_5xx_errors);
        read_duration(o, "interval", detection.interval);
        read_duration(o, "baseEjectionTime", detection.base_ejection_time);
        read_int_field(o, "maxEjectionPercent", detection.max_ejection_percent);
        out.outlier_detection = detection;
    }
}

void decode_resource_list(Decoder& d, const json::value& v, const std::string& path,
                          ResourceList& out) {
    Mapping m(d, v, path, {"cpu", "memory"});
    // Quantities are often written as numbers (cpu: 1, cpu: 0.5); keep their text.
    for (auto [key, field] : {std::pair{std::string_view("cpu"), &out.cpu},
                              std::pair{std::string_view("memory"), &out.memory}}) {
        const json::value* q = m.get(key);
        if (!q) continue;
        if (q->is_string()) {
            *field = std::string(q->get_string());
        } else if (q->is_int64() && q->get_int64() >= 0) {
            *field = std::to_string(q->get_int64());
        } else if (q->is_double() && std::isfinite(q->get_double()) && q->get_double() >= 0) {
            *field = format_double(q->get_double());
        } else {
            d.type_error(m.path(key), "a quantity string such as \"500m\" or \"128Mi\"", *q);
        }
    }
}

void decode_version(Decoder& d, const json::value& v, const std::string& path, Version& out) {
    Mapping m(d, v, path, {"name", "vm", "container", "vnf"});
    if (!m.ok()) return;
    read_string(m, "name", out.name, true);
    const json::value* vm = m.get("vm");
    const json::value* container = m.get("container");
    if (vm && container) {
        d.error(path, "vm and container are mutually exclusive: give exactly one");
    } else if (!vm && !container) {
        d.error(path, "exactly one of vm or container is required");
    }
    if (vm) {
        VmWorkload w;
        Mapping vmm(d, *vm, m.path("vm"), {"image", "flavor", "network", "instances"});
        read_string(vmm, "image", w.image, true);
        read_string(vmm, "flavor", w.flavor, true);
        read_string(vmm, "network", w.network, true);
        read_int_field(vmm, "instances", w.instances);
        out.workload = w;
    }
    if (container && !vm) {
        ContainerWorkload w;
        Mapping c(d, *container, m.path("container"), {"image", "replicas", "resources"});
        read_string(c, "image", w.image, true);
        read_int_field(c, "replicas", w.replicas);
        if (const auto* res = c.get("resources")) {
            Mapping r(d, *res, c.path("resources"), {"requests", "limits"});
            if (const auto* req = r.get("requests")) {
                decode_resource_list(d, *req, r.path("requests"), w.requests);
            }
            if (const auto* lim = r.get("limits")) {
                decode_resource_list(d, *lim, r.path("limits"), w.limits);
            }
        }
        out.workload = w;
    } else if (container) {
        // Still check it, so every typo shows at once.
        Mapping c(d, *container, m.path("container"), {"image", "replicas", "resources"});
    }
    if (const auto* vnf = m.required("vnf")) {
        Mapping n(d, *vnf, m.path("vnf"),
                  {"vnfdId", "flavourId", "instantiationLevel", "extraParams"});
        read_string(n, "vnfdId", out.vnf.vnfd_id, true);
        read_string(n, "flavourId", out.vnf.flavour_id, true);
        read_string(n, "instantiationLevel", out.vnf.instantiation_level);
        if (const auto* extra = n.get("extraParams")) {
            if (extra->is_object()) {
                out.vnf.extra_params = extra->get_object();
            } else {
                d.type_error(n.path("extraParams"), "a mapping", *extra);
            }
        }
    }
}

void decode_microservice(Decoder& d, const json::value& v, const std::string& path,
                         Microservice& out) {
    Mapping m(d, v, path, {"name", "ports", "healthCheck", "trafficPolicy", "versions"});
    if (!m.ok()) return;
    read_string(m, "name", out.name, true);
    if (const auto* ports = read_list(m, "ports", true)) {
        for (std::size_t i = 0; i < ports->size(); ++i) {
            decode_port(d, (*ports)[i], index_path(m.path("ports"), i), out.ports.emplace_back());
        }
    }
    if (const auto* hc = m.get("healthCheck")) {
        decode_health_check(d, *hc, m.path("healthCheck"), out.health_check.emplace());
    }
    if (const auto* tp = m.get("trafficPolicy")) {
        decode_traffic_policy(d, *tp, m.path("trafficPolicy"), out.traffic_policy);
    }
    if (const auto* versions = read_list(m, "versions", true)) {
        for (std::size_t i = 0; i < versions->size(); ++i) {
            decode_version(d, (*versions)[i], index_path(m.path("versions"), i),
                           out.versions.emplace_back());
        }
    }
}

void decode_string_match(Decoder& d, const json::value& v, const std::string& path,
                         StringMatch& out) {
    Mapping m(d, v, path, {"exact", "prefix", "regex"});
    if (!m.ok()) return;
    int found = 0;
    for (auto [key, kind] : {std::pair{std::string_view("exact"), MatchKind::exact},
                             std::pair{std::string_view("prefix"), MatchKind::prefix},
                             std::pair{std::string_view("regex"), MatchKind::regex}}) {
        if (!m.get(key)) continue;
        ++found;
        std::string value;
        if (read_string(m, key, value) && found == 1) {
            out.kind = kind;
            out.value = std::move(value);
        }
    }
    if (found == 0) {
        d.error(path, "exactly one of exact, prefix or regex is required");
    } else if (found > 1) {
        d.error(path, "only one of exact, prefix or regex may be given");
    }
}

void decode_route(Decoder& d, const json::value& v, const std::string& path, Route& out) {
    Mapping m(d, v, path, {"match", "split"});
    if (const auto* match = m.get("match")) {
        RouteMatch rm;
        Mapping mm(d, *match, m.path("match"), {"uri", "headers"});
        if (const auto* uri = mm.get("uri")) {
            decode_string_match(d, *uri, mm.path("uri"), rm.uri.emplace());
        }
        if (const auto* headers = mm.get("headers")) {
            if (const auto* obj = headers->if_object()) {
                for (const auto& kv : *obj) {
                    std::string hpath = member_path(mm.path("headers"), kv.key());
                    decode_string_match(d, kv.value(), hpath, rm.headers[std::string(kv.key())]);
                }
            } else {
                d.type_error(mm.path("headers"), "a mapping of header name to match", *headers);
            }
        }
        out.match = std::move(rm);
    }
    if (const auto* split = read_list(m, "split")) {
        for (std::size_t i = 0; i < split->size(); ++i) {
            WeightedVersion& wv = out.split.emplace_back();
            Mapping s(d, (*split)[i], index_path(m.path("split"), i), {"version", "weight"});
            read_string(s, "version", wv.version, true);
            read_int_field(s, "weight", wv.weight);
        }
    }
}

void decode_link(Decoder& d, const json::value& v, const std::string& path, Link& out,
                 bool& port_given) {
    Mapping m(d, v, path,
              {"from", "to", "port", "timeout", "retries", "fault", "mirror", "routes"});
    if (!m.ok()) return;
    read_string(m, "from", out.from, true);
    read_string(m, "to", out.to, true);
    port_given = m.get("port") != nullptr;
    read_string(m, "port", out.port);
    read_optional_duration(m, "timeout", out.timeout);
    if (const auto* r = m.get("retries")) {
        RetryPolicy retries;
        Mapping rm(d, *r, m.path("retries"), {"attempts", "perTryTimeout", "retryOn"});
        read_int_field(rm, "attempts", retries.attempts, true);
        read_optional_duration(rm, "perTryTimeout", retries.per_try_timeout);
        read_string(rm, "retryOn", retries.retry_on);
        out.retries = std::move(retries);
    }
    if (const auto* f = m.get("fault")) {
        FaultInjection fault;
        Mapping fm(d, *f, m.path("fault"), {"delay", "abort"});
        if (const auto* delay = fm.get("delay")) {
            DelayFault df;
            Mapping dm(d, *delay, fm.path("delay"), {"fixedDelay", "percentage"});
            read_duration(dm, "fixedDelay", df.fixed_delay, true);
            read_number(dm, "percentage", df.percentage);
            fault.delay = df;
        }
        if (const auto* abort = fm.get("abort")) {
            AbortFault af;
            Mapping am(d, *abort, fm.path("abort"), {"httpStatus", "percentage"});
            read_int_field(am, "httpStatus", af.http_status, true);
            read_number(am, "percentage", af.percentage);
            fault.abort = af;
        }
        out.fault = fault;
    }
    if (const auto* mi = m.get("mirror")) {
        Mirror mirror;
        Mapping mm(d, *mi, m.path("mirror"), {"version", "percentage"});
        read_string(mm, "version", mirror.version, true);
        read_number(mm, "percentage", mirror.percentage);
        out.mirror = std::move(mirror);
    }
    if (const auto* routes = read_list(m, "routes")) {
        for (std::size_t i = 0; i < routes->size(); ++i) {
            decode_route(d, (*routes)[i], index_path(m.path("routes"), i),
                         out.routes.emplace_back());
        }
    }
}

}  // namespace

Decoded decode_spec(const json::value& document) {
    Decoder d;
    Decoded out;
    ServiceSpec& spec = out.spec;
    Mapping root(d, document, "", {"apiVersion", "kind", "metadata", "spec"});
    if (!root.ok()) {
        out.errors = d.take_errors();
        out.errors.front().reason += " (a service spec has apiVersion, kind, metadata and spec)";
        return out;
    }
    std::string api_version;
    if (read_string(root, "apiVersion", api_version, true) && api_version != spec_api_version) {
        d.error("apiVersion", "unsupported apiVersion " + quoted(api_version) + ": expected \"" +
                                  std::string(spec_api_version) + "\"");
    }
    std::string kind;
    if (read_string(root, "kind", kind, true) && kind != spec_kind) {
        d.error("kind", "unsupported kind " + quoted(kind) + ": expected \"" +
                            std::string(spec_kind) + "\"");
    }
    bool namespace_given = false;
    if (const auto* md = root.required("metadata")) {
        Mapping m(d, *md, "metadata", {"name", "namespace", "labels"});
        read_string(m, "name", spec.name, true);
        namespace_given = read_string(m, "namespace", spec.namespace_);
        if (const auto* labels = m.get("labels")) {
            if (const auto* obj = labels->if_object()) {
                for (const auto& kv : *obj) {
                    if (kv.value().is_string()) {
                        spec.labels[std::string(kv.key())] = std::string(kv.value().get_string());
                    } else {
                        d.type_error(member_path(m.path("labels"), kv.key()), "a string",
                                     kv.value());
                    }
                }
            } else {
                d.type_error(m.path("labels"), "a mapping of label names to strings", *labels);
            }
        }
    }
    if (!namespace_given) {
        spec.namespace_ = spec.name;
        out.namespace_defaulted = true;
    }

    std::vector<bool> link_port_given;
    if (const auto* sp = root.required("spec")) {
        Mapping m(d, *sp, "spec", {"mesh", "microservices", "links"});
        if (const auto* mesh = m.get("mesh")) decode_mesh(d, *mesh, m.path("mesh"), spec.mesh);
        if (const auto* list = read_list(m, "microservices", true)) {
            for (std::size_t i = 0; i < list->size(); ++i) {
                decode_microservice(d, (*list)[i], index_path(m.path("microservices"), i),
                                    spec.microservices.emplace_back());
            }
        }
        if (const auto* list = read_list(m, "links")) {
            for (std::size_t i = 0; i < list->size(); ++i) {
                bool given = false;
                decode_link(d, (*list)[i], index_path(m.path("links"), i),
                            spec.links.emplace_back(), given);
                link_port_given.push_back(given);
            }
        }
    }
    // A link may leave out the port when its destination has exactly one.
    for (std::size_t i = 0; i < spec.links.size(); ++i) {
        Link& link = spec.links[i];
        if (link_port_given[i]) continue;
        if (const Microservice* to = spec.find_microservice(link.to); to && to->ports.size() == 1) {
            link.port = to->ports.front().name;
        }
    }
    out.errors = d.take_errors();
    return out;
}

}  // namespace meshorch::spec_detail
