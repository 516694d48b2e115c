// The C API on the simulated infrastructure: specs, operations, events, cancellation, errors,
// bad arguments and NULL handling. Uses only meshorch.h (and Boost.JSON to read its answers).
#include <meshorch/meshorch.h>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace {

namespace json = boost::json;

// A small hybrid service: web (container) -> cart (v1 on a VM, v2 in a container).
const char* const shop_spec = R"(apiVersion: meshorch.io/v1alpha1
kind: Service
metadata:
  name: shop
spec:
  microservices:
    - name: web
      ports: [{name: http, number: 8080, protocol: HTTP}]
      versions:
        - name: v1
          container: {image: "registry.example/web:1.0"}
          vnf: {vnfdId: web-cnf, flavourId: simple}
    - name: cart
      ports: [{name: http, number: 9080, protocol: HTTP}]
      versions:
        - name: v1
          vm: {image: cart-1.0, flavor: m1.small, network: net0}
          vnf: {vnfdId: cart-vm, flavourId: simple}
        - name: v2
          container: {image: "registry.example/cart:2.0"}
          vnf: {vnfdId: cart-cnf, flavourId: simple}
  links:
    - from: web
      to: cart
      routes:
        - split: [{version: v1, weight: 90}, {version: v2, weight: 10}]
)";

std::string shop_with_weights(int v1, int v2) {
    std::string s = shop_spec;
    const std::string old = "[{version: v1, weight: 90}, {version: v2, weight: 10}]";
    s.replace(s.find(old), old.size(),
              "[{version: v1, weight: " + std::to_string(v1) +
                  "}, {version: v2, weight: " + std::to_string(v2) + "}]");
    return s;
}

// Owns a library string.
struct Text {
    char* p = nullptr;
    ~Text() { meshorch_free(p); }
    char** out() { return &p; }
    std::string str() const { return p ? p : ""; }
    json::value json() const { return json::parse(str()); }
};

struct OrchDeleter {
    void operator()(meshorch_orchestrator* o) const { meshorch_orchestrator_destroy(o); }
};
struct OpDeleter {
    void operator()(meshorch_operation* o) const { meshorch_operation_destroy(o); }
};
using OrchPtr = std::unique_ptr<meshorch_orchestrator, OrchDeleter>;
using OpPtr = std::unique_ptr<meshorch_operation, OpDeleter>;

json::value last_detail() {
    return json::parse(meshorch_error_last()->detail);
}

OrchPtr make_sim(int64_t latency_ms = 0) {
    meshorch_orchestrator_options opts = MESHORCH_ORCHESTRATOR_OPTIONS_INIT;
    opts.sim_latency_ms = latency_ms;
    meshorch_orchestrator* o = nullptr;
    EXPECT_EQ(meshorch_orchestrator_create_sim(&o, &opts), MESHORCH_OK)
        << meshorch_error_last()->message;
    return OrchPtr(o);
}

OpPtr start_deploy(meshorch_orchestrator* orch, const std::string& spec = shop_spec) {
    meshorch_operation* op = nullptr;
    EXPECT_EQ(meshorch_deploy(&op, orch, spec.c_str()), MESHORCH_OK)
        << meshorch_error_last()->message;
    return OpPtr(op);
}

// Waits (bounded) and checks the operation succeeded.
void expect_succeeds(meshorch_operation* op) {
    ASSERT_NE(op, nullptr);
    ASSERT_EQ(meshorch_operation_wait(op, 60000), MESHORCH_OK);
    EXPECT_EQ(meshorch_operation_result(op), MESHORCH_OK) << meshorch_error_last()->detail;
    EXPECT_EQ(meshorch_operation_state(op), MESHORCH_STATE_SUCCEEDED);
}

json::object snapshot(meshorch_orchestrator* orch) {
    Text t;
    EXPECT_EQ(meshorch_sim_snapshot(t.out(), orch), MESHORCH_OK);
    return t.json().as_object();
}

// Collects events; thread-safe.
struct Collector {
    struct Item {
        int type;
        std::string operation_id, service, microservice, message, text;
        int operation_state, workload_state, instance;
        int64_t time_ms;
    };
    std::mutex mutex;
    std::vector<Item> items;

    static void callback(const meshorch_event* e, void* payload) {
        auto* self = static_cast<Collector*>(payload);
        Item item{e->type,
                  e->operation_id,
                  e->service,
                  e->microservice ? e->microservice : "",
                  e->message,
                  e->text,
                  e->operation_state,
                  e->workload_state,
                  e->instance,
                  e->time_ms};
        std::lock_guard lock(self->mutex);
        self->items.push_back(std::move(item));
    }
    std::vector<Item> copy() {
        std::lock_guard lock(mutex);
        return items;
    }
};

// ---- version, codes, errors -------------------------------------------------------------------

TEST(CapiVersion, LibraryMatchesHeader) {
    int major = -1, minor = -1, patch = -1;
    meshorch_version(&major, &minor, &patch);
    EXPECT_EQ(major, MESHORCH_VERSION_MAJOR);
    EXPECT_EQ(minor, MESHORCH_VERSION_MINOR);
    EXPECT_EQ(patch, MESHORCH_VERSION_PATCH);
    EXPECT_EQ(MESHORCH_VERSION_NUMBER, major * 1000000 + minor * 1000 + patch);
    meshorch_version(nullptr, nullptr, nullptr);  // NULL pointers are allowed
}

TEST(CapiErrors, ErrstrKnowsEveryCodeAndNeverReturnsNull) {
    std::set<std::string> texts;
    for (int code :
         {MESHORCH_OK, MESHORCH_E_INVALID_SPEC, MESHORCH_E_PARSE, MESHORCH_E_NOT_FOUND,
          MESHORCH_E_CONFLICT, MESHORCH_E_BUSY, MESHORCH_E_TRANSIENT, MESHORCH_E_TIMEOUT,
          MESHORCH_E_CANCELLED, MESHORCH_E_BACKEND, MESHORCH_E_INVALID_ARGUMENT,
          MESHORCH_E_INTERNAL, MESHORCH_E_IO, MESHORCH_E_UNSUPPORTED, MESHORCH_E_NOMEM}) {
        const char* s = meshorch_errstr(code);
        ASSERT_NE(s, nullptr);
        EXPECT_STRNE(s, "unknown error") << code;
        texts.insert(s);
    }
    EXPECT_EQ(texts.size(), 15u) << "every code has its own text";
    EXPECT_STREQ(meshorch_errstr(-55), "unknown error");
    EXPECT_STREQ(meshorch_errstr(7), "unknown error");
}

