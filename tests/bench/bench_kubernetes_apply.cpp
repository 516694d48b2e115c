// Kubernetes apply benchmark, meshorch's half. tests/bench/kubernetes_apply.py drives it (and
// kubectl, and the Python client) against the Kubernetes API emulator and prints the table.
//
//   bench_kubernetes_apply render --objects N --out FILE
//       Builds a service spec whose rendered objects, without the Namespace, number exactly N
//       (see make_spec), renders it and writes them in apply order to FILE: multi-document YAML
//       whose documents are one-line JSON objects, so kubectl, PyYAML and this program all read
//       the same bytes. Prints one JSON line: namespace, the Namespace manifest, the count per
//       kind and the spec's composition.
//
//   bench_kubernetes_apply apply --kubeconfig FILE --objects FILE [--concurrency C]
//       Server-side applies every object of FILE through kubernetes::make_cluster, keeping C
//       applies in flight (default 16). Prints one JSON line: seconds from the first apply to
//       the last answer (the first apply pays for discovery and the TLS connections), applies
//       per second and the latency of one apply. Exit status 1 when any apply failed: a failed
//       apply makes the run a failure, not a figure.
#include <meshorch/kubernetes.hpp>
#include <meshorch/render.hpp>
#include <meshorch/spec.hpp>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace meshorch;
namespace json = boost::json;
using ms_t = std::chrono::milliseconds;

constexpr const char* namespace_name = "bench-apply";

[[noreturn]] void usage(int code) {
    std::fprintf(code ? stderr : stdout,
                 "usage: bench_kubernetes_apply render --objects N --out FILE\n"
                 "       bench_kubernetes_apply apply --kubeconfig FILE --objects FILE "
                 "[--concurrency C]\n");
    std::exit(code);
}

[[noreturn]] void fail(const std::string& message) {
    std::fprintf(stderr, "bench_kubernetes_apply: %s\n", message.c_str());
    std::exit(1);
}

// --option value pairs after the mode word.
std::map<std::string, std::string> parse_options(int argc, char** argv) {
    std::map<std::string, std::string> out;
    for (int i = 2; i < argc; ++i) {
        const std::string s = argv[i];
        if (s == "--help" || s == "-h") usage(0);
        if (s.rfind("--", 0) != 0 || i + 1 >= argc) usage(2);
        out[s.substr(2)] = argv[++i];
    }
    return out;
}

long number_option(const std::map<std::string, std::string>& options, const std::string& name,
                   long fallback, long min) {
    auto it = options.find(name);
    if (it == options.end()) return fallback;
    char* end = nullptr;
    const long v = std::strtol(it->second.c_str(), &end, 10);
    if (it->second.empty() || *end || v < min || v > 1'000'000) {
        fail("--" + name + " " + it->second +
             ": expected a whole number >= " + std::to_string(min));
    }
    return v;
}

std::string required_option(const std::map<std::string, std::string>& options,
                            const std::string& name) {
    auto it = options.find(name);
    if (it == options.end()) usage(2);
    return it->second;
}

// ---- render ---------------------------------------------------------------------------------

// What a microservice of the generated spec renders to, besides the namespace-wide
// PeerAuthentication. Every microservice but the entry has one incoming link, so it gets a
// VirtualService; default-deny gives each an AuthorizationPolicy.
//   entry   (container v1, no incoming link): ServiceAccount, Service, DestinationRule,
//           AuthorizationPolicy, Sidecar                                         = 5
//   hybrid  (v1 on a VM, v2 in a container, 80/20 split, retries): the above + WorkloadGroup
//           + VirtualService                                                     = 7
//   plain   (container v1): the entry's five + VirtualService                    = 6
constexpr int per_entry = 5, per_hybrid = 7, per_plain = 6, per_namespace = 1;

struct Composition {
    int hybrid = 0;
    int plain = 0;
};

// N = PeerAuthentication + entry + 7 hybrid + 6 plain, with as many hybrid as plain
// microservices as N allows. Not every N can be reached (7..10, for example); nullopt then.
std::optional<Composition> composition_for(int objects) {
    const int rest = objects - per_namespace - per_entry;
    std::optional<Composition> best;
    for (int hybrid = 0; rest >= 0 && hybrid * per_hybrid <= rest; ++hybrid) {
        if ((rest - hybrid * per_hybrid) % per_plain != 0) continue;
        const Composition c{hybrid, (rest - hybrid * per_hybrid) / per_plain};
        if (!best || std::abs(c.hybrid - c.plain) < std::abs(best->hybrid - best->plain)) best = c;
    }
    return best;
}

Version container_version(const std::string& ms, const std::string& name, int index) {
    Version v;
    v.name = name;
    ContainerWorkload c;
    c.image = "registry.example.com/bench/" + ms + ":" + name;
    c.replicas = 2;
    c.requests = {"100m", "128Mi"};
    c.limits = {"500m", "256Mi"};
    v.workload = c;
    char vnfd[40];
    std::snprintf(vnfd, sizeof vnfd, "7b0c5e1a-0000-4000-8000-%012d", index);
    v.vnf.vnfd_id = vnfd;
    v.vnf.flavour_id = "simple";
    return v;
}

