// render() and plan() on a large service: 1,000 microservices x 3 versions (VMs and containers)
// x 5 links each. Reports, measured in the same run:
//   BM_Render: objects_per_s (render only) and serialize_ratio = render time / time to
//              boost::json::serialize every rendered manifest (the floor of producing them).
//   BM_Plan:   plan of the rendered set against itself with one weight changed;
//              serialize_ratio = plan time / time to serialize both sets, boost_equal_ratio =
//              plan time / time of `applied == desired` (boost::json equality).
// The counters use this thread's CPU time, so other load on the machine does not skew them.
#include <meshorch/plan.hpp>
#include <meshorch/render.hpp>
#include <meshorch/spec.hpp>

#include <benchmark/benchmark.h>
#include <boost/json/serialize.hpp>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

namespace {

using namespace meshorch;
using namespace std::chrono_literals;

// CPU time of this thread: the ratios stay meaningful on a loaded machine (CI shares 2 cores).
struct ThreadCpuClock {
    using duration = std::chrono::nanoseconds;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<ThreadCpuClock>;
    static time_point now() noexcept {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
    }
};
using Clock = ThreadCpuClock;

constexpr int microservice_count = 1000;
constexpr int links_per_microservice = 5;

std::string ms_name(int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "ms%04d", i);
    return buf;
}

// Deterministic: the same spec on every run.
ServiceSpec make_spec() {
    ServiceSpec spec;
    spec.name = "bench";
    spec.namespace_ = "bench";
    spec.labels = {{"team", "perf"}};
    for (int i = 0; i < microservice_count; ++i) {
        Microservice m;
        m.name = ms_name(i);
        m.ports.push_back({"http", 9080, Protocol::http});
        if (i % 4 == 0) m.ports.push_back({"grpc", 9090, Protocol::grpc});
        if (i % 2 == 0) {
            HealthCheck hc;
            hc.probe = HttpGetCheck{"/healthz", 9080};
            m.health_check = hc;
        }
        m.traffic_policy.load_balancer =
            i % 3 == 0 ? LoadBalancer::least_request : LoadBalancer::round_robin;
        if (i % 5 == 0) {
            ConnectionPool pool;
            pool.max_connections = 100;
            pool.http1_max_pending_requests = 32;
            pool.connect_timeout = 2s;
            m.traffic_policy.connection_pool = pool;
            m.traffic_policy.outlier_detection = OutlierDetection{};
        }
        for (int v = 1; v <= 3; ++v) {
            Version version;
            version.name = "v" + std::to_string(v);
            if ((i + v) % 3 == 0) {  // a third of the versions run on VMs
                version.workload = VmWorkload{"ubuntu-22.04-" + m.name, "m1.small", "net0", 2};
            } else {
                ContainerWorkload c;
                c.image = "registry.example/" + m.name + ":" + version.name;
                c.replicas = 2;
                c.requests = {"100m", "128Mi"};
                c.limits = {"500m", "256Mi"};
                version.workload = c;
            }
            version.vnf.vnfd_id = m.name + "-" + version.name + "-vnfd";
            version.vnf.flavour_id = "simple";
            m.versions.push_back(std::move(version));
        }
        spec.microservices.push_back(std::move(m));
    }
    for (int i = 0; i < microservice_count; ++i) {
        for (int k = 0; k < links_per_microservice; ++k) {
            Link link;
            link.from = ms_name(i);
            link.to = ms_name((i + 1 + k * 7) % microservice_count);
            link.port = "http";
            Route canary;
            if (k % 2 == 0) {
                RouteMatch match;
                match.headers["x-canary"] = StringMatch{MatchKind::exact, "1"};
                canary.match = match;
                canary.split = {{"v3", 100}};
                link.routes.push_back(canary);
            }
            Route rest;
            rest.split = {{"v1", 70}, {"v2", 20}, {"v3", 10}};
            link.routes.push_back(rest);
            link.timeout = 3s;
            if (k % 3 == 0) link.retries = RetryPolicy{3, 1s, "5xx,connect-failure"};
            link.fault = std::nullopt;
            spec.links.push_back(std::move(link));
        }
    }
    return spec;
}

Observed make_observed(const ServiceSpec& spec) {
    Observed observed;
    int n = 0;
    for (const auto& m : spec.microservices) {
        for (const auto& v : m.versions) {
            if (v.substrate() != Substrate::vm) continue;
            auto& vms = observed.vms[{m.name, v.name}];
            for (int i = 0; i < v.instance_count(); ++i, ++n) {
                vms.push_back({"server-" + std::to_string(n),
                               "10." + std::to_string(n / 65536 % 256) + "." +
                                   std::to_string(n / 256 % 256) + "." + std::to_string(n % 256)});
            }
        }
    }
    return observed;
}