TEST(CapiErrors, StatusCodesAreStable) {
    // Append-only ABI: these numbers must never change.
    EXPECT_EQ(MESHORCH_E_INVALID_SPEC, -1);
    EXPECT_EQ(MESHORCH_E_PARSE, -2);
    EXPECT_EQ(MESHORCH_E_BUSY, -5);
    EXPECT_EQ(MESHORCH_E_TIMEOUT, -7);
    EXPECT_EQ(MESHORCH_E_INVALID_ARGUMENT, -10);
    EXPECT_EQ(MESHORCH_E_IO, -12);
    EXPECT_EQ(MESHORCH_E_UNSUPPORTED, -100);
    EXPECT_EQ(MESHORCH_E_NOMEM, -101);
    EXPECT_EQ(MESHORCH_STATE_FAILED, 11);
    EXPECT_EQ(MESHORCH_WORKLOAD_FAILED, 10);
}

TEST(CapiErrors, SuccessResetsTheLastError) {
    EXPECT_EQ(meshorch_spec_validate(nullptr, nullptr), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_error_last()->code, MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_NE(std::string(meshorch_error_last()->message).find("text"), std::string::npos);
    EXPECT_EQ(last_detail().at("code").as_string(), "invalid_argument");

    EXPECT_EQ(meshorch_spec_validate(nullptr, shop_spec), MESHORCH_OK);
    const meshorch_error* e = meshorch_error_last();
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->code, MESHORCH_OK);
    EXPECT_STREQ(e->message, "");
    auto d = json::parse(e->detail).as_object();
    EXPECT_EQ(d.at("code").as_string(), "ok");
    EXPECT_EQ(d.at("fields").as_array().size(), 0u);
}

TEST(CapiErrors, LastErrorIsPerThread) {
    EXPECT_EQ(meshorch_spec_validate(nullptr, "{not: [yaml"), MESHORCH_E_PARSE);
    std::thread([] {
        EXPECT_EQ(meshorch_error_last()->code, MESHORCH_OK);
        EXPECT_EQ(meshorch_spec_validate(nullptr, nullptr), MESHORCH_E_INVALID_ARGUMENT);
    }).join();
    EXPECT_EQ(meshorch_error_last()->code, MESHORCH_E_PARSE);
}

TEST(CapiErrors, FreeAcceptsNull) {
    meshorch_free(nullptr);
}

// ---- specs -------------------------------------------------------------------------------------

TEST(CapiSpec, ValidSpecGivesAnEmptyErrorList) {
    Text errors;
    ASSERT_EQ(meshorch_spec_validate(errors.out(), shop_spec), MESHORCH_OK);
    EXPECT_EQ(errors.str(), "[]");
    EXPECT_EQ(meshorch_spec_validate(nullptr, shop_spec), MESHORCH_OK);
}

TEST(CapiSpec, InvalidSpecListsEveryProblemWithPathAndPosition) {
    std::string bad = shop_spec;
    bad.replace(bad.find("to: cart"), 8, "to: nowhere");
    bad.replace(bad.find("number: 9080"), 12, "number: 99999");
    Text errors;
    ASSERT_EQ(meshorch_spec_validate(errors.out(), bad.c_str()), MESHORCH_E_INVALID_SPEC);
    auto list = errors.json().as_array();
    ASSERT_GE(list.size(), 2u) << errors.str();
    std::set<std::string> paths;
    bool positioned = false;
    for (const auto& e : list) {
        const auto& o = e.as_object();
        paths.insert(std::string(o.at("path").as_string()));
        EXPECT_FALSE(o.at("reason").as_string().empty());
        positioned = positioned || o.at("line").as_int64() > 0;
    }
    EXPECT_TRUE(paths.count("spec.links[0].to")) << errors.str();
    EXPECT_TRUE(paths.count("spec.microservices[1].ports[0].number")) << errors.str();
    EXPECT_TRUE(positioned) << "errors carry the line they come from: " << errors.str();

    // The same problems in the thread's error detail.
    const auto detail = last_detail().as_object();
    EXPECT_EQ(detail.at("code").as_string(), "invalid_spec");
    EXPECT_EQ(detail.at("status").as_int64(), MESHORCH_E_INVALID_SPEC);
    EXPECT_EQ(detail.at("fields").as_array(), list);
}

TEST(CapiSpec, SyntaxErrorHasLineAndColumn) {
    Text errors;
    const char* text = "apiVersion: meshorch.io/v1alpha1\nkind: Service\nmetadata: {name: [x\n";
    ASSERT_EQ(meshorch_spec_validate(errors.out(), text), MESHORCH_E_PARSE);
    auto list = errors.json().as_array();
    ASSERT_EQ(list.size(), 1u);
    EXPECT_EQ(list[0].at("path").as_string(), "");
    EXPECT_GE(list[0].at("line").as_int64(), 3);
    const auto detail = last_detail().as_object();
    EXPECT_EQ(detail.at("code").as_string(), "parse_error");
    EXPECT_GE(detail.at("line").as_int64(), 3);
}

TEST(CapiSpec, RendersYamlAndJson) {
    Text yaml;
    ASSERT_EQ(meshorch_spec_render(yaml.out(), shop_spec, "yaml", nullptr), MESHORCH_OK)
        << meshorch_error_last()->message;
    EXPECT_NE(yaml.str().find("kind: VirtualService"), std::string::npos);
    EXPECT_NE(yaml.str().find("---"), std::string::npos);

    Text deflt;
    ASSERT_EQ(meshorch_spec_render(deflt.out(), shop_spec, nullptr, nullptr), MESHORCH_OK);
    EXPECT_EQ(deflt.str(), yaml.str()) << "NULL format is yaml";

    Text js;
    ASSERT_EQ(meshorch_spec_render(js.out(), shop_spec, "json", nullptr), MESHORCH_OK);
    auto manifests = js.json().as_array();
    ASSERT_FALSE(manifests.empty());
    EXPECT_EQ(manifests[0].at("kind").as_string(), "Namespace");
    std::set<std::string> kinds;
    for (const auto& m : manifests) kinds.insert(std::string(m.at("kind").as_string()));
    for (const char* k : {"ServiceAccount", "Service", "WorkloadGroup", "DestinationRule",
                          "VirtualService", "PeerAuthentication", "AuthorizationPolicy"}) {
        EXPECT_TRUE(kinds.count(k)) << k;
    }
    EXPECT_FALSE(kinds.count("WorkloadEntry")) << "no VM observed yet";

    Text again;
    ASSERT_EQ(meshorch_spec_render(again.out(), shop_spec, "json", nullptr), MESHORCH_OK);
    EXPECT_EQ(again.str(), js.str()) << "deterministic";
}

