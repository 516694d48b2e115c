// State store benchmark: what the operation journal costs the engine, per store, in one run.
//
// The engine saves a service's record (with its OperationJournal) before every step that
// depends on it, so each operation makes several store writes. With zero backend latency the
// operations are bound by the engine and the store; the same workload is run on:
//   memory         MemoryStateStore
//   sqlite-normal  SqliteStateStore, SqliteSync::normal (fsync at checkpoints only)
//   sqlite-full    SqliteStateStore, SqliteSync::full (fsync on every commit: durable writes)
// Workload: K services (default 20) at once, each deploy -> reconfigure (a route weight
// changes) -> terminate, one service per thread, on a fresh simulated world per store.
//
// Reported per store: operations per second (wall time), store writes (save + erase) per
// operation, mean wall time inside save() (with the wait for the store's lock: a SQLite store
// has one connection, so concurrent saves queue), and, measured in the same run, the ratios of
// the memory store's ops/s to each SQLite one's ("journal overhead"). Record sizes (bytes of
// the JSON the SQLite store writes) come from a warm-up pass on the memory store, so that encoding
// them costs no timed pass anything.
//
// Usage: bench_store [--services K] [--lcm-ms D] [--dir DIR]
//   --dir: where the SQLite files go (default: a new directory under the system temp dir,
//   removed at the end). It should be on the disk to be measured, not on a tmpfs.
// Exit status: 0 when every operation succeeded and every world ended empty, 1 otherwise.
#include <meshorch/orchestrator.hpp>
#include <meshorch/sim.hpp>
#include <meshorch/spec.hpp>
#include <meshorch/sqlite_store.hpp>
#include <meshorch/store.hpp>

#include "store/record_codec.hpp"

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace meshorch;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

struct Args {
    int services = 20;
    int lcm_ms = 0;   // sim lcm_duration: 0 = an LCM operation is COMPLETED at once
    std::string dir;  // empty: a new temp directory
};

[[noreturn]] void usage(const char* argv0, int code) {
    std::fprintf(code ? stderr : stdout, "usage: %s [--services K] [--lcm-ms D] [--dir DIR]\n",
                 argv0);
    std::exit(code);
}

Args parse_args(int argc, char** argv) {
    Args a;
    auto number = [&](int& i, int min) {
        if (i + 1 >= argc) usage(argv[0], 2);
        char* end = nullptr;
        const long v = std::strtol(argv[++i], &end, 10);
        if (!end || *end || v < min || v > 100'000) usage(argv[0], 2);
        return static_cast<int>(v);
    };
    for (int i = 1; i < argc; ++i) {
        const std::string s = argv[i];
        if (s == "--services")
            a.services = number(i, 1);
        else if (s == "--lcm-ms")
            a.lcm_ms = number(i, 0);
        else if (s == "--dir" && i + 1 < argc)
            a.dir = argv[++i];
        else if (s == "--help" || s == "-h")
            usage(argv[0], 0);
        else
            usage(argv[0], 2);
    }
    return a;
}

// ---- a store that counts what the engine writes ----------------------------------------------

// Forwards every call to `inner`; counts saves and erases and the wall time spent inside
// save(). With `measure_bytes`, also the size of each saved record as the SQLite store encodes
// it (computed outside the timed part, but it costs CPU: only for the warm-up pass).
class CountingStore final : public StateStore {
public:
    CountingStore(std::shared_ptr<StateStore> inner, bool measure_bytes)
        : inner_(std::move(inner)), measure_bytes_(measure_bytes) {}

    Result<std::optional<ServiceRecord>> load(const std::string& service) override {
        return inner_->load(service);
    }
    Status save(const ServiceRecord& record) override {
        if (measure_bytes_) {
            bytes_.fetch_add(store_detail::encode_record_text(record).size(),
                             std::memory_order_relaxed);
        }
        const auto t0 = SteadyClock::now();
        Status s = inner_->save(record);
        const auto ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - t0).count();
        save_ns_.fetch_add(ns, std::memory_order_relaxed);
        saves_.fetch_add(1, std::memory_order_relaxed);
        return s;
    }
    Status erase(const std::string& service) override {
        erases_.fetch_add(1, std::memory_order_relaxed);
        return inner_->erase(service);
    }
    Result<std::vector<std::string>> list() override { return inner_->list(); }

    std::uint64_t saves() const { return saves_.load(); }
    std::uint64_t erases() const { return erases_.load(); }
    std::uint64_t bytes() const { return bytes_.load(); }
    std::int64_t save_ns() const { return save_ns_.load(); }

private:
    std::shared_ptr<StateStore> inner_;
    const bool measure_bytes_;
    std::atomic<std::uint64_t> saves_{0};
    std::atomic<std::uint64_t> erases_{0};
    std::atomic<std::uint64_t> bytes_{0};
    std::atomic<std::int64_t> save_ns_{0};
};

