#include "unit/render/sample_specs.hpp"

#include <chrono>

namespace meshorch::testing {

using namespace std::chrono_literals;

Version vm_version(const std::string& name, int instances) {
    Version v;
    v.name = name;
    VmWorkload vm;
    vm.image = "image-" + name;
    vm.flavor = "m1.small";
    vm.network = "mesh-net";
    vm.instances = instances;
    v.workload = vm;
    v.vnf.vnfd_id = "vnfd-" + name;
    v.vnf.flavour_id = "simple";
    return v;
}

Version container_version(const std::string& name, int replicas) {
    Version v;
    v.name = name;
    ContainerWorkload c;
    c.image = "registry.example/app:" + name;
    c.replicas = replicas;
    v.workload = c;
    v.vnf.vnfd_id = "vnfd-" + name;
    v.vnf.flavour_id = "simple";
    return v;
}

Microservice microservice(const std::string& name, std::vector<Version> versions,
                          std::vector<Port> ports) {
    Microservice m;
    m.name = name;
    m.versions = std::move(versions);
    m.ports = std::move(ports);
    return m;
}

Link link(const std::string& from, const std::string& to, const std::string& port) {
    Link l;
    l.from = from;
    l.to = to;
    l.port = port;
    return l;
}

Observed observed_vms(const ServiceSpec& spec) {
    Observed observed;
    int n = 0;
    for (const auto& ms : spec.microservices) {
        for (const auto& v : ms.versions) {
            if (v.substrate() != Substrate::vm) continue;
            auto& list = observed.vms[{ms.name, v.name}];
            for (int i = 0; i < v.instance_count(); ++i) {
                ++n;
                list.push_back(
                    VmInstance{"server-" + std::to_string(n),
                               "10.0." + std::to_string(n / 256) + "." + std::to_string(n % 256)});
            }
        }
    }
    return observed;
}

ServiceSpec bookinfo_hybrid() {
    ServiceSpec s;
    s.name = "bookinfo";
    s.namespace_ = "bookinfo";
    s.labels = {{"team", "demo"}};

    auto productpage =
        microservice("productpage", {container_version("v1")}, {{"http", 9080, Protocol::http}});
    productpage.health_check = HealthCheck{HttpGetCheck{"/health", 9080}, 5s, 10s, 1s, 1, 3};

    auto details = microservice("details", {vm_version("v1")}, {{"http", 9080, Protocol::http}});
    details.health_check = HealthCheck{TcpCheck{9080}, 0ms, 5s, 1500ms, 1, 3};

    auto reviews_v2 = container_version("v2", 2);
    auto& c = std::get<ContainerWorkload>(reviews_v2.workload);
    c.requests = {"100m", "128Mi"};
    c.limits = {"", "256Mi"};
    auto reviews = microservice("reviews", {vm_version("v1", 2), reviews_v2},
                                {{"http", 9080, Protocol::http}});
    reviews.health_check = HealthCheck{HttpGetCheck{"/", 0}, 0ms, 10s, 1s, 1, 3};
    reviews.traffic_policy.load_balancer = LoadBalancer::least_request;
    ConnectionPool pool;
    pool.max_connections = 100;
    pool.connect_timeout = 250ms;
    pool.http1_max_pending_requests = 10;
    pool.max_retries = 3;
    reviews.traffic_policy.connection_pool = pool;
    reviews.traffic_policy.outlier_detection = OutlierDetection{};

    auto ratings = microservice("ratings", {container_version("v1")},
                                {{"http", 9080, Protocol::http}, {"grpc", 9090, Protocol::grpc}});
    ratings.health_check =
        HealthCheck{ExecCheck{{"/bin/sh", "-c", "test -f /tmp/ready"}}, 2s, 10s, 1s, 1, 3};

    auto mongodb = microservice("mongodb", {vm_version("v1")}, {{"mongo", 27017, Protocol::tcp}});

    s.microservices = {productpage, details, reviews, ratings, mongodb};

    auto pd = link("productpage", "details");
    pd.timeout = 5s;
    pd.retries = RetryPolicy{3, 2s, "5xx,connect-failure"};

    auto pr = link("productpage", "reviews");
    Route jason;
    RouteMatch m;
    m.headers["end-user"] = StringMatch{MatchKind::exact, "jason"};
    jason.match = m;
    jason.split = {{"v2", 100}};
    Route rest;
    RouteMatch prefix;
    prefix.uri = StringMatch{MatchKind::prefix, "/reviews"};
    rest.match = prefix;
    rest.split = {{"v1", 80}, {"v2", 20}};
    pr.routes = {jason, rest};
    pr.mirror = Mirror{"v2", 12.5};

    auto rr = link("reviews", "ratings");
    FaultInjection fault;
    fault.delay = DelayFault{500ms, 10.0};
    fault.abort = AbortFault{503, 1.5};
    rr.fault = fault;
    auto rg = link("reviews", "ratings", "grpc");
    auto rm = link("ratings", "mongodb", "mongo");

    s.links = {pd, pr, rr, rg, rm};
    return s;
}

ServiceSpec all_containers() {
    ServiceSpec s;
    s.name = "shop";
    s.namespace_ = "shop-prod";
    s.mesh.default_deny = false;
    s.mesh.revision = "1-22";
    auto frontend = microservice("frontend", {container_version("v1", 2)});
    auto cart = microservice("cart", {container_version("v1"), container_version("v2")},
                             {{"grpc", 7070, Protocol::grpc}});
    cart.traffic_policy.load_balancer = LoadBalancer::round_robin;
    s.microservices = {frontend, cart};
    auto fc = link("frontend", "cart", "grpc");
    Route r;
    r.split = {{"v1", 90}, {"v2", 10}};
    fc.routes = {r};
    s.links = {fc};
    return s;
}

ServiceSpec all_vms() {
    ServiceSpec s;
    s.name = "ims";
    s.namespace_ = "ims";
    s.mesh.mtls = MtlsMode::permissive;
    s.mesh.trust_domain = "telco.example";
    auto pcscf = microservice("pcscf", {vm_version("v1", 2)},
                              {{"sip", 5060, Protocol::tcp}, {"http-admin", 8080, Protocol::http}});
    pcscf.health_check = HealthCheck{TcpCheck{5060}, 0ms, 10s, 1s, 1, 3};
    auto scscf = microservice("scscf", {vm_version("v1", 3), vm_version("v2", 1)},
                              {{"sip", 5060, Protocol::tcp}});
    auto hss = microservice("hss", {vm_version("v1")}, {{"diameter", 3868, Protocol::tcp}});
    s.microservices = {pcscf, scscf, hss};
    auto ps = link("pcscf", "scscf", "sip");
    Route r;
    r.split = {{"v1", 100}, {"v2", 0}};
    ps.routes = {r};
    s.links = {ps, link("scscf", "hss", "diameter")};
    return s;
}

}  // namespace meshorch::testing