TEST(CapiSpec, RendersObservedVmsAsWorkloadEntries) {
    Text js;
    const char* observed =
        R"({"cart/v1": [{"server_id": "srv-1", "address": "10.0.0.7"}, "10.0.0.8"]})";
    ASSERT_EQ(meshorch_spec_render(js.out(), shop_spec, "json", observed), MESHORCH_OK)
        << meshorch_error_last()->message;
    std::vector<std::string> entries;
    const json::value manifests = js.json();
    for (const auto& m : manifests.as_array()) {
        if (m.at("kind").as_string() == "WorkloadEntry") {
            entries.emplace_back(m.at("metadata").at("name").as_string());
            EXPECT_EQ(m.at("metadata").at("namespace").as_string(), "shop");
        }
    }
    EXPECT_EQ(entries, (std::vector<std::string>{"cart-v1-0", "cart-v1-1"}));
}

TEST(CapiSpec, RenderRejectsBadArguments) {
    Text out;
    EXPECT_EQ(meshorch_spec_render(out.out(), shop_spec, "xml", nullptr),
              MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(out.p, nullptr);
    EXPECT_NE(std::string(meshorch_error_last()->message).find("xml"), std::string::npos);
    EXPECT_EQ(meshorch_spec_render(out.out(), shop_spec, "json", "[1, 2]"),
              MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_spec_render(out.out(), shop_spec, "json", R"({"cart": ["10.0.0.1"]})"),
              MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(last_detail().at("fields").as_array().size(), 1u);
    EXPECT_EQ(meshorch_spec_render(out.out(), shop_spec, "json", "{"), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_spec_render(nullptr, shop_spec, "json", nullptr),
              MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_spec_render(out.out(), nullptr, "json", nullptr),
              MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_spec_render(out.out(), "kind: Service", "json", nullptr),
              MESHORCH_E_INVALID_SPEC);
}

TEST(CapiSpec, DumpRoundTrips) {
    Text js;
    ASSERT_EQ(meshorch_spec_dump(js.out(), shop_spec, "json"), MESHORCH_OK);
    EXPECT_EQ(js.json().at("metadata").at("name").as_string(), "shop");
    Text yaml1, yaml2;
    ASSERT_EQ(meshorch_spec_dump(yaml1.out(), shop_spec, "yaml"), MESHORCH_OK);
    ASSERT_EQ(meshorch_spec_dump(yaml2.out(), js.p, "yaml"), MESHORCH_OK);
    EXPECT_EQ(yaml1.str(), yaml2.str());
}

// ---- options and construction -----------------------------------------------------------------

TEST(CapiOptions, InitMacroAndFunctionAgree) {
    const meshorch_orchestrator_options macro = MESHORCH_ORCHESTRATOR_OPTIONS_INIT;
    meshorch_orchestrator_options fn;
    std::memset(&fn, 0xab, sizeof fn);
    ASSERT_EQ(meshorch_orchestrator_options_init(&fn, MESHORCH_ORCHESTRATOR_OPTIONS_VERSION),
              MESHORCH_OK);
    EXPECT_EQ(fn.version, macro.version);
    EXPECT_EQ(fn.threads, macro.threads);
    EXPECT_EQ(fn.operation_deadline_ms, macro.operation_deadline_ms);
    EXPECT_EQ(fn.call_timeout_ms, macro.call_timeout_ms);
    EXPECT_EQ(fn.poll_interval_ms, macro.poll_interval_ms);
    EXPECT_EQ(fn.backoff_initial_ms, macro.backoff_initial_ms);
    EXPECT_EQ(fn.backoff_max_ms, macro.backoff_max_ms);
    EXPECT_EQ(fn.backoff_max_attempts, macro.backoff_max_attempts);
    EXPECT_EQ(fn.sim_seed, macro.sim_seed);
    EXPECT_EQ(fn.sim_latency_ms, macro.sim_latency_ms);
    EXPECT_EQ(fn.sim_latency_jitter_ms, macro.sim_latency_jitter_ms);
    EXPECT_EQ(fn.sim_fault_probability, macro.sim_fault_probability);
    EXPECT_EQ(fn.sim_lcm_duration_ms, macro.sim_lcm_duration_ms);
    EXPECT_EQ(fn.sim_pod_start_ms, macro.sim_pod_start_ms);
    EXPECT_EQ(fn.post, macro.post);
    EXPECT_EQ(fn.post_context, macro.post_context);
    EXPECT_EQ(fn.threads, 2);
    EXPECT_EQ(fn.sim_seed, 1u);
    EXPECT_EQ(fn.post, nullptr);

    EXPECT_EQ(meshorch_orchestrator_options_init(nullptr, 1), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_orchestrator_options_init(&fn, 0), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_orchestrator_options_init(&fn, 999), MESHORCH_E_INVALID_ARGUMENT);
}

// A program built against the version 1 header passes a shorter struct: nothing past its end
// is written by init, nor read by create.
TEST(CapiOptions, Version1OptionsEndBeforeTheExecutor) {
    meshorch_orchestrator_options opts;
    std::memset(&opts, 0xab, sizeof opts);
    ASSERT_EQ(meshorch_orchestrator_options_init(&opts, 1), MESHORCH_OK);
    EXPECT_EQ(opts.version, 1u);
    EXPECT_EQ(opts.threads, 2);
    const auto* bytes = reinterpret_cast<const unsigned char*>(&opts);
    for (std::size_t i = offsetof(meshorch_orchestrator_options, post); i < sizeof opts; ++i) {
        ASSERT_EQ(bytes[i], 0xab) << "byte " << i << " is past a version 1 struct";
    }
    meshorch_orchestrator* o = nullptr;
    ASSERT_EQ(meshorch_orchestrator_create_sim(&o, &opts), MESHORCH_OK)
        << meshorch_error_last()->message;
    meshorch_orchestrator_destroy(o);
}

TEST(CapiOptions, BadOptionsAreRefusedWithTheFieldNamed) {
    meshorch_orchestrator* o = reinterpret_cast<meshorch_orchestrator*>(0x1);
    meshorch_orchestrator_options opts = MESHORCH_ORCHESTRATOR_OPTIONS_INIT;
    opts.sim_fault_probability = 1.5;
    opts.threads = 0;
    EXPECT_EQ(meshorch_orchestrator_create_sim(&o, &opts), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(o, nullptr);
    std::set<std::string> fields;
    const json::value detail = last_detail();
    for (const auto& f : detail.at("fields").as_array()) {
        fields.insert(std::string(f.at("path").as_string()));
    }
    EXPECT_EQ(fields, (std::set<std::string>{"sim_fault_probability", "threads"}));

    opts = MESHORCH_ORCHESTRATOR_OPTIONS_INIT;
    int context = 0;
    opts.post_context = &context;  // without post
    EXPECT_EQ(meshorch_orchestrator_create_sim(&o, &opts), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(last_detail().at("fields").at(0).at("path").as_string(), "post_context");

    opts = MESHORCH_ORCHESTRATOR_OPTIONS_INIT;
    opts.version = 42;
    EXPECT_EQ(meshorch_orchestrator_create_sim(&o, &opts), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_NE(std::string(meshorch_error_last()->message).find("version"), std::string::npos);
    EXPECT_EQ(meshorch_orchestrator_create_sim(nullptr, nullptr), MESHORCH_E_INVALID_ARGUMENT);
}

TEST(CapiOptions, NullOptionsMeanDefaults) {
    meshorch_orchestrator* o = nullptr;
    ASSERT_EQ(meshorch_orchestrator_create_sim(&o, nullptr), MESHORCH_OK);
    ASSERT_NE(o, nullptr);
    meshorch_orchestrator_destroy(o);
    meshorch_orchestrator_destroy(nullptr);  // no-op
}

TEST(CapiRealBackends, ConfigProblemsAreReportedWithTheirPaths) {
    meshorch_orchestrator* o = reinterpret_cast<meshorch_orchestrator*>(0x1);
    EXPECT_EQ(meshorch_orchestrator_create(&o, nullptr, nullptr), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(o, nullptr);
    EXPECT_EQ(meshorch_orchestrator_create(&o, "{\"kubernetes\": ", nullptr), MESHORCH_E_PARSE);
    EXPECT_EQ(meshorch_orchestrator_create(&o, "[]", nullptr), MESHORCH_E_INVALID_ARGUMENT);

    const char* incomplete = R"({
      "kubernetes": {"kubeconfig": "/etc/kube/config"},
      "tacker": {"keystone_url": "keystone:5000", "credentials": {"username": "admin"},
                 "vim_ids": {}},
      "injector": {"ssh_user": "root", "ssh_private_key": "/k", "ssh_port": 70000},
      "colour": "blue"
    })";
    EXPECT_EQ(meshorch_orchestrator_create(&o, incomplete, nullptr), MESHORCH_E_INVALID_ARGUMENT);
    std::set<std::string> paths;
    const json::value detail = last_detail();
    for (const auto& f : detail.at("fields").as_array()) {
        paths.insert(std::string(f.at("path").as_string()));
    }
    for (const char* p :
         {"tacker.keystone_url", "tacker.credentials.password", "tacker.credentials.project_name",
          "tacker.vim_ids", "injector.ssh_port", "injector.known_hosts", "colour"}) {
        EXPECT_TRUE(paths.count(p)) << p << " in " << meshorch_error_last()->detail;
    }

    // A kubeconfig that is not there is reported where the configuration names it.
    const char* missing_kubeconfig = R"({
      "kubernetes": {"kubeconfig": "/nonexistent/kubeconfig"},
      "tacker": {"keystone_url": "https://keystone.example:5000/v3",
                 "credentials": {"username": "admin", "password": "secret",
                                 "project_name": "nfv"},
                 "vim_ids": {"vm": "vim-openstack"}},
      "injector": {"ssh_user": "root", "ssh_private_key": "/k", "known_hosts": "/kh"}
    })";
    EXPECT_EQ(meshorch_orchestrator_create(&o, missing_kubeconfig, nullptr),
              MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_NE(std::string(meshorch_error_last()->message).find("kubernetes.kubeconfig"),
              std::string::npos)
        << meshorch_error_last()->message;
    EXPECT_EQ(o, nullptr);
}

TEST(CapiRealBackends, AWellFormedConfigMakesAnOrchestratorWithoutContactingAnything) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("meshorch-capi-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    {
        std::ofstream kubeconfig(dir / "kubeconfig");
        kubeconfig << "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                      "clusters: [{name: k, cluster: {server: 'https://127.0.0.1:1'}}]\n"
                      "users: [{name: u, user: {token: t}}]\n"
                      "contexts: [{name: c, context: {cluster: k, user: u}}]\n";
        std::ofstream(dir / "known_hosts") << "";
        std::ofstream(dir / "istio-sidecar.deb") << "!<arch>\n";
    }
    const std::string good = R"({
      "kubernetes": {"kubeconfig": ")" +
                             (dir / "kubeconfig").string() + R"("},
      "tacker": {"keystone_url": "https://keystone.example:5000/v3",
                 "credentials": {"username": "admin", "password": "secret",
                                 "project_name": "nfv"},
                 "vim_ids": {"vm": "vim-openstack", "container": "vim-k8s"}},
      "injector": {"ssh_user": "root", "ssh_private_key": "/etc/meshorch/id_ed25519",
                   "known_hosts": ")" +
                             (dir / "known_hosts").string() + R"(",
                   "proxy_package": ")" +
                             (dir / "istio-sidecar.deb").string() + R"("},
      "mesh_id": "mesh-east"
    })";
    meshorch_orchestrator* o = nullptr;
    ASSERT_EQ(meshorch_orchestrator_create(&o, good.c_str(), nullptr), MESHORCH_OK)
        << meshorch_error_last()->message;
    ASSERT_NE(o, nullptr);
    meshorch_orchestrator_destroy(o);
    std::filesystem::remove_all(dir);
}