Version vm_version(const std::string& ms, const std::string& name, int index) {
    Version v = container_version(ms, name, index);
    VmWorkload vm;
    vm.image = "bench-" + ms + "-" + name + "-ubuntu-22.04";
    vm.flavor = "m1.small";
    vm.network = "private";
    vm.instances = 2;
    v.workload = vm;
    v.vnf.extra_params["ssh_user"] = "ubuntu";
    return v;
}

// Microservice 0 is the entry; microservice k > 0 is called by (k - 1) / 2, a binary tree, so
// each has exactly one incoming link and callers have up to two egress hosts in their Sidecar.
// Hybrid and plain microservices alternate while both remain.
ServiceSpec make_spec(const Composition& c) {
    ServiceSpec s;
    s.name = namespace_name;
    s.namespace_ = namespace_name;
    s.labels = {{"team", "bench"}};
    s.mesh.mtls = MtlsMode::strict;
    s.mesh.default_deny = true;
    const int total = 1 + c.hybrid + c.plain;
    int hybrid_left = c.hybrid, plain_left = c.plain;
    for (int k = 0; k < total; ++k) {
        Microservice m;
        char name[16];
        std::snprintf(name, sizeof name, "ms-%04d", k);
        m.name = name;
        m.ports.push_back(Port{"http", 8080, Protocol::http});
        m.ports.push_back(Port{"grpc", 9090, Protocol::grpc});
        HealthCheck hc;
        hc.probe = HttpGetCheck{"/healthz", 8080};
        m.health_check = hc;
        m.traffic_policy.load_balancer =
            k % 2 ? LoadBalancer::least_request : LoadBalancer::round_robin;
        m.traffic_policy.outlier_detection = OutlierDetection{};
        const bool hybrid =
            k > 0 && hybrid_left > 0 && (plain_left == 0 || hybrid_left >= plain_left);
        if (hybrid) {
            --hybrid_left;
            m.versions.push_back(vm_version(m.name, "v1", 2 * k));
            m.versions.push_back(container_version(m.name, "v2", 2 * k + 1));
        } else {
            if (k > 0) --plain_left;
            m.versions.push_back(container_version(m.name, "v1", 2 * k));
        }
        if (k > 0) {
            Link l;
            l.from = s.microservices[static_cast<std::size_t>((k - 1) / 2)].name;
            l.to = m.name;
            l.port = "http";
            l.timeout = ms_t(5000);
            if (hybrid) {
                Route r;
                r.split = {{"v1", 80}, {"v2", 20}};
                l.routes.push_back(std::move(r));
                RetryPolicy retry;
                retry.attempts = 3;
                retry.per_try_timeout = ms_t(2000);
                retry.retry_on = "5xx,connect-failure";
                l.retries = retry;
            }
            s.links.push_back(std::move(l));
        }
        s.microservices.push_back(std::move(m));
    }
    return s;
}

int run_render(const std::map<std::string, std::string>& options) {
    const long objects = number_option(options, "objects", 1000, 1);
    const std::string out_path = required_option(options, "out");
    const auto composition = composition_for(static_cast<int>(objects));
    if (!composition) {
        fail("--objects " + std::to_string(objects) +
             ": no composition of microservices renders exactly that many objects; try one more");
    }
    const ServiceSpec spec = make_spec(*composition);
    if (auto problems = validate(spec); !problems.empty()) {
        fail("the generated spec is invalid: " + problems.front().path + ": " +
             problems.front().reason);
    }
    const ObjectSet rendered = render(spec);

    std::ofstream out(out_path);
    if (!out) fail("cannot write " + out_path);
    json::value namespace_manifest;
    json::object kinds;
    long written = 0;
    for (const auto& [key, object] : rendered) {
        if (key.kind == "Namespace") {
            namespace_manifest = object.manifest;
            continue;
        }
        if (key.namespace_ != namespace_name) {
            fail("rendered " + key.to_string() + " outside namespace " + namespace_name);
        }
        out << "---\n" << json::serialize(object.manifest) << "\n";
        ++written;
        auto& n = kinds[key.kind];
        n = (n.is_int64() ? n.as_int64() : 0) + 1;
    }
    out.close();
    if (!out) fail("writing " + out_path + " failed");
    if (written != objects || namespace_manifest.is_null()) {
        fail("the spec rendered " + std::to_string(written) + " namespaced objects, expected " +
             std::to_string(objects));
    }
    json::object line{{"namespace", namespace_name},
                      {"namespace_manifest", namespace_manifest},
                      {"objects", written},
                      {"kinds", kinds},
                      {"microservices", static_cast<long>(spec.microservices.size())},
                      {"hybrid_microservices", composition->hybrid},
                      {"links", static_cast<long>(spec.links.size())}};
    std::printf("%s\n", json::serialize(line).c_str());
    return 0;
}

// ---- apply ----------------------------------------------------------------------------------

