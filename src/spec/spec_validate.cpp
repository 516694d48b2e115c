// validate(): the semantic rules of a service spec, on the model. Paths match the document.

#include <meshorch/spec.hpp>

#include "spec/json_path.hpp"
#include "spec/names.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace meshorch {

namespace {

using spec_detail::index_path;
using spec_detail::invalid_name;
using spec_detail::member_path;
using spec_detail::quoted;
using spec_detail::range_reason;

// Ports the Istio sidecar listens on; an application port there would collide with it.
constexpr std::array<int, 10> istio_reserved_ports = {15000, 15001, 15004, 15006, 15008,
                                                      15009, 15020, 15021, 15053, 15090};

// Envoy/Istio retry conditions (x-envoy-retry-on and x-envoy-retry-grpc-on).
constexpr std::array<std::string_view, 16> retry_conditions = {"5xx",
                                                               "gateway-error",
                                                               "reset",
                                                               "reset-before-request",
                                                               "connect-failure",
                                                               "envoy-ratelimited",
                                                               "retriable-4xx",
                                                               "refused-stream",
                                                               "retriable-status-codes",
                                                               "retriable-headers",
                                                               "http3-post-connect-failure",
                                                               "cancelled",
                                                               "deadline-exceeded",
                                                               "internal",
                                                               "resource-exhausted",
                                                               "unavailable"};

std::string format_number(double v) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) {
        if (!out.empty()) out += ", ";
        out += i;
    }
    return out;
}

class Validator {
public:
    explicit Validator(const ServiceSpec& spec) : spec_(spec) {}

    std::vector<FieldError> run() {
        metadata();
        mesh();
        microservices();
        links();
        return std::move(errors_);
    }

private:
    void error(std::string path, std::string reason) {
        errors_.push_back(FieldError{std::move(path), std::move(reason), 0, 0});
    }

    // Checks a name: "is required" when empty, else the checker's problem.
    void name(const std::string& path, const std::string& value, std::string_view what,
              std::string (*problem)(std::string_view)) {
        if (value.empty()) {
            error(path, "is required");
        } else if (auto p = problem(value); !p.empty()) {
            error(path, invalid_name(value, what, p));
        }
    }

    void at_least(const std::string& path, long long value, long long min) {
        if (value < min) {
            error(path, "must be at least " + std::to_string(min) + " (got " +
                            std::to_string(value) + ")");
        }
    }

    void positive(const std::string& path, Duration d) {
        if (d.count() <= 0) error(path, "must be greater than 0");
    }

    void not_negative(const std::string& path, Duration d) {
        if (d.count() < 0) error(path, "must not be negative");
    }

    void percentage(const std::string& path, double p) {
        if (!(p >= 0.0 && p <= 100.0)) {
            error(path, "must be between 0 and 100 (got " + format_number(p) + ")");
        }
    }

    void port_number(const std::string& path, int number) {
        if (number < 1 || number > 65535) {
            error(path, range_reason(1, 65535, number));
            return;
        }
        for (int reserved : istio_reserved_ports) {
            if (number == reserved) {
                error(path, "port " + std::to_string(number) +
                                " is reserved by the Istio sidecar (15000, 15001, 15004, 15006, "
                                "15008, 15009, 15020, 15021, 15053, 15090)");
            }
        }
    }

    void required_token(const std::string& path, const std::string& value) {
        if (value.empty()) {
            error(path, "is required");
        } else if (spec_detail::has_space_or_control(value)) {
            error(path, quoted(value) + " must not contain white space or control characters");
        }
    }

    void required_text(const std::string& path, const std::string& value) {
        if (value.empty()) {
            error(path, "is required");
        } else if (std::any_of(value.begin(), value.end(), [](char c) {
                       return static_cast<unsigned char>(c) < 0x20 ||
                              static_cast<unsigned char>(c) == 0x7f;
                   })) {
            error(path, quoted(value) + " must not contain control characters");
        }
    }

    // ---- metadata and mesh ------------------------------------------------------------------