// ---- operations on the simulated infrastructure
// --------------------------------------------------

TEST(CapiSim, DeployReportsEventsAndStatusThenTerminateLeavesNothing) {
    auto orch = make_sim();
    Collector events;
    meshorch_subscription_id sub = 0;
    ASSERT_EQ(meshorch_subscribe(&sub, orch.get(), &Collector::callback, &events), MESHORCH_OK);
    EXPECT_NE(sub, 0u);

    auto deploy = start_deploy(orch.get());
    ASSERT_NE(deploy, nullptr);
    const std::string deploy_id = meshorch_operation_id(deploy.get());
    EXPECT_FALSE(deploy_id.empty());
    EXPECT_STREQ(meshorch_operation_service(deploy.get()), "shop");
    EXPECT_EQ(meshorch_operation_kind(deploy.get()), MESHORCH_OPERATION_DEPLOY);
    expect_succeeds(deploy.get());

    Text status;
    ASSERT_EQ(meshorch_service_status(status.out(), orch.get(), "shop"), MESHORCH_OK);
    auto s = status.json().as_object();
    EXPECT_EQ(s.at("name").as_string(), "shop");
    EXPECT_EQ(s.at("namespace").as_string(), "shop");
    EXPECT_EQ(s.at("phase").as_string(), "Ready");
    EXPECT_EQ(s.at("last_operation").at("id").as_string(), deploy_id);
    EXPECT_EQ(s.at("last_operation").at("state").as_string(), "Succeeded");
    EXPECT_GT(s.at("applied_objects").as_int64(), 0);
    const auto& workloads = s.at("workloads").as_array();
    ASSERT_EQ(workloads.size(), 3u) << status.str();  // web/v1, cart/v1 (VM), cart/v2
    for (const auto& w : workloads) {
        EXPECT_EQ(w.at("state").as_string(), "Ready") << status.str();
        if (w.at("substrate").as_string() == "vm") {
            EXPECT_EQ(w.at("microservice").as_string(), "cart");
            EXPECT_FALSE(w.at("address").as_string().empty());
        }
    }

    Text all;
    ASSERT_EQ(meshorch_services(all.out(), orch.get()), MESHORCH_OK);
    EXPECT_EQ(all.json().as_array().size(), 1u);

    auto world = snapshot(orch.get());
    EXPECT_FALSE(world.at("empty").as_bool());
    EXPECT_EQ(world.at("vnfs").as_array().size(), 3u);
    EXPECT_EQ(world.at("proxies").as_array().size(), 1u);
    bool has_vs = false;
    for (const auto& m : world.at("objects").as_array()) {
        has_vs = has_vs || m.at("kind").as_string() == "VirtualService";
    }
    EXPECT_TRUE(has_vs);

    // Events: the operation's states in order, ending Succeeded, and workload events.
    auto items = events.copy();
    ASSERT_FALSE(items.empty());
    std::vector<int> op_states;
    std::set<std::string> workloads_seen;
    for (const auto& e : items) {
        EXPECT_EQ(e.service, "shop");
        EXPECT_GT(e.time_ms, 1'600'000'000'000);
        EXPECT_FALSE(e.text.empty());
        if (e.operation_id != deploy_id) continue;
        if (e.type == MESHORCH_EVENT_OPERATION) op_states.push_back(e.operation_state);
        if (e.type == MESHORCH_EVENT_WORKLOAD) {
            EXPECT_FALSE(e.microservice.empty());
            EXPECT_GE(e.instance, 0);
            workloads_seen.insert(e.microservice);
        } else {
            EXPECT_TRUE(e.microservice.empty());
            EXPECT_EQ(e.instance, -1);
        }
    }
    ASSERT_FALSE(op_states.empty());
    EXPECT_EQ(op_states.back(), MESHORCH_STATE_SUCCEEDED);
    EXPECT_EQ(workloads_seen, (std::set<std::string>{"cart", "web"}));

    OpPtr terminate;
    {
        meshorch_operation* op = nullptr;
        ASSERT_EQ(meshorch_terminate(&op, orch.get(), "shop"), MESHORCH_OK)
            << meshorch_error_last()->message;
        terminate.reset(op);
    }
    EXPECT_EQ(meshorch_operation_kind(terminate.get()), MESHORCH_OPERATION_TERMINATE);
    expect_succeeds(terminate.get());
    EXPECT_TRUE(snapshot(orch.get()).at("empty").as_bool()) << "terminate removes everything";

    EXPECT_EQ(meshorch_unsubscribe(orch.get(), sub), MESHORCH_OK);
    EXPECT_EQ(meshorch_unsubscribe(orch.get(), sub), MESHORCH_E_NOT_FOUND);
}