// ---- the workload ----------------------------------------------------------------------------

Version version(const std::string& name, bool vm, int count) {
    Version v;
    v.name = name;
    if (vm) {
        v.workload = VmWorkload{"image-" + name, "m1.small", "private", count};
    } else {
        ContainerWorkload c;
        c.image = "example/app:" + name;
        c.replicas = count;
        v.workload = c;
    }
    v.vnf.vnfd_id = "vnfd-" + name;
    v.vnf.flavour_id = "simple";
    return v;
}

// frontend (container) -> cart: v1 on a VM, v2 in containers, split v1_weight / rest.
ServiceSpec service_spec(const std::string& name, int v1_weight) {
    ServiceSpec spec;
    spec.name = name;
    spec.namespace_ = name;
    Microservice frontend;
    frontend.name = "frontend";
    frontend.ports.push_back(Port{"http", 8080, Protocol::http});
    frontend.versions.push_back(version("v1", false, 1));
    Microservice cart;
    cart.name = "cart";
    cart.ports.push_back(Port{"http", 8080, Protocol::http});
    cart.versions.push_back(version("v1", true, 1));
    cart.versions.push_back(version("v2", false, 2));
    spec.microservices = {std::move(frontend), std::move(cart)};
    Link link;
    link.from = "frontend";
    link.to = "cart";
    link.port = "http";
    Route route;
    route.split = {{"v1", v1_weight}, {"v2", 100 - v1_weight}};
    link.routes.push_back(route);
    spec.links.push_back(link);
    return spec;
}

std::string service_name(int i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "svc-%03d", i);
    return buf;
}

// Starts an operation and waits for its end. Empty when it succeeded, else what went wrong.
std::string run_op(const char* what, const std::string& service, Result<Operation> started) {
    if (!started) {
        return std::string(what) + " " + service + " not started: " + started.error().describe();
    }
    started->wait();
    if (Status r = started->result(); !r) {
        return std::string(what) + " " + service + " ended " + to_string(started->state()) + ": " +
               r.error().describe();
    }
    return {};
}

struct PassResult {
    std::string store;
    bool ok = true;
    int operations = 0;
    double seconds = 0;
    std::uint64_t saves = 0, erases = 0, bytes = 0;
    std::int64_t save_ns = 0;

    double ops_per_s() const { return seconds > 0 ? operations / seconds : 0; }
    double writes_per_op() const {
        return operations ? static_cast<double>(saves + erases) / operations : 0;
    }
    double mean_save_us() const { return saves ? save_ns / 1e3 / static_cast<double>(saves) : 0; }
};

// One pass: a fresh world and orchestrator on `inner`, every service's three operations.
PassResult run_pass(const Args& args, const std::string& label, std::shared_ptr<StateStore> inner,
                    bool measure_bytes) {
    sim::Options so;
    so.seed = 1;
    so.threads = 2;
    so.default_latency = {0ms, 0ms};
    so.lcm_duration = std::chrono::milliseconds(args.lcm_ms);
    so.pod_start_time = 0ms;
    OrchestratorOptions oo;
    oo.threads = 2;
    oo.poll_interval = 1ms;
    oo.call_timeout = 5s;
    oo.operation_deadline = 120s;
    oo.backoff.initial = 1ms;
    oo.backoff.max = 20ms;

    auto world = sim::World::create(so);
    auto store = std::make_shared<CountingStore>(std::move(inner), measure_bytes);
    Backends backends = world->backends();
    backends.store = store;

    PassResult r;
    r.store = label;
    r.operations = 3 * args.services;
    std::mutex failures_mutex;
    std::vector<std::string> failures;
    {
        Orchestrator orch(backends, oo);
        std::vector<std::thread> threads;
        const auto t0 = SteadyClock::now();
        for (int i = 0; i < args.services; ++i) {
            threads.emplace_back([&, i] {
                const std::string name = service_name(i);
                std::string failure = run_op("deploy", name, orch.deploy(service_spec(name, 90)));
                if (failure.empty()) {
                    failure = run_op("reconfigure", name, orch.reconfigure(service_spec(name, 50)));
                }
                if (failure.empty()) failure = run_op("terminate", name, orch.terminate(name));
                if (!failure.empty()) {
                    std::lock_guard lock(failures_mutex);
                    failures.push_back(std::move(failure));
                }
            });
        }
        for (auto& t : threads) t.join();
        r.seconds = std::chrono::duration<double>(SteadyClock::now() - t0).count();
    }
    for (const auto& f : failures) std::printf("!! %s: %s\n", label.c_str(), f.c_str());
    r.ok = failures.empty();
    if (!world->snapshot().empty()) {
        const sim::Snapshot s = world->snapshot();
        std::printf(
            "!! %s: the world is not empty after terminate: %zu VNFs, %zu VMs, %zu pods, %zu "
            "objects, %zu proxies\n",
            label.c_str(), s.vnfs.size(), s.vms.size(), s.pods.size(), s.objects.size(),
            s.proxies.size());
        r.ok = false;
    }
    r.saves = store->saves();
    r.erases = store->erases();
    r.bytes = store->bytes();
    r.save_ns = store->save_ns();
    return r;
}