    void metadata() {
        name("metadata.name", spec_.name, "service name (a DNS-1123 label)",
             spec_detail::dns1123_label_problem);
        name("metadata.namespace", spec_.namespace_, "namespace (a DNS-1123 label)",
             spec_detail::dns1123_label_problem);
        for (const auto& [key, value] : spec_.labels) {
            const std::string path = member_path("metadata.labels", key);
            if (auto p = spec_detail::label_key_problem(key); !p.empty()) {
                error(path, invalid_name(key, "label key", p));
            } else if (key == "app" || key == "version" || key == "istio-injection" ||
                       key == "istio.io/rev" || key == "app.kubernetes.io/managed-by" ||
                       key.rfind("meshorch.io/", 0) == 0) {
                error(path, "label " + quoted(key) + " is reserved: meshorch sets it itself");
            }
            if (auto p = spec_detail::label_value_problem(value); !p.empty()) {
                error(path, invalid_name(value, "label value", p));
            }
        }
    }

    void mesh() {
        const MeshSettings& m = spec_.mesh;
        const std::string td = "spec.mesh.trustDomain";
        if (m.trust_domain.empty()) {
            error(td, "is required");
        } else if (m.trust_domain.size() > 255) {
            error(td, "must be at most 255 characters");
        } else if (std::any_of(m.trust_domain.begin(), m.trust_domain.end(), [](char c) {
                       return !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                                c == '-' || c == '_');
                   })) {
            error(td, invalid_name(m.trust_domain, "trust domain",
                                   "must consist of lower-case letters, digits, '.', '-' and '_'"));
        }
        if (!m.revision.empty()) {
            if (auto p = spec_detail::dns1123_label_problem(m.revision); !p.empty()) {
                error("spec.mesh.revision", invalid_name(m.revision, "Istio revision", p));
            }
        }
    }

    // ---- microservices ----------------------------------------------------------------------

    void microservices() {
        if (spec_.microservices.empty()) {
            error("spec.microservices", "at least one microservice is required");
        }
        std::map<std::string, std::size_t> seen;
        for (std::size_t i = 0; i < spec_.microservices.size(); ++i) {
            const Microservice& ms = spec_.microservices[i];
            const std::string path = index_path("spec.microservices", i);
            name(path + ".name", ms.name, "microservice name (a DNS-1035 label)",
                 spec_detail::dns1035_label_problem);
            if (!ms.name.empty()) {
                auto [it, inserted] = seen.emplace(ms.name, i);
                if (!inserted) {
                    error(path + ".name", "duplicate microservice name " + quoted(ms.name) +
                                              " (also spec.microservices[" +
                                              std::to_string(it->second) + "])");
                }
            }
            microservice(ms, path);
        }
    }

    void microservice(const Microservice& ms, const std::string& path) {
        if (ms.ports.empty()) error(path + ".ports", "at least one port is required");
        std::map<std::string, std::size_t> names;
        std::map<int, std::size_t> numbers;
        for (std::size_t j = 0; j < ms.ports.size(); ++j) {
            const Port& port = ms.ports[j];
            const std::string pp = index_path(path + ".ports", j);
            name(pp + ".name", port.name, "port name", spec_detail::port_name_problem);
            port_number(pp + ".number", port.number);
            if (!port.name.empty()) {
                if (auto [it, inserted] = names.emplace(port.name, j); !inserted) {
                    error(pp + ".name", "duplicate port name " + quoted(port.name) + " (also " +
                                            index_path(path + ".ports", it->second) + ")");
                }
            }
            if (port.number != 0) {
                if (auto [it, inserted] = numbers.emplace(port.number, j); !inserted) {
                    error(pp + ".number", "duplicate port number " + std::to_string(port.number) +
                                              " (also " + index_path(path + ".ports", it->second) +
                                              ")");
                }
            }
        }
        if (ms.health_check) health_check(ms, *ms.health_check, path + ".healthCheck");
        traffic_policy(ms.traffic_policy, path + ".trafficPolicy");

        if (ms.versions.empty()) error(path + ".versions", "at least one version is required");
        std::map<std::string, std::size_t> versions;
        for (std::size_t k = 0; k < ms.versions.size(); ++k) {
            const Version& v = ms.versions[k];
            const std::string vp = index_path(path + ".versions", k);
            name(vp + ".name", v.name, "version name (a DNS-1123 label)",
                 spec_detail::dns1123_label_problem);
            if (!v.name.empty()) {
                if (auto [it, inserted] = versions.emplace(v.name, k); !inserted) {
                    error(vp + ".name", "duplicate version name " + quoted(v.name) + " (also " +
                                            index_path(path + ".versions", it->second) + ")");
                }
            }
            const std::string object_name = ms.name + "-" + v.name;
            if (!ms.name.empty() && !v.name.empty() && object_name.size() > 63 &&
                spec_detail::dns1035_label_problem(ms.name).empty() &&
                spec_detail::dns1123_label_problem(v.name).empty()) {
                error(vp + ".name", "the object name " + quoted(object_name) +
                                        " (<microservice>-<version>) must be at most 63 "
                                        "characters (it has " +
                                        std::to_string(object_name.size()) + ")");
            }
            version(v, vp);
        }
    }

    void health_check(const Microservice& ms, const HealthCheck& hc, const std::string& path) {
        auto check_port = [&](const std::string& pp, int number) {
            if (number < 1 || number > 65535) {
                error(pp, range_reason(1, 65535, number));
                return;
            }
            // When a port number is itself wrong, that is the error to report.
            if (std::any_of(ms.ports.begin(), ms.ports.end(),
                            [](const Port& p) { return p.number == 0; })) {
                return;
            }
            for (const Port& p : ms.ports) {
                if (p.number == number) return;
            }
            std::vector<std::string> ports;
            for (const Port& p : ms.ports) ports.push_back(std::to_string(p.number));
            error(pp, "port " + std::to_string(number) + " is not a port of microservice " +
                          quoted(ms.name) + " (ports: " + join(ports) + ")");
        };
        if (const auto* http = std::get_if<HttpGetCheck>(&hc.probe)) {
            check_port(path + ".httpGet.port", http->port);
            if (http->path.empty() || http->path.front() != '/') {
                error(path + ".httpGet.path",
                      "must start with '/' (got " + quoted(http->path) + ")");
            } else if (spec_detail::has_space_or_control(http->path)) {
                error(path + ".httpGet.path", "must not contain white space or control characters");
            }
        } else if (const auto* tcp = std::get_if<TcpCheck>(&hc.probe)) {
            check_port(path + ".tcpSocket.port", tcp->port);
        } else if (const auto* exec = std::get_if<ExecCheck>(&hc.probe)) {
            if (exec->command.empty() || exec->command.front().empty()) {
                error(path + ".exec.command", "must name a program to run");
            }
        }
        not_negative(path + ".initialDelay", hc.initial_delay);
        positive(path + ".period", hc.period);
        positive(path + ".timeout", hc.timeout);
        at_least(path + ".successThreshold", hc.success_threshold, 1);
        at_least(path + ".failureThreshold", hc.failure_threshold, 1);
    }

    void traffic_policy(const TrafficPolicy& tp, const std::string& path) {
        if (tp.connection_pool) {
            const ConnectionPool& cp = *tp.connection_pool;
            const std::string cpp = path + ".connectionPool";
            if (cp.max_connections) at_least(cpp + ".maxConnections", *cp.max_connections, 1);
            if (cp.connect_timeout) positive(cpp + ".connectTimeout", *cp.connect_timeout);
            if (cp.http1_max_pending_requests) {
                at_least(cpp + ".http1MaxPendingRequests", *cp.http1_max_pending_requests, 1);
            }
            if (cp.http2_max_requests) {
                at_least(cpp + ".http2MaxRequests", *cp.http2_max_requests, 1);
            }
            if (cp.max_requests_per_connection) {
                at_least(cpp + ".maxRequestsPerConnection", *cp.max_requests_per_connection, 0);
            }
            if (cp.max_retries) at_least(cpp + ".maxRetries", *cp.max_retries, 0);
        }
        if (tp.outlier_detection) {
            const OutlierDetection& od = *tp.outlier_detection;
            const std::string op = path + ".outlierDetection";
            at_least(op + ".consecutive5xxErrors", od.consecutive_5xx_errors, 0);
            positive(op + ".interval", od.interval);
            positive(op + ".baseEjectionTime", od.base_ejection_time);
            if (od.max_ejection_percent < 0 || od.max_ejection_percent > 100) {
                error(op + ".maxEjectionPercent", range_reason(0, 100, od.max_ejection_percent));
            }
        }
    }

    void quantity(const std::string& path, const std::string& text) {
        if (!text.empty() && !spec_detail::parse_quantity(text)) {
            error(path, "invalid quantity " + quoted(text) +
                            ": expected a number with an optional unit, e.g. 500m, 1, 128Mi");
        }
    }

    void version(const Version& v, const std::string& path) {
        if (const auto* vm = std::get_if<VmWorkload>(&v.workload)) {
            const std::string p = path + ".vm";
            required_text(p + ".image", vm->image);
            required_text(p + ".flavor", vm->flavor);
            required_text(p + ".network", vm->network);
            at_least(p + ".instances", vm->instances, 1);
        } else {
            const auto& c = std::get<ContainerWorkload>(v.workload);
            const std::string p = path + ".container";
            required_token(p + ".image", c.image);
            at_least(p + ".replicas", c.replicas, 1);
            const std::string rp = p + ".resources";
            quantity(rp + ".requests.cpu", c.requests.cpu);
            quantity(rp + ".requests.memory", c.requests.memory);
            quantity(rp + ".limits.cpu", c.limits.cpu);
            quantity(rp + ".limits.memory", c.limits.memory);
            auto not_above = [&](const std::string& field, const std::string& request,
                                 const std::string& limit) {
                auto r = spec_detail::parse_quantity(request);
                auto l = spec_detail::parse_quantity(limit);
                if (r && l && *r > *l) {
                    error(rp + ".requests." + field,
                          "the request " + request + " is above the limit " + limit);
                }
            };
            not_above("cpu", c.requests.cpu, c.limits.cpu);
            not_above("memory", c.requests.memory, c.limits.memory);
        }
        const std::string np = path + ".vnf";
        required_token(np + ".vnfdId", v.vnf.vnfd_id);
        required_token(np + ".flavourId", v.vnf.flavour_id);
        if (spec_detail::has_space_or_control(v.vnf.instantiation_level)) {
            error(np + ".instantiationLevel",
                  quoted(v.vnf.instantiation_level) +
                      " must not contain white space or control characters");
        }
        finite_numbers(v.vnf.extra_params, np + ".extraParams", 0);
    }

    // JSON cannot carry NaN or infinity, so Tacker could not be sent them.
    void finite_numbers(const boost::json::object& o, const std::string& path, int depth) {
        for (const auto& kv : o) finite_numbers(kv.value(), member_path(path, kv.key()), depth);
    }
    void finite_numbers(const boost::json::value& v, const std::string& path, int depth) {
        if (depth > 128) return;
        if (v.is_double() && !std::isfinite(v.get_double())) {
            error(path, "must be a finite number (JSON cannot carry NaN or infinity)");
        } else if (v.is_object()) {
            for (const auto& kv : v.get_object()) {
                finite_numbers(kv.value(), member_path(path, kv.key()), depth + 1);
            }
        } else if (v.is_array()) {
            const auto& a = v.get_array();
            for (std::size_t i = 0; i < a.size(); ++i) {
                finite_numbers(a[i], index_path(path, i), depth + 1);
            }
        }
    }

    // ---- links ------------------------------------------------------------------------------

    const Microservice* endpoint(const std::string& path, const std::string& ms_name) {
        if (ms_name.empty()) {
            error(path, "is required");
            return nullptr;
        }
        const Microservice* ms = spec_.find_microservice(ms_name);
        if (!ms) error(path, "unknown microservice " + quoted(ms_name));
        return ms;
    }

    std::string versions_of(const Microservice& ms) {
        std::vector<std::string> names;
        for (const auto& v : ms.versions) names.push_back(v.name);
        return join(names);
    }

    void version_ref(const std::string& path, const Microservice* to, const std::string& v) {
        if (v.empty()) {
            error(path, "is required");
        } else if (to && !to->find_version(v)) {
            error(path, "unknown version " + quoted(v) + " of microservice " + quoted(to->name) +
                            " (versions: " + versions_of(*to) + ")");
        }
    }

    void links() {
        std::map<std::tuple<std::string, std::string, std::string>, std::size_t> seen;
        for (std::size_t i = 0; i < spec_.links.size(); ++i) {
            const Link& link = spec_.links[i];
            const std::string path = index_path("spec.links", i);
            const Microservice* from = endpoint(path + ".from", link.from);
            const Microservice* to = endpoint(path + ".to", link.to);
            if (from && to && from == to) {
                error(path + ".to",
                      "a microservice cannot link to itself (" + quoted(link.to) + ")");
            }
            const Port* port = nullptr;
            if (to) {
                std::vector<std::string> port_names;
                for (const Port& p : to->ports) port_names.push_back(p.name);
                if (link.port.empty()) {
                    error(path + ".port", to->ports.size() > 1
                                              ? "is required: microservice " + quoted(to->name) +
                                                    " has several ports (" + join(port_names) + ")"
                                              : std::string("is required"));
                } else if (port = to->find_port(link.port); !port) {
                    error(path + ".port", quoted(link.port) + " is not a port of microservice " +
                                              quoted(to->name) + " (ports: " + join(port_names) +
                                              ")");
                }
            }
            if (from && to && !link.port.empty()) {
                auto [it, inserted] = seen.emplace(std::tuple{link.from, link.to, link.port}, i);
                if (!inserted) {
                    error(path, "duplicate link: spec.links[" + std::to_string(it->second) +
                                    "] already links " + quoted(link.from) + " to " +
                                    quoted(link.to) + " on port " + quoted(link.port));
                }
            }
            link_policy(link, path, to, port);
        }
    }

    void link_policy(const Link& link, const std::string& path, const Microservice* to,
                     const Port* port) {
        const bool tcp = port && port->protocol == Protocol::tcp;
        const std::string tcp_note = tcp ? "HTTP only, but port " + quoted(port->name) +
                                               " of microservice " + quoted(to->name) + " is TCP"
                                         : std::string();
        if (link.timeout) {
            if (tcp) error(path + ".timeout", tcp_note);
            positive(path + ".timeout", *link.timeout);
        }
        if (link.retries) {
            const RetryPolicy& r = *link.retries;
            const std::string rp = path + ".retries";
            if (tcp) error(rp, tcp_note);
            if (r.attempts < 0) {
                error(rp + ".attempts",
                      "must not be negative (got " + std::to_string(r.attempts) + ")");
            }
            if (r.per_try_timeout) {
                positive(rp + ".perTryTimeout", *r.per_try_timeout);
                if (r.attempts < 1) error(rp + ".perTryTimeout", "needs attempts of at least 1");
            }
            if (!r.retry_on.empty()) {
                if (r.attempts < 1) error(rp + ".retryOn", "needs attempts of at least 1");
                retry_on(rp + ".retryOn", r.retry_on);
            }
        }
        if (link.fault) {
            const FaultInjection& f = *link.fault;
            const std::string fp = path + ".fault";
            if (tcp) error(fp, tcp_note);
            if (!f.delay && !f.abort) error(fp, "give delay, abort or both");
            if (f.delay) {
                positive(fp + ".delay.fixedDelay", f.delay->fixed_delay);
                percentage(fp + ".delay.percentage", f.delay->percentage);
            }
            if (f.abort) {
                if (f.abort->http_status < 200 || f.abort->http_status > 599) {
                    error(fp + ".abort.httpStatus", range_reason(200, 599, f.abort->http_status));
                }
                percentage(fp + ".abort.percentage", f.abort->percentage);
            }
        }
        if (link.mirror) {
            const std::string mp = path + ".mirror";
            if (tcp) error(mp, tcp_note);
            version_ref(mp + ".version", to, link.mirror->version);
            percentage(mp + ".percentage", link.mirror->percentage);
        }
        for (std::size_t j = 0; j < link.routes.size(); ++j) {
            const Route& route = link.routes[j];
            const std::string rp = index_path(path + ".routes", j);
            if (!route.match && j + 1 < link.routes.size()) {
                error(rp,
                      "a route without a match takes all traffic, so it must be the last "
                      "one (the routes after it would never apply)");
            }
            if (route.match) match(*route.match, rp + ".match", tcp ? tcp_note : std::string());
            split(route.split, rp + ".split", to);
        }
    }

    void retry_on(const std::string& path, const std::string& list) {
        std::size_t start = 0;
        while (start <= list.size()) {
            std::size_t comma = list.find(',', start);
            if (comma == std::string::npos) comma = list.size();
            std::string_view token(list.data() + start, comma - start);
            while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
            while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
            bool known = std::find(retry_conditions.begin(), retry_conditions.end(), token) !=
                         retry_conditions.end();
            if (!known && token.size() == 3 && std::all_of(token.begin(), token.end(), [](char c) {
                    return c >= '0' && c <= '9';
                })) {
                known = token >= "100" && token <= "599";  // a retriable HTTP status code
            }
            if (!known) {
                std::string all;
                for (auto c : retry_conditions) {
                    if (!all.empty()) all += ", ";
                    all += c;
                }
                error(path, "unknown retry condition " + quoted(token) + " (known: " + all +
                                ", or an HTTP status code)");
            }
            start = comma + 1;
        }
    }

    void string_match(const StringMatch& m, const std::string& path, bool is_uri) {
        const char* kind = m.kind == MatchKind::exact    ? "exact"
                           : m.kind == MatchKind::prefix ? "prefix"
                                                         : "regex";
        if (m.value.empty()) {
            error(path, std::string("the ") + kind + " value must not be empty");
        } else if (is_uri && m.kind != MatchKind::regex && m.value.front() != '/') {
            error(path, std::string("a URI ") + kind + " must start with '/' (got " +
                            quoted(m.value) + ")");
        }
    }

    void match(const RouteMatch& m, const std::string& path, const std::string& tcp_note) {
        if (!m.uri && m.headers.empty()) {
            error(path,
                  "an empty match matches everything: give uri or headers, or leave out "
                  "match");
            return;
        }
        if (!tcp_note.empty()) error(path, tcp_note);
        if (m.uri) string_match(*m.uri, path + ".uri", true);
        for (const auto& [header, hm] : m.headers) {
            const std::string hp = member_path(path + ".headers", header);
            if (!spec_detail::is_lowercase_header_name(header)) {
                std::string lower = header;
                for (char& c : lower)
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                error(hp, spec_detail::is_lowercase_header_name(lower)
                              ? "header name " + quoted(header) + " must be lower case"
                              : invalid_name(header, "HTTP header name",
                                             "use letters, digits and !#$%&'*+-.^_`|~"));
            }
            string_match(hm, hp, false);
        }
    }

    void split(const std::vector<WeightedVersion>& split, const std::string& path,
               const Microservice* to) {
        if (split.empty()) return;
        long long sum = 0;
        bool weights_ok = true;
        std::set<std::string> seen;
        for (std::size_t k = 0; k < split.size(); ++k) {
            const WeightedVersion& wv = split[k];
            const std::string wp = index_path(path, k);
            version_ref(wp + ".version", to, wv.version);
            if (!wv.version.empty() && !seen.insert(wv.version).second) {
                error(wp + ".version",
                      "version " + quoted(wv.version) + " appears more than once in this split");
            }
            if (wv.weight < 0 || wv.weight > 100) {
                error(wp + ".weight", range_reason(0, 100, wv.weight));
                weights_ok = false;
            }
            sum += wv.weight;
        }
        if (weights_ok && sum != 100) {
            error(path, "the weights must sum to 100 (they sum to " + std::to_string(sum) + ")");
        }
    }

    const ServiceSpec& spec_;
    std::vector<FieldError> errors_;
};

}  // namespace

std::vector<FieldError> validate(const ServiceSpec& spec) {
    return Validator(spec).run();
}

}  // namespace meshorch