TEST(CapiSim, ReconfigureMovesTraffic) {
    auto orch = make_sim();
    auto deploy = start_deploy(orch.get());
    expect_succeeds(deploy.get());

    meshorch_operation* raw = nullptr;
    const std::string next = shop_with_weights(0, 100);
    ASSERT_EQ(meshorch_reconfigure(&raw, orch.get(), next.c_str()), MESHORCH_OK)
        << meshorch_error_last()->message;
    OpPtr reconf(raw);
    EXPECT_EQ(meshorch_operation_kind(reconf.get()), MESHORCH_OPERATION_RECONFIGURE);
    expect_succeeds(reconf.get());

    bool found = false;
    const json::object world = snapshot(orch.get());
    for (const auto& m : world.at("objects").as_array()) {
        if (m.at("kind").as_string() != "VirtualService") continue;
        if (m.at("metadata").at("name").as_string() != "cart") continue;
        found = true;
        const std::string text = json::serialize(m);
        EXPECT_NE(text.find("\"weight\":100"), std::string::npos) << text;
    }
    EXPECT_TRUE(found);
}

TEST(CapiSim, ReconfigureOfAnUnknownServiceIsRefused) {
    auto orch = make_sim();
    meshorch_operation* op = reinterpret_cast<meshorch_operation*>(0x1);
    const int rc = meshorch_reconfigure(&op, orch.get(), shop_spec);
    EXPECT_LT(rc, 0);
    EXPECT_EQ(op, nullptr);
    EXPECT_EQ(meshorch_error_last()->code, rc);
    op = reinterpret_cast<meshorch_operation*>(0x1);
    EXPECT_EQ(meshorch_terminate(&op, orch.get(), "nothing-here"), MESHORCH_E_NOT_FOUND);
    EXPECT_EQ(op, nullptr);
    Text status;
    EXPECT_EQ(meshorch_service_status(status.out(), orch.get(), "nothing-here"),
              MESHORCH_E_NOT_FOUND);
    EXPECT_EQ(status.p, nullptr);
}