// The documents of a file written by `render`: "---" lines separate one-line JSON objects.
std::vector<Object> read_objects(const std::string& path) {
    std::ifstream in(path);
    if (!in) fail("cannot read " + path);
    std::vector<Object> out;
    std::string line, doc;
    int line_no = 0, doc_line = 1;
    auto flush = [&] {
        if (doc.find_first_not_of(" \t\r\n") == std::string::npos) return;
        boost::system::error_code ec;
        json::value v = json::parse(doc, ec);
        if (ec || !v.is_object()) {
            fail(path + ":" + std::to_string(doc_line) +
                 ": the document is not a JSON object (this program reads the files `render` "
                 "writes)");
        }
        out.push_back(make_object(std::move(v.as_object())));
    };
    while (std::getline(in, line)) {
        ++line_no;
        if (line == "---") {
            flush();
            doc.clear();
            doc_line = line_no + 1;
        } else {
            doc += line;
            doc += '\n';
        }
    }
    flush();
    if (out.empty()) fail(path + ": no objects");
    return out;
}

// Keeps at most `limit` applies in flight: the submitting thread takes a slot, the callback
// gives it back, so callbacks never start applies themselves.
struct InFlight {
    std::mutex mutex;
    std::condition_variable changed;
    std::size_t running = 0;
    std::size_t answered = 0;
    std::vector<double> latencies_ms;
    std::vector<std::string> failures;
};

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

int run_apply(const std::map<std::string, std::string>& options) {
    const std::string kubeconfig = required_option(options, "kubeconfig");
    const std::string objects_path = required_option(options, "objects");
    const auto concurrency = static_cast<std::size_t>(number_option(options, "concurrency", 16, 1));

    // The adapter logs every call at debug; its warnings and errors still show.
    spdlog::set_level(spdlog::level::warn);

    const std::vector<Object> objects = read_objects(objects_path);
    auto config = kubernetes::load_kubeconfig(kubeconfig);
    if (!config) fail("kubeconfig " + kubeconfig + ": " + config.error().describe());
    config->max_connections = concurrency;
    kubernetes::Options cluster_options;
    cluster_options.threads = concurrency;
    cluster_options.readiness = kubernetes::Readiness::poll;  // no background watch
    auto cluster = kubernetes::make_cluster(*config, cluster_options);
    if (!cluster) fail("make_cluster: " + cluster.error().describe());

    InFlight state;
    state.latencies_ms.reserve(objects.size());
    CallContext ctx;
    ctx.operation_id = "bench-apply";
    ctx.deadline = Clock::now() + std::chrono::minutes(10);

    const auto started = Clock::now();
    for (const Object& object : objects) {
        {
            std::unique_lock lock(state.mutex);
            state.changed.wait(lock, [&] { return state.running < concurrency; });
            ++state.running;
        }
        const auto sent = Clock::now();
        (*cluster)->apply(object, ctx, [&state, &object, sent](Result<Object> r) {
            const double ms =
                std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
            std::string failure;
            if (!r) {
                failure = object.key.to_string() + ": " + r.error().describe();
            } else if (r->key != object.key) {
                failure =
                    object.key.to_string() + ": the server answered with " + r->key.to_string();
            } else if (const auto* meta = r->manifest.if_contains("metadata");
                       !meta || !meta->is_object() ||
                       !meta->as_object().if_contains("resourceVersion")) {
                failure = object.key.to_string() + ": the answer has no resourceVersion";
            }
            std::lock_guard lock(state.mutex);
            --state.running;
            ++state.answered;
            state.latencies_ms.push_back(ms);
            if (!failure.empty()) state.failures.push_back(std::move(failure));
            state.changed.notify_all();
        });
    }
    {
        std::unique_lock lock(state.mutex);
        state.changed.wait(lock, [&] { return state.answered == objects.size(); });
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    cluster->reset();

    std::lock_guard lock(state.mutex);
    const std::size_t applied = objects.size() - state.failures.size();
    if (!state.failures.empty()) {
        std::fprintf(stderr, "bench_kubernetes_apply: %zu of %zu applies failed, first ones:\n",
                     state.failures.size(), objects.size());
        for (std::size_t i = 0; i < std::min<std::size_t>(5, state.failures.size()); ++i) {
            std::fprintf(stderr, "  %s\n", state.failures[i].c_str());
        }
    }
    json::object line{{"client", "meshorch"},
                      {"concurrency", concurrency},
                      {"objects", objects.size()},
                      {"applied", applied},
                      {"failed", state.failures.size()},
                      {"seconds", seconds},
                      {"per_second", static_cast<double>(objects.size()) / seconds},
                      {"latency_ms",
                       {{"p50", percentile(state.latencies_ms, 0.50)},
                        {"p99", percentile(state.latencies_ms, 0.99)},
                        {"max", percentile(state.latencies_ms, 1.0)}}}};
    std::printf("%s\n", json::serialize(line).c_str());
    std::fflush(stdout);
    return state.failures.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) usage(2);
    const std::string mode = argv[1];
    if (mode == "--help" || mode == "-h") usage(0);
    const auto options = parse_options(argc, argv);
    if (mode == "render") return run_render(options);
    if (mode == "apply") return run_apply(options);
    usage(2);
}