const ServiceSpec& bench_spec() {
    static const ServiceSpec spec = [] {
        ServiceSpec s = make_spec();
        if (auto errors = validate(s); !errors.empty()) {
            std::fprintf(stderr, "bench spec is invalid: %s: %s\n", errors.front().path.c_str(),
                         errors.front().reason.c_str());
            std::abort();
        }
        return s;
    }();
    return spec;
}

double seconds(Clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

void BM_Render(benchmark::State& state) {
    const ServiceSpec& spec = bench_spec();
    const Observed observed = make_observed(spec);
    Clock::duration render_time{};
    Clock::duration serialize_time{};
    std::size_t objects = 0;
    std::size_t bytes = 0;
    for (auto _ : state) {
        const auto t0 = Clock::now();
        ObjectSet set = render(spec, observed);
        const auto t1 = Clock::now();
        std::size_t n = 0;
        for (const auto& [key, object] : set) n += boost::json::serialize(object.manifest).size();
        const auto t2 = Clock::now();
        benchmark::DoNotOptimize(n);
        render_time += t1 - t0;
        serialize_time += t2 - t1;
        objects += set.size();
        bytes += n;
    }
    const auto iterations = static_cast<double>(state.iterations());
    state.counters["objects"] = static_cast<double>(objects) / iterations;
    state.counters["json_MB"] = static_cast<double>(bytes) / iterations / 1e6;
    state.counters["objects_per_s"] = static_cast<double>(objects) / seconds(render_time);
    state.counters["render_ms"] = seconds(render_time) * 1e3 / iterations;
    state.counters["serialize_ms"] = seconds(serialize_time) * 1e3 / iterations;
    state.counters["serialize_ratio"] = seconds(render_time) / seconds(serialize_time);
}
BENCHMARK(BM_Render)->Unit(benchmark::kMillisecond)->MinTime(2.0);

// The rendered set, and the same with one weight of one link changed (rendered once).
const std::pair<ObjectSet, ObjectSet>& plan_inputs() {
    static const std::pair<ObjectSet, ObjectSet> sets = [] {
        const ServiceSpec& spec = bench_spec();
        const Observed observed = make_observed(spec);
        ServiceSpec changed = spec;
        auto& split = changed.links[links_per_microservice * 500 + 1].routes.back().split;
        split[0].weight -= 10;
        split[1].weight += 10;
        return std::pair{render(spec, observed), render(changed, observed)};
    }();
    return sets;
}

void BM_Plan(benchmark::State& state) {
    const auto& [applied, desired] = plan_inputs();
    Clock::duration plan_time{};
    Clock::duration serialize_time{};
    Clock::duration equal_time{};
    std::size_t actions = 0;
    for (auto _ : state) {
        const auto t0 = Clock::now();
        const Plan p = plan(applied, desired);
        const auto t1 = Clock::now();
        std::size_t n = 0;
        for (const auto* set : {&applied, &desired}) {
            for (const auto& [key, object] : *set)
                n += boost::json::serialize(object.manifest).size();
        }
        const auto t2 = Clock::now();
        const bool same = applied == desired;
        const auto t3 = Clock::now();
        benchmark::DoNotOptimize(n);
        benchmark::DoNotOptimize(same);
        plan_time += t1 - t0;
        serialize_time += t2 - t1;
        equal_time += t3 - t2;
        actions = p.actions.size();
    }
    const auto iterations = static_cast<double>(state.iterations());
    state.counters["objects"] = static_cast<double>(applied.size());
    state.counters["actions"] = static_cast<double>(actions);
    state.counters["objects_per_s"] =
        static_cast<double>(applied.size()) * iterations / seconds(plan_time);
    state.counters["plan_ms"] = seconds(plan_time) * 1e3 / iterations;
    // plan reads every value of both sets; serializing both is the floor of touching them all.
    state.counters["serialize_ratio"] = seconds(plan_time) / seconds(serialize_time);
    // ObjectSet == uses boost::json's operator==, which copies members as it goes (Boost 1.81).
    state.counters["boost_equal_ratio"] = seconds(plan_time) / seconds(equal_time);
    if (actions != 1) state.SkipWithError("expected exactly one action (the VirtualService patch)");
}
BENCHMARK(BM_Plan)->Unit(benchmark::kMillisecond)->MinTime(2.0);

}  // namespace

BENCHMARK_MAIN();