TEST(CapiSim, InvalidSpecIsRefusedBeforeAnythingStarts) {
    auto orch = make_sim();
    meshorch_operation* op = nullptr;
    std::string bad = shop_spec;
    bad.replace(bad.find("weight: 10}"), 11, "weight: 20}");  // weights sum to 110
    EXPECT_EQ(meshorch_deploy(&op, orch.get(), bad.c_str()), MESHORCH_E_INVALID_SPEC);
    EXPECT_EQ(op, nullptr);
    EXPECT_FALSE(last_detail().at("fields").as_array().empty());
    EXPECT_EQ(meshorch_deploy(&op, orch.get(), "{"), MESHORCH_E_PARSE);
    EXPECT_TRUE(snapshot(orch.get()).at("empty").as_bool());
}

TEST(CapiSim, SecondOperationOnABusyServiceIsRefused) {
    auto orch = make_sim(/*latency_ms=*/20);
    auto first = start_deploy(orch.get());
    meshorch_operation* second = nullptr;
    EXPECT_EQ(meshorch_deploy(&second, orch.get(), shop_spec), MESHORCH_E_BUSY);
    EXPECT_EQ(second, nullptr);
    expect_succeeds(first.get());
}

TEST(CapiSim, WaitTimesOutThenCancelRollsBack) {
    auto orch = make_sim(/*latency_ms=*/30);
    auto op = start_deploy(orch.get());
    EXPECT_EQ(meshorch_operation_wait(op.get(), 1), MESHORCH_E_TIMEOUT);
    EXPECT_EQ(meshorch_error_last()->code, MESHORCH_E_TIMEOUT);
    EXPECT_EQ(meshorch_operation_result(op.get()), MESHORCH_E_BUSY) << "not ended yet";
    EXPECT_FALSE(meshorch_operation_state_is_terminal(meshorch_operation_state(op.get())));

    ASSERT_EQ(meshorch_operation_cancel(op.get()), MESHORCH_OK);
    ASSERT_EQ(meshorch_operation_wait(op.get(), -1), MESHORCH_OK);
    EXPECT_EQ(meshorch_operation_state(op.get()), MESHORCH_STATE_ROLLED_BACK);
    EXPECT_EQ(meshorch_operation_result(op.get()), MESHORCH_E_CANCELLED);
    EXPECT_EQ(last_detail().at("code").as_string(), "cancelled");
    EXPECT_EQ(meshorch_operation_cancel(op.get()), MESHORCH_OK)
        << "cancel after the end is a no-op";
    EXPECT_TRUE(snapshot(orch.get()).at("empty").as_bool()) << "the rollback removed everything";
}

TEST(CapiSim, SuspendStopsWithoutUndoingAndRefusesNewOperations) {
    auto orch = make_sim(/*latency_ms=*/20);
    auto op = start_deploy(orch.get());
    EXPECT_EQ(meshorch_operation_wait(op.get(), 100), MESHORCH_E_TIMEOUT);
    meshorch_orchestrator_suspend(orch.get());
    ASSERT_EQ(meshorch_operation_wait(op.get(), 0), MESHORCH_OK) << "suspend waits for the stop";
    EXPECT_EQ(meshorch_operation_state(op.get()), MESHORCH_STATE_FAILED);
    EXPECT_EQ(meshorch_operation_result(op.get()), MESHORCH_E_CANCELLED);
    EXPECT_FALSE(snapshot(orch.get()).at("empty").as_bool()) << "nothing was undone";
    meshorch_operation* again = nullptr;
    EXPECT_EQ(meshorch_terminate(&again, orch.get(), "shop"), MESHORCH_E_CANCELLED);
    meshorch_orchestrator_suspend(orch.get());  // idempotent
    meshorch_orchestrator_suspend(nullptr);
}

TEST(CapiSim, BackendFailureRollsBackWithTheError) {
    auto orch = make_sim();
    ASSERT_EQ(meshorch_sim_script_fault(orch.get(), "vnf_instantiate", 1, "rejected", "cart", 1),
              MESHORCH_OK);
    auto op = start_deploy(orch.get());
    ASSERT_EQ(meshorch_operation_wait(op.get(), 60000), MESHORCH_OK);
    const int rc = meshorch_operation_result(op.get());
    EXPECT_LT(rc, 0);
    EXPECT_EQ(meshorch_error_last()->code, rc);
    EXPECT_STRNE(meshorch_error_last()->message, "");
    const int state = meshorch_operation_state(op.get());
    EXPECT_TRUE(state == MESHORCH_STATE_ROLLED_BACK || state == MESHORCH_STATE_FAILED) << state;

    Text status;
    ASSERT_EQ(meshorch_service_status(status.out(), orch.get(), "shop"), MESHORCH_OK);
    EXPECT_FALSE(status.json().at("message").as_string().empty()) << status.str();

    // Clearing the faults lets the next deploy through.
    ASSERT_EQ(meshorch_sim_clear_faults(orch.get()), MESHORCH_OK);
    auto again = start_deploy(orch.get());
    expect_succeeds(again.get());
}

TEST(CapiSim, ScriptFaultRejectsUnknownNames) {
    auto orch = make_sim();
    EXPECT_EQ(meshorch_sim_script_fault(orch.get(), "vnf_explode", 1, "rejected", nullptr, 1),
              MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_sim_script_fault(orch.get(), "k8s_apply", 1, "gremlins", nullptr, 1),
              MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_sim_script_fault(orch.get(), "k8s_apply", 0, "rejected", nullptr, 1),
              MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_sim_script_fault(orch.get(), "k8s_apply", 1, "rejected", nullptr, 0),
              MESHORCH_E_INVALID_ARGUMENT);
}

struct DoneRecord {
    std::atomic<int> calls{0};
    std::string id;
    int state = -1;
};

void on_done(const meshorch_operation* op, void* payload) {
    auto* r = static_cast<DoneRecord*>(payload);
    r->id = meshorch_operation_id(op);
    r->state = meshorch_operation_state(op);
    r->calls.fetch_add(1);
}

