// Malformed specs: each case mutates the valid base spec and names every error load_spec must
// report, by exact path and a specific part of the reason.

#include "spec_test_support.hpp"

#include <functional>
#include <ostream>

namespace meshorch::test {
namespace {

namespace json = boost::json;

struct Expected {
    std::string path;
    std::string reason;  // substring of FieldError::reason
};

struct Case {
    std::string name;
    std::function<void(json::value&)> mutate;
    std::vector<Expected> errors;
};

void PrintTo(const Case& c, std::ostream* os) {
    *os << c.name;
}

std::vector<Case> cases() {
    using V = json::value;
    const std::string ms0 = "/spec/microservices/0";
    const std::string ms1 = "/spec/microservices/1";
    const std::string ms2 = "/spec/microservices/2";
    const std::string l0 = "/spec/links/0";
    const std::string l1 = "/spec/links/1";
    // clang-format off
    return {
        // ---- envelope and metadata ----
        {"wrong_api_version", [](V& d) { set_at(d, "/apiVersion", "meshorch.io/v1"); },
         {{"apiVersion", "unsupported apiVersion \"meshorch.io/v1\": expected \"meshorch.io/v1alpha1\""}}},
        {"wrong_kind", [](V& d) { set_at(d, "/kind", "Deployment"); },
         {{"kind", "unsupported kind \"Deployment\": expected \"Service\""}}},
        {"missing_kind", [](V& d) { erase_at(d, "/kind"); }, {{"kind", "is required"}}},
        {"unknown_top_level_field", [](V& d) { set_at(d, "/status", json::object{}); },
         {{"status", "unknown field \"status\"; expected one of: apiVersion, kind, metadata, spec"}}},
        {"document_is_a_list", [](V& d) { d = json::array{1, 2}; },
         {{"", "expected a mapping, found a list"}}},
        {"missing_name", [](V& d) { erase_at(d, "/metadata/name"); },
         {{"metadata.name", "is required"}}},
        {"upper_case_name", [](V& d) { set_at(d, "/metadata/name", "Shop"); },
         {{"metadata.name", "\"Shop\" is not a valid service name (a DNS-1123 label): must consist of lower-case letters, digits and '-'"}}},
        {"namespace_too_long", [](V& d) { set_at(d, "/metadata/namespace", json::string(64, 'n')); },
         {{"metadata.namespace", "must be at most 63 characters (it has 64)"}}},
        {"namespace_ends_with_dash", [](V& d) { set_at(d, "/metadata/namespace", "shop-"); },
         {{"metadata.namespace", "must start and end with a lower-case letter or digit"}}},
        {"label_value_not_a_string", [](V& d) { set_at(d, "/metadata/labels/team", 7); },
         {{"metadata.labels.team", "expected a string, found an integer (quote the value to make it a string)"}}},
        {"reserved_label", [](V& d) { set_at(d, "/metadata/labels/meshorch.io~1service", "other"); },
         {{"metadata.labels[\"meshorch.io/service\"]", "is reserved"}}},
        {"bad_label_value", [](V& d) { set_at(d, "/metadata/labels/team", "pay ments"); },
         {{"metadata.labels.team", "\"pay ments\" is not a valid label value"}}},

        // ---- mesh ----
        {"mtls_wrong_case", [](V& d) { set_at(d, "/spec/mesh", json::object{{"mtls", "strict"}}); },
         {{"spec.mesh.mtls", "invalid value \"strict\": must be one of STRICT, PERMISSIVE"}}},
        {"default_deny_not_bool", [](V& d) { set_at(d, "/spec/mesh", json::object{{"defaultDeny", "yes"}}); },
         {{"spec.mesh.defaultDeny", "expected a boolean (true or false), found a string"}}},
        {"bad_trust_domain", [](V& d) { set_at(d, "/spec/mesh", json::object{{"trustDomain", "Cluster Local"}}); },
         {{"spec.mesh.trustDomain", "is not a valid trust domain"}}},
        {"bad_revision", [](V& d) { set_at(d, "/spec/mesh", json::object{{"revision", "1.20"}}); },
         {{"spec.mesh.revision", "\"1.20\" is not a valid Istio revision"}}},

        // ---- microservices and ports ----
        {"no_microservices", [](V& d) { set_at(d, "/spec/microservices", json::array{}); },
         // Every link now names unknown microservices.
         {{"spec.microservices", "at least one microservice is required"},
          {"spec.links[0].from", "unknown microservice \"frontend\""},
          {"spec.links[0].to", "unknown microservice \"backend\""},
          {"spec.links[1].from", "unknown microservice \"backend\""},
          {"spec.links[1].to", "unknown microservice \"db\""}}},
        {"microservices_missing", [](V& d) { erase_at(d, "/spec/microservices"); erase_at(d, "/spec/links"); },
         {{"spec.microservices", "is required"}}},
        {"microservice_not_a_mapping", [](V& d) { set_at(d, "/spec/microservices/-", "cache"); },
         {{"spec.microservices[3]", "expected a mapping, found a string"}}},
        {"microservice_name_starts_with_digit", [=](V& d) { set_at(d, ms2 + "/name", "9db"); set_at(d, l1 + "/to", "9db"); },
         {{"spec.microservices[2].name", "must start with a lower-case letter"}}},
        {"duplicate_microservice", [=](V& d) { set_at(d, ms1 + "/name", "frontend"); },
         {{"spec.microservices[1].name", "duplicate microservice name \"frontend\" (also spec.microservices[0])"},
          {"spec.links[0].to", "unknown microservice \"backend\""},
          {"spec.links[1].from", "unknown microservice \"backend\""}}},
        {"ports_missing", [=](V& d) { erase_at(d, ms0 + "/ports"); erase_at(d, ms0 + "/healthCheck"); },
         {{"spec.microservices[0].ports", "is required"}}},
        {"port_number_too_big", [=](V& d) { set_at(d, ms0 + "/ports/0/number", 70000); },
         {{"spec.microservices[0].ports[0].number", "must be between 1 and 65535 (got 70000)"}}},
        {"port_number_zero", [=](V& d) { set_at(d, ms2 + "/ports/0/number", 0); erase_at(d, ms2 + "/healthCheck"); },
         {{"spec.microservices[2].ports[0].number", "must be between 1 and 65535 (got 0)"}}},
        {"port_number_string", [=](V& d) { set_at(d, ms0 + "/ports/0/number", "8080"); },
         {{"spec.microservices[0].ports[0].number", "expected an integer, found a string"}}},
        {"port_number_float", [=](V& d) { set_at(d, ms0 + "/ports/0/number", 8080.5); },
         {{"spec.microservices[0].ports[0].number", "expected an integer, found a decimal number"}}},
        {"protocol_lower_case", [=](V& d) { set_at(d, ms1 + "/ports/1/protocol", "grpc"); },
         {{"spec.microservices[1].ports[1].protocol", "invalid value \"grpc\": must be one of HTTP, HTTP2, GRPC, TCP"}}},
        {"duplicate_port_name", [=](V& d) { set_at(d, ms1 + "/ports/1/name", "http"); },
         {{"spec.microservices[1].ports[1].name", "duplicate port name \"http\" (also spec.microservices[1].ports[0])"}}},
        {"duplicate_port_number", [=](V& d) { set_at(d, ms1 + "/ports/1/number", 9080); },
         {{"spec.microservices[1].ports[1].number", "duplicate port number 9080"}}},
        {"istio_reserved_port", [=](V& d) { set_at(d, ms1 + "/ports/1/number", 15006); },
         {{"spec.microservices[1].ports[1].number", "port 15006 is reserved by the Istio sidecar"}}},
        {"port_name_too_long", [=](V& d) { set_at(d, ms1 + "/ports/1/name", "grpc-very-long-name"); },
         {{"spec.microservices[1].ports[1].name", "must be at most 15 characters (it has 19)"}}},
        {"port_typo_field", [=](V& d) { set_at(d, ms1 + "/ports/1/protcol", "GRPC"); },
         {{"spec.microservices[1].ports[1].protcol", "unknown field \"protcol\" (did you mean \"protocol\"?)"}}},

        // ---- health checks ----
        {"health_port_not_a_port", [=](V& d) { set_at(d, ms0 + "/healthCheck/httpGet/port", 9999); },
         {{"spec.microservices[0].healthCheck.httpGet.port", "port 9999 is not a port of microservice \"frontend\" (ports: 8080)"}}},
        {"health_two_probes", [=](V& d) { set_at(d, ms0 + "/healthCheck/tcpSocket", json::object{{"port", 8080}}); },
         {{"spec.microservices[0].healthCheck", "only one of httpGet, tcpSocket or exec may be given (found httpGet and tcpSocket)"}}},
        {"health_no_probe", [=](V& d) { set_at(d, ms0 + "/healthCheck", json::object{{"period", "5s"}}); },
         {{"spec.microservices[0].healthCheck", "exactly one of httpGet, tcpSocket or exec is required"}}},
        {"health_threshold_zero", [=](V& d) { set_at(d, ms0 + "/healthCheck/failureThreshold", 0); },
         {{"spec.microservices[0].healthCheck.failureThreshold", "must be at least 1 (got 0)"}}},
        {"health_path_relative", [=](V& d) { set_at(d, ms0 + "/healthCheck/httpGet/path", "healthz"); },
         {{"spec.microservices[0].healthCheck.httpGet.path", "must start with '/'"}}},
        {"health_exec_empty", [=](V& d) { set_at(d, ms0 + "/healthCheck", json::object{{"exec", json::object{{"command", json::array{}}}}}); },
         {{"spec.microservices[0].healthCheck.exec.command", "must name a program to run"}}},
        {"duration_without_unit", [=](V& d) { set_at(d, ms0 + "/healthCheck/period", "10"); },
         {{"spec.microservices[0].healthCheck.period", "invalid duration \"10\": missing unit (ms, s, m or h)"}}},
        {"duration_negative", [=](V& d) { set_at(d, ms0 + "/healthCheck/timeout", "-1s"); },
         {{"spec.microservices[0].healthCheck.timeout", "invalid duration \"-1s\": must not be negative"}}},
        {"duration_sub_millisecond", [=](V& d) { set_at(d, ms0 + "/healthCheck/timeout", "0.5ms"); },
         {{"spec.microservices[0].healthCheck.timeout", "finer than a millisecond"}}},
        {"duration_bad_unit", [=](V& d) { set_at(d, ms0 + "/healthCheck/timeout", "5us"); },
         {{"spec.microservices[0].healthCheck.timeout", "unknown unit \"us\""}}},
        {"duration_as_number", [=](V& d) { set_at(d, ms0 + "/healthCheck/timeout", 5); },
         {{"spec.microservices[0].healthCheck.timeout", "expected a duration string such as \"10s\" or \"500ms\", found an integer"}}},
        {"health_period_zero", [=](V& d) { set_at(d, ms0 + "/healthCheck/period", "0s"); },
         {{"spec.microservices[0].healthCheck.period", "must be greater than 0"}}},

        // ---- traffic policy ----
        {"load_balancer_unknown", [=](V& d) { set_at(d, ms1 + "/trafficPolicy/loadBalancer", "LEAST_CONN"); },
         {{"spec.microservices[1].trafficPolicy.loadBalancer", "must be one of ROUND_ROBIN, LEAST_REQUEST, RANDOM, PASSTHROUGH"}}},
        {"max_ejection_percent", [=](V& d) { set_at(d, ms1 + "/trafficPolicy/outlierDetection/maxEjectionPercent", 150); },
         {{"spec.microservices[1].trafficPolicy.outlierDetection.maxEjectionPercent", "must be between 0 and 100 (got 150)"}}},
        {"max_connections_zero", [=](V& d) { set_at(d, ms1 + "/trafficPolicy/connectionPool/maxConnections", 0); },
         {{"spec.microservices[1].trafficPolicy.connectionPool.maxConnections", "must be at least 1 (got 0)"}}},
        {"connection_pool_typo", [=](V& d) { set_at(d, ms1 + "/trafficPolicy/connectionPool/maxRetry", 3); },
         {{"spec.microservices[1].trafficPolicy.connectionPool.maxRetry", "unknown field \"maxRetry\" (did you mean \"maxRetries\"?)"}}},

        // ---- versions ----
        {"no_versions", [=](V& d) { set_at(d, ms2 + "/versions", json::array{}); },
         {{"spec.microservices[2].versions", "at least one version is required"}}},
        {"vm_and_container", [=](V& d) { set_at(d, ms2 + "/versions/0/container", json::object{{"image", "postgres:15"}}); },
         {{"spec.microservices[2].versions[0]", "vm and container are mutually exclusive"}}},
        {"neither_vm_nor_container", [=](V& d) { erase_at(d, ms2 + "/versions/0/vm"); },
         {{"spec.microservices[2].versions[0]", "exactly one of vm or container is required"}}},
        {"vm_flavor_missing", [=](V& d) { erase_at(d, ms2 + "/versions/0/vm/flavor"); },
         {{"spec.microservices[2].versions[0].vm.flavor", "is required"}}},
        {"vm_instances_zero", [=](V& d) { set_at(d, ms1 + "/versions/0/vm/instances", 0); },
         {{"spec.microservices[1].versions[0].vm.instances", "must be at least 1 (got 0)"}}},
        {"container_replicas_zero", [=](V& d) { set_at(d, ms0 + "/versions/0/container/replicas", 0); },
         {{"spec.microservices[0].versions[0].container.replicas", "must be at least 1 (got 0)"}}},
        {"container_typo", [=](V& d) {
             auto& c = d.at_pointer(ms0 + "/versions/0/container").as_object();
             c["replica"] = c["replicas"];
             c.erase("replicas");
         },
         {{"spec.microservices[0].versions[0].container.replica", "unknown field \"replica\" (did you mean \"replicas\"?)"}}},
        {"container_image_missing", [=](V& d) { erase_at(d, ms0 + "/versions/0/container/image"); },
         {{"spec.microservices[0].versions[0].container.image", "is required"}}},
        {"container_image_with_space", [=](V& d) { set_at(d, ms0 + "/versions/0/container/image", "frontend 1.0"); },
         {{"spec.microservices[0].versions[0].container.image", "must not contain white space"}}},
        {"request_above_limit", [=](V& d) { set_at(d, ms0 + "/versions/0/container/resources/requests/cpu", "1"); },
         {{"spec.microservices[0].versions[0].container.resources.requests.cpu", "the request 1 is above the limit 500m"}}},
        {"bad_quantity", [=](V& d) { set_at(d, ms0 + "/versions/0/container/resources/limits/memory", "256MB"); },
         {{"spec.microservices[0].versions[0].container.resources.limits.memory", "invalid quantity \"256MB\""}}},
        {"vnf_missing", [=](V& d) { erase_at(d, ms2 + "/versions/0/vnf"); },
         {{"spec.microservices[2].versions[0].vnf", "is required"}}},
        {"vnf_ids_missing", [=](V& d) { set_at(d, ms2 + "/versions/0/vnf", json::object{{"instantiationLevel", "small"}}); },
         {{"spec.microservices[2].versions[0].vnf.vnfdId", "is required"},
          {"spec.microservices[2].versions[0].vnf.flavourId", "is required"}}},
        {"extra_params_not_mapping", [=](V& d) { set_at(d, ms1 + "/versions/0/vnf/extraParams", "ssh_user=ubuntu"); },
         {{"spec.microservices[1].versions[0].vnf.extraParams", "expected a mapping, found a string"}}},
        {"version_name_upper_case", [=](V& d) { set_at(d, ms2 + "/versions/0/name", "V1"); },
         {{"spec.microservices[2].versions[0].name", "\"V1\" is not a valid version name"}}},
        {"duplicate_version_name", [=](V& d) { set_at(d, ms1 + "/versions/1/name", "v1"); },
         // v2 is gone, so everything that names it is wrong too.
         {{"spec.microservices[1].versions[1].name", "duplicate version name \"v1\" (also spec.microservices[1].versions[0])"},
          {"spec.links[0].mirror.version", "unknown version \"v2\" of microservice \"backend\" (versions: v1, v1)"},
          {"spec.links[0].routes[0].split[0].version", "unknown version \"v2\""},
          {"spec.links[0].routes[1].split[1].version", "unknown version \"v2\""}}},
        {"object_name_too_long", [=](V& d) { set_at(d, ms2 + "/versions/0/name", json::string(61, 'v')); },
         {{"spec.microservices[2].versions[0].name", "(<microservice>-<version>) must be at most 63 characters (it has 64)"}}},

        // ---- links ----
        {"link_from_unknown", [=](V& d) { set_at(d, l0 + "/from", "web"); },
         {{"spec.links[0].from", "unknown microservice \"web\""}}},
        {"self_link", [=](V& d) { set_at(d, l1 + "/to", "backend"); },
         {{"spec.links[1].to", "a microservice cannot link to itself"},
          {"spec.links[1].port", "is required: microservice \"backend\" has several ports (http, grpc)"}}},
        {"duplicate_link", [=](V& d) { set_at(d, "/spec/links/-", json::object{{"from", "backend"}, {"to", "db"}, {"port", "tcp-db"}}); },
         {{"spec.links[2]", "duplicate link: spec.links[1] already links \"backend\" to \"db\" on port \"tcp-db\""}}},
        {"link_unknown_port", [=](V& d) { set_at(d, l0 + "/port", "https"); },
         {{"spec.links[0].port", "\"https\" is not a port of microservice \"backend\" (ports: http, grpc)"}}},
        {"link_port_omitted_with_several_ports", [=](V& d) { erase_at(d, l0 + "/port"); },
         {{"spec.links[0].port", "is required: microservice \"backend\" has several ports (http, grpc)"}}},
        {"link_timeout_zero", [=](V& d) { set_at(d, l0 + "/timeout", "0s"); },
         {{"spec.links[0].timeout", "must be greater than 0"}}},
        {"links_not_a_list", [=](V& d) { set_at(d, "/spec/links", json::object{{"from", "a"}}); },
         {{"spec.links", "expected a list, found a mapping"}}},
        {"weights_do_not_sum", [=](V& d) { set_at(d, l0 + "/routes/1/split/0/weight", 85); },
         {{"spec.links[0].routes[1].split", "the weights must sum to 100 (they sum to 95)"}}},
        {"weight_above_100", [=](V& d) { set_at(d, l0 + "/routes/0/split/0/weight", 101); },
         {{"spec.links[0].routes[0].split[0].weight", "must be between 0 and 100 (got 101)"}}},
        {"weight_as_string", [=](V& d) { set_at(d, l0 + "/routes/0/split/0/weight", "100%"); },
         {{"spec.links[0].routes[0].split[0].weight", "expected an integer, found a string"}}},
        {"split_unknown_version", [=](V& d) { set_at(d, l0 + "/routes/0/split/0/version", "v9"); },
         {{"spec.links[0].routes[0].split[0].version", "unknown version \"v9\" of microservice \"backend\" (versions: v1, v2)"}}},
        {"split_repeats_version", [=](V& d) { set_at(d, l0 + "/routes/1/split/1/version", "v1"); },
         {{"spec.links[0].routes[1].split[1].version", "version \"v1\" appears more than once in this split"}}},
        {"catch_all_route_first", [=](V& d) {
             auto& routes = d.at_pointer(l0 + "/routes").as_array();
             std::swap(routes[0], routes[1]);
         },
         {{"spec.links[0].routes[0]", "a route without a match takes all traffic, so it must be the last one"}}},
        {"empty_match", [=](V& d) { set_at(d, l0 + "/routes/0/match", json::object{}); },
         {{"spec.links[0].routes[0].match", "an empty match matches everything"}}},
        {"header_name_upper_case", [=](V& d) {
             set_at(d, l0 + "/routes/0/match/headers", json::object{{"End-User", json::object{{"exact", "jason"}}}});
         },
         {{"spec.links[0].routes[0].match.headers.End-User", "header name \"End-User\" must be lower case"}}},
        {"header_match_two_kinds", [=](V& d) {
             set_at(d, l0 + "/routes/0/match/headers/end-user", json::object{{"exact", "jason"}, {"prefix", "j"}});
         },
         {{"spec.links[0].routes[0].match.headers.end-user", "only one of exact, prefix or regex may be given"}}},
        {"uri_prefix_relative", [=](V& d) { set_at(d, l0 + "/routes/0/match/uri", json::object{{"prefix", "api"}}); },
         {{"spec.links[0].routes[0].match.uri", "a URI prefix must start with '/' (got \"api\")"}}},
        {"string_match_typo", [=](V& d) { set_at(d, l0 + "/routes/0/match/uri", json::object{{"prefx", "/api"}}); },
         {{"spec.links[0].routes[0].match.uri.prefx", "unknown field \"prefx\" (did you mean \"prefix\"?)"},
          {"spec.links[0].routes[0].match.uri", "exactly one of exact, prefix or regex is required"}}},
        {"retries_negative", [=](V& d) { set_at(d, l0 + "/retries/attempts", -1); },
         {{"spec.links[0].retries.attempts", "must not be negative (got -1)"},
          {"spec.links[0].retries.perTryTimeout", "needs attempts of at least 1"},
          {"spec.links[0].retries.retryOn", "needs attempts of at least 1"}}},
        {"retries_attempts_missing", [=](V& d) { erase_at(d, l0 + "/retries/attempts"); },
         // Without attempts there are no retries, so the other retry settings are wrong too.
         {{"spec.links[0].retries.attempts", "is required"},
          {"spec.links[0].retries.perTryTimeout", "needs attempts of at least 1"},
          {"spec.links[0].retries.retryOn", "needs attempts of at least 1"}}},
        {"retry_on_unknown", [=](V& d) { set_at(d, l0 + "/retries/retryOn", "5xx,bogus"); },
         {{"spec.links[0].retries.retryOn", "unknown retry condition \"bogus\""}}},
        {"abort_status_out_of_range", [=](V& d) { set_at(d, l0 + "/fault/abort/httpStatus", 700); },
         {{"spec.links[0].fault.abort.httpStatus", "must be between 200 and 599 (got 700)"}}},
        {"delay_percentage_out_of_range", [=](V& d) { set_at(d, l0 + "/fault/delay/percentage", 150.5); },
         {{"spec.links[0].fault.delay.percentage", "must be between 0 and 100 (got 150.5)"}}},
        {"fault_empty", [=](V& d) { set_at(d, l0 + "/fault", json::object{}); },
         {{"spec.links[0].fault", "give delay, abort or both"}}},
        {"mirror_unknown_version", [=](V& d) { set_at(d, l0 + "/mirror/version", "v3"); },
         {{"spec.links[0].mirror.version", "unknown version \"v3\" of microservice \"backend\""}}},
        {"mirror_negative_percentage", [=](V& d) { set_at(d, l0 + "/mirror/percentage", -1); },
         {{"spec.links[0].mirror.percentage", "must be between 0 and 100 (got -1)"}}},
        {"tcp_link_with_http_features", [=](V& d) {
             set_at(d, l1 + "/timeout", "5s");
             set_at(d, l1 + "/retries", json::object{{"attempts", 2}});
             set_at(d, l1 + "/routes", json::array{json::object{
                 {"match", json::object{{"uri", json::object{{"prefix", "/"}}}}}}});
         },
         {{"spec.links[1].timeout", "HTTP only, but port \"tcp-db\" of microservice \"db\" is TCP"},
          {"spec.links[1].retries", "HTTP only, but port \"tcp-db\""},
          {"spec.links[1].routes[0].match", "HTTP only, but port \"tcp-db\""}}},

        // ---- several unrelated problems at once ----
        {"three_unrelated_errors", [=](V& d) {
             set_at(d, "/apiVersion", "v1");
             set_at(d, ms0 + "/versions/0/container/replicas", "two");
             set_at(d, l0 + "/fault/abort/httpStatus", 99);
         },
         {{"apiVersion", "unsupported apiVersion \"v1\""},
          {"spec.microservices[0].versions[0].container.replicas", "expected an integer, found a string"},
          {"spec.links[0].fault.abort.httpStatus", "must be between 200 and 599 (got 99)"}}},
    };
    // clang-format on
}

class SpecErrors : public ::testing::TestWithParam<Case> {};

TEST_P(SpecErrors, ReportsEveryErrorWithItsPath) {
    const Case& c = GetParam();
    json::value doc = base_document();
    c.mutate(doc);
    for (Format format : {Format::yaml, Format::json}) {
        const std::string text = format == Format::yaml ? to_yaml(doc) : to_pretty_json(doc);
        auto result = load_spec(text);
        ASSERT_FALSE(result.ok()) << "accepted:\n" << text;
        const Error& e = result.error();
        ASSERT_EQ(e.code, Errc::invalid_spec) << e.describe();
        ASSERT_EQ(e.fields.size(), c.errors.size()) << e.describe();
        for (const auto& want : c.errors) {
            const auto it = std::find_if(e.fields.begin(), e.fields.end(),
                                         [&](const FieldError& f) { return f.path == want.path; });
            ASSERT_NE(it, e.fields.end()) << "no error at " << want.path << "\n" << e.describe();
            EXPECT_NE(it->reason.find(want.reason), std::string::npos)
                << want.path << ": got \"" << it->reason << "\", want \"" << want.reason << "\"";
            EXPECT_GT(it->line, 0) << want.path;  // every path has a position in the text
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Table, SpecErrors, ::testing::ValuesIn(cases()),
                         [](const auto& p) { return p.param.name; });

TEST(SpecErrors, TableHasAtLeast45Cases) {
    EXPECT_GE(cases().size(), 45u);
}

TEST(SpecErrors, BaseSpecIsValid) {
    auto spec = load_spec(to_yaml(base_document()));
    ASSERT_TRUE(spec.ok()) << spec.error().describe();
    EXPECT_TRUE(validate(*spec).empty());
}

}  // namespace
}  // namespace meshorch::test