std::shared_ptr<StateStore> open_sqlite(const std::filesystem::path& file, SqliteSync sync) {
    SqliteOptions o;
    o.sync = sync;
    auto s = SqliteStateStore::open(file.string(), o);
    if (!s) {
        std::fprintf(stderr, "bench_store: %s\n", s.error().describe().c_str());
        std::exit(1);
    }
    return *s;
}

}  // namespace

int main(int argc, char** argv) {
    const Args args = parse_args(argc, argv);
    // The engine logs at info on every step; formatting that would only add the same CPU cost
    // to every store.
    spdlog::null_logger_mt("engine")->set_level(spdlog::level::off);

    namespace fs = std::filesystem;
    fs::path dir;
    bool remove_dir = false;
    if (args.dir.empty()) {
        std::string templ = (fs::temp_directory_path() / "bench_store.XXXXXX").string();
        if (!mkdtemp(templ.data())) {
            std::perror("bench_store: mkdtemp");
            return 1;
        }
        dir = templ;
        remove_dir = true;
    } else {
        dir = args.dir;
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) {
            std::fprintf(stderr, "bench_store: cannot create %s: %s\n", dir.c_str(),
                         ec.message().c_str());
            return 1;
        }
    }

    std::printf(
        "bench_store: %d services x deploy/reconfigure/terminate (%d operations per store), all "
        "services at once; zero backend latency, lcm_duration %d ms, pod_start_time 0, "
        "poll_interval 1 ms; SQLite files in %s\n",
        args.services, 3 * args.services, args.lcm_ms, dir.c_str());

    // Warm-up on the memory store (thread start-up, allocator), also measuring record sizes.
    const PassResult warm = run_pass(args, "warm-up", std::make_shared<MemoryStateStore>(), true);

    std::vector<PassResult> results;
    results.push_back(run_pass(args, "memory", std::make_shared<MemoryStateStore>(), false));
    results.push_back(run_pass(args, "sqlite-normal",
                               open_sqlite(dir / "normal.sqlite", SqliteSync::normal), false));
    results.push_back(
        run_pass(args, "sqlite-full", open_sqlite(dir / "full.sqlite", SqliteSync::full), false));

    std::printf("\n%-14s %10s %10s %10s %10s %16s\n", "store", "ops/s", "wall s", "writes/op",
                "saves", "mean save (us)");
    for (const auto& r : results) {
        std::printf("%-14s %10.1f %10.3f %10.2f %10llu %16.1f\n", r.store.c_str(), r.ops_per_s(),
                    r.seconds, r.writes_per_op(), static_cast<unsigned long long>(r.saves),
                    r.mean_save_us());
    }
    const double mem = results[0].ops_per_s();
    const double normal = results[1].ops_per_s();
    const double full = results[2].ops_per_s();
    std::printf(
        "\njournal overhead (ops/s, same run): memory / sqlite-normal = %.2f, "
        "memory / sqlite-full = %.2f\n",
        normal > 0 ? mem / normal : 0.0, full > 0 ? mem / full : 0.0);
    if (warm.saves > 0) {
        std::printf(
            "record size (JSON, warm-up pass): mean %.0f bytes per save, %.0f bytes "
            "written per operation\n",
            static_cast<double>(warm.bytes) / static_cast<double>(warm.saves),
            static_cast<double>(warm.bytes) / warm.operations);
    }

    if (remove_dir) {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    bool ok = warm.ok;
    for (const auto& r : results) ok = ok && r.ok;
    if (!ok) std::printf("FAILED: an operation did not succeed or a world was not left empty\n");
    return ok ? 0 : 1;
}