TEST(CapiSim, OnDoneRunsOnceAndAtOnceWhenAlreadyDone) {
    auto orch = make_sim(/*latency_ms=*/5);
    auto op = start_deploy(orch.get());
    DoneRecord before;
    ASSERT_EQ(meshorch_operation_on_done(op.get(), &on_done, &before), MESHORCH_OK);
    expect_succeeds(op.get());
    for (int i = 0; i < 200 && before.calls.load() == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(before.calls.load(), 1);
    EXPECT_EQ(before.id, meshorch_operation_id(op.get()));
    EXPECT_EQ(before.state, MESHORCH_STATE_SUCCEEDED);

    DoneRecord after;
    ASSERT_EQ(meshorch_operation_on_done(op.get(), &on_done, &after), MESHORCH_OK);
    EXPECT_EQ(after.calls.load(), 1) << "already ended: called at once";
    EXPECT_EQ(meshorch_operation_on_done(op.get(), nullptr, nullptr), MESHORCH_E_INVALID_ARGUMENT);
}

TEST(CapiSim, OperationGetFindsAnOperationById) {
    auto orch = make_sim();
    auto op = start_deploy(orch.get());
    expect_succeeds(op.get());
    meshorch_operation* again = nullptr;
    ASSERT_EQ(meshorch_operation_get(&again, orch.get(), meshorch_operation_id(op.get())),
              MESHORCH_OK);
    OpPtr guard(again);
    EXPECT_STREQ(meshorch_operation_id(again), meshorch_operation_id(op.get()));
    EXPECT_EQ(meshorch_operation_result(again), MESHORCH_OK);
    meshorch_operation* none = nullptr;
    EXPECT_EQ(meshorch_operation_get(&none, orch.get(), "no-such-operation"), MESHORCH_E_NOT_FOUND);
    EXPECT_EQ(none, nullptr);
}

TEST(CapiSim, OperationHandlesOutliveTheOrchestrator) {
    auto orch = make_sim(/*latency_ms=*/20);
    auto op = start_deploy(orch.get());
    orch.reset();  // cancels and waits
    EXPECT_TRUE(meshorch_operation_state_is_terminal(meshorch_operation_state(op.get())));
    EXPECT_EQ(meshorch_operation_wait(op.get(), 0), MESHORCH_OK);
    EXPECT_NE(meshorch_operation_result(op.get()), MESHORCH_E_BUSY);
}

// ---- events -------------------------------------------------------------------------------------

struct Unsubscriber {
    meshorch_orchestrator* orch = nullptr;
    meshorch_subscription_id id = 0;
    std::atomic<int> calls{0};
    std::atomic<int> unsubscribe_rc{1};
};

void unsubscribe_self(const meshorch_event*, void* payload) {
    auto* u = static_cast<Unsubscriber*>(payload);
    if (u->calls.fetch_add(1) == 0) u->unsubscribe_rc = meshorch_unsubscribe(u->orch, u->id);
}

// ---- the caller's executor -----------------------------------------------------------------

// An application's event loop in C terms: a queue of tasks and the one thread that runs them.
struct CLoop {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<meshorch_task*> tasks;
    bool stopping = false;
    std::size_t ran = 0;
    std::thread thread{[this] { run(); }};

    static void post(void* context, meshorch_task* task) {
        auto* self = static_cast<CLoop*>(context);
        std::lock_guard lock(self->mutex);
        self->tasks.push_back(task);
        self->ready.notify_one();
    }
    void run() {
        std::unique_lock lock(mutex);
        for (;;) {
            ready.wait(lock, [&] { return stopping || !tasks.empty(); });
            if (stopping) return;
            meshorch_task* task = tasks.front();
            tasks.pop_front();
            lock.unlock();
            meshorch_task_run(task);
            lock.lock();
            ++ran;
        }
    }
    ~CLoop() {
        {
            std::lock_guard lock(mutex);
            stopping = true;
            ready.notify_one();
        }
        thread.join();
        for (meshorch_task* task : tasks) meshorch_task_drop(task);
    }
};

void note_thread(const meshorch_event*, void* payload) {
    auto* seen = static_cast<std::pair<std::mutex, std::set<std::thread::id>>*>(payload);
    std::lock_guard lock(seen->first);
    seen->second.insert(std::this_thread::get_id());
}

TEST(CapiExecutor, OperationsAndEventsRunOnThePostedTasks) {
    CLoop loop;
    meshorch_orchestrator_options opts = MESHORCH_ORCHESTRATOR_OPTIONS_INIT;
    opts.post = &CLoop::post;
    opts.post_context = &loop;
    meshorch_orchestrator* raw = nullptr;
    ASSERT_EQ(meshorch_orchestrator_create_sim(&raw, &opts), MESHORCH_OK)
        << meshorch_error_last()->message;
    OrchPtr orch(raw);
    std::pair<std::mutex, std::set<std::thread::id>> seen;
    meshorch_subscription_id sub = 0;
    ASSERT_EQ(meshorch_subscribe(&sub, orch.get(), &note_thread, &seen), MESHORCH_OK);

    auto deploy = start_deploy(orch.get());
    expect_succeeds(deploy.get());
    meshorch_operation* op = nullptr;
    ASSERT_EQ(meshorch_terminate(&op, orch.get(), "shop"), MESHORCH_OK);
    OpPtr terminate(op);
    expect_succeeds(terminate.get());
    EXPECT_TRUE(snapshot(orch.get()).at("empty").as_bool());
    {
        std::lock_guard lock(seen.first);
        EXPECT_EQ(seen.second, std::set<std::thread::id>{loop.thread.get_id()});
    }
    {
        std::lock_guard lock(loop.mutex);
        EXPECT_GT(loop.ran, 20u);
    }
    orch.reset();  // while the loop runs: the destructor waits for its tasks
}

TEST(CapiExecutor, DropAndRunAcceptNull) {
    meshorch_task_run(nullptr);
    meshorch_task_drop(nullptr);
}

TEST(CapiEvents, CallbackMayUnsubscribeItself) {
    auto orch = make_sim();
    Unsubscriber u;
    u.orch = orch.get();
    ASSERT_EQ(meshorch_subscribe(&u.id, orch.get(), &unsubscribe_self, &u), MESHORCH_OK);
    auto op = start_deploy(orch.get());
    expect_succeeds(op.get());
    EXPECT_EQ(u.unsubscribe_rc.load(), MESHORCH_OK);
    EXPECT_EQ(u.calls.load(), 1) << "no event after unsubscribing";
}

TEST(CapiEvents, NoEventAfterUnsubscribeReturns) {
    auto orch = make_sim(/*latency_ms=*/2);
    Collector events;
    meshorch_subscription_id sub = 0;
    ASSERT_EQ(meshorch_subscribe(&sub, orch.get(), &Collector::callback, &events), MESHORCH_OK);
    auto op = start_deploy(orch.get());
    while (events.copy().empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_EQ(meshorch_unsubscribe(orch.get(), sub), MESHORCH_OK);
    const auto seen = events.copy().size();
    expect_succeeds(op.get());
    EXPECT_EQ(events.copy().size(), seen);
}

TEST(CapiEvents, SeveralSubscribersEachGetEveryEvent) {
    auto orch = make_sim();
    Collector a, b;
    meshorch_subscription_id ia = 0, ib = 0;
    ASSERT_EQ(meshorch_subscribe(&ia, orch.get(), &Collector::callback, &a), MESHORCH_OK);
    ASSERT_EQ(meshorch_subscribe(&ib, orch.get(), &Collector::callback, &b), MESHORCH_OK);
    EXPECT_NE(ia, ib);
    auto op = start_deploy(orch.get());
    expect_succeeds(op.get());
    // The last events may still be on their way when wait() returns: destroy delivers them.
    orch.reset();
    EXPECT_EQ(a.copy().size(), b.copy().size());
    EXPECT_FALSE(a.copy().empty());
}

// ---- bad arguments ------------------------------------------------------------------------------

TEST(CapiArguments, NullHandlesAreInvalidArgumentsNotCrashes) {
    meshorch_operation* op = nullptr;
    char* text = nullptr;
    meshorch_subscription_id sub = 0;
    EXPECT_EQ(meshorch_deploy(nullptr, nullptr, shop_spec), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_deploy(&op, nullptr, shop_spec), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_reconfigure(&op, nullptr, shop_spec), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_terminate(&op, nullptr, "shop"), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_operation_get(&op, nullptr, "x"), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_operation_wait(nullptr, 0), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_operation_state(nullptr), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_operation_kind(nullptr), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_operation_result(nullptr), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_operation_cancel(nullptr), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_operation_on_done(nullptr, &on_done, nullptr), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_operation_id(nullptr), nullptr);
    EXPECT_EQ(meshorch_operation_service(nullptr), nullptr);
    meshorch_operation_destroy(nullptr);
    EXPECT_EQ(meshorch_service_status(&text, nullptr, "shop"), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_service_status(nullptr, nullptr, "shop"), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_services(&text, nullptr), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_subscribe(&sub, nullptr, &Collector::callback, nullptr),
              MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_unsubscribe(nullptr, 1), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_sim_snapshot(&text, nullptr), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_sim_clear_faults(nullptr), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(text, nullptr);

    auto orch = make_sim();
    EXPECT_EQ(meshorch_deploy(&op, orch.get(), nullptr), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_terminate(&op, orch.get(), nullptr), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_subscribe(&sub, orch.get(), nullptr, nullptr), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_subscribe(nullptr, orch.get(), &Collector::callback, nullptr),
              MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_unsubscribe(orch.get(), 0), MESHORCH_E_NOT_FOUND);
    EXPECT_EQ(meshorch_service_status(&text, orch.get(), nullptr), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(meshorch_operation_get(&op, orch.get(), nullptr), MESHORCH_E_INVALID_ARGUMENT);
    EXPECT_EQ(op, nullptr);
}

TEST(CapiArguments, NamesOfStates) {
    EXPECT_STREQ(meshorch_operation_state_name(MESHORCH_STATE_PENDING), "Pending");
    EXPECT_STREQ(meshorch_operation_state_name(MESHORCH_STATE_SUCCEEDED), "Succeeded");
    EXPECT_STREQ(meshorch_operation_state_name(MESHORCH_STATE_ROLLED_BACK), "RolledBack");
    EXPECT_STREQ(meshorch_operation_state_name(-3), "Unknown");
    EXPECT_STREQ(meshorch_operation_state_name(12), "Unknown");
    EXPECT_STREQ(meshorch_workload_state_name(MESHORCH_WORKLOAD_IN_MESH), "InMesh");
    EXPECT_STREQ(meshorch_workload_state_name(99), "Unknown");
    EXPECT_STREQ(meshorch_operation_kind_name(MESHORCH_OPERATION_TERMINATE), "terminate");
    EXPECT_STREQ(meshorch_operation_kind_name(4), "Unknown");
    EXPECT_EQ(meshorch_operation_state_is_terminal(MESHORCH_STATE_SUCCEEDED), 1);
    EXPECT_EQ(meshorch_operation_state_is_terminal(MESHORCH_STATE_ROLLED_BACK), 1);
    EXPECT_EQ(meshorch_operation_state_is_terminal(MESHORCH_STATE_FAILED), 1);
    EXPECT_EQ(meshorch_operation_state_is_terminal(MESHORCH_STATE_ROLLING_BACK), 0);
    EXPECT_EQ(meshorch_operation_state_is_terminal(-1), 0);
}

// ---- the sample spec ----------------------------------------------------------------------------

TEST(CapiSample, BookinfoHybridDeploysAndTerminates) {
    const std::string path = MESHORCH_SOURCE_DIR "/examples/specs/bookinfo-hybrid.yaml";
    std::ifstream in(path);
    if (!in) GTEST_SKIP() << path << " is not there";
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    Text errors;
    ASSERT_EQ(meshorch_spec_validate(errors.out(), text.c_str()), MESHORCH_OK) << errors.str();
    auto orch = make_sim();
    auto op = start_deploy(orch.get(), text);
    expect_succeeds(op.get());
    meshorch_operation* raw = nullptr;
    ASSERT_EQ(meshorch_terminate(&raw, orch.get(), meshorch_operation_service(op.get())),
              MESHORCH_OK);
    OpPtr terminate(raw);
    expect_succeeds(terminate.get());
    EXPECT_TRUE(snapshot(orch.get()).at("empty").as_bool());
}

}  // namespace
