// Orchestrators: options, the simulated and the real constructors, status and events.
#include "internal.hpp"

#include <meshorch/backends.hpp>
#include <meshorch/sim.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>

namespace meshorch::capi {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds sim_poll_interval{10};
constexpr milliseconds real_poll_interval{2000};

// Static so that the INIT macro and meshorch_orchestrator_options_init() cannot drift apart.
constexpr meshorch_orchestrator_options default_options = MESHORCH_ORCHESTRATOR_OPTIONS_INIT;

struct Settings {
    OrchestratorOptions engine;
    sim::Options sim;
};

// How much of the options struct a version has: a program built against an older header
// passes a shorter struct, which is read and written only that far.
std::size_t options_size(unsigned int version) {
    return version >= 2 ? sizeof(meshorch_orchestrator_options)
                        : offsetof(meshorch_orchestrator_options, post);
}

Result<Settings> read_options(const meshorch_orchestrator_options* in, bool simulated) {
    const unsigned int version = in != nullptr ? in->version : default_options.version;
    if (version == 0 || version > MESHORCH_ORCHESTRATOR_OPTIONS_VERSION) {
        return make_error(Errc::invalid_argument,
                          "options: unknown version " + std::to_string(version) +
                              " (this library knows 1.." +
                              std::to_string(MESHORCH_ORCHESTRATOR_OPTIONS_VERSION) +
                              "; initialize with MESHORCH_ORCHESTRATOR_OPTIONS_INIT)");
    }
    // The fields of later versions keep their defaults.
    meshorch_orchestrator_options o = default_options;
    if (in != nullptr) std::memcpy(&o, in, options_size(version));
    std::vector<FieldError> problems;
    auto check = [&](bool good, const char* field, const char* reason) {
        if (!good) problems.push_back({field, reason, 0, 0});
    };
    check(o.threads >= 1, "threads", "must be at least 1");
    check(o.operation_deadline_ms > 0, "operation_deadline_ms", "must be positive");
    check(o.call_timeout_ms > 0, "call_timeout_ms", "must be positive");
    check(o.poll_interval_ms >= 0, "poll_interval_ms", "must not be negative");
    check(o.backoff_initial_ms >= 0, "backoff_initial_ms", "must not be negative");
    check(o.backoff_max_ms >= o.backoff_initial_ms, "backoff_max_ms",
          "must not be less than backoff_initial_ms");
    check(o.backoff_max_attempts >= 1, "backoff_max_attempts", "must be at least 1");
    check(o.post != nullptr || o.post_context == nullptr, "post_context",
          "is set but post is NULL");
    if (simulated) {
        check(o.sim_latency_ms >= 0, "sim_latency_ms", "must not be negative");
        check(o.sim_latency_jitter_ms >= 0, "sim_latency_jitter_ms", "must not be negative");
        check(!std::isnan(o.sim_fault_probability) && o.sim_fault_probability >= 0.0 &&
                  o.sim_fault_probability <= 1.0,
              "sim_fault_probability", "must be between 0 and 1");
        check(o.sim_lcm_duration_ms >= 0, "sim_lcm_duration_ms", "must not be negative");
        check(o.sim_pod_start_ms >= 0, "sim_pod_start_ms", "must not be negative");
    }
    if (!problems.empty()) {
        Error e = make_error(Errc::invalid_argument,
                             "options: " + problems.front().path + " " + problems.front().reason);
        e.fields = std::move(problems);
        return e;
    }

    Settings s;
    s.engine.threads = o.threads;
    s.engine.operation_deadline = milliseconds(o.operation_deadline_ms);
    s.engine.call_timeout = milliseconds(o.call_timeout_ms);
    s.engine.poll_interval = o.poll_interval_ms > 0 ? milliseconds(o.poll_interval_ms)
                             : simulated            ? sim_poll_interval
                                                    : real_poll_interval;
    s.engine.backoff.initial = milliseconds(o.backoff_initial_ms);
    s.engine.backoff.max = milliseconds(o.backoff_max_ms);
    s.engine.backoff.max_attempts = o.backoff_max_attempts;
    if (o.post != nullptr) {
        s.engine.executor = [post = o.post, context = o.post_context](std::function<void()> run) {
            post(context, new meshorch_task{std::move(run)});
        };
    }
    s.sim.seed = o.sim_seed;
    s.sim.default_latency.fixed = milliseconds(o.sim_latency_ms);
    s.sim.default_latency.jitter = milliseconds(o.sim_latency_jitter_ms);
    s.sim.fault_probability = o.sim_fault_probability;
    s.sim.lcm_duration = milliseconds(o.sim_lcm_duration_ms);
    s.sim.pod_start_time = milliseconds(o.sim_pod_start_ms);
    return s;
}

int not_simulated(const char* function) {
    return fail(MESHORCH_E_INVALID_ARGUMENT,
                std::string(function) +
                    ": the orchestrator is not simulated (use meshorch_orchestrator_create_sim)");
}

constexpr sim::CallKind all_calls[] = {
    sim::CallKind::vnf_create,        sim::CallKind::vnf_instantiate, sim::CallKind::vnf_scale,
    sim::CallKind::vnf_heal,          sim::CallKind::vnf_terminate,   sim::CallKind::vnf_delete,
    sim::CallKind::vnf_get_operation, sim::CallKind::vnf_get,         sim::CallKind::vnf_find,
    sim::CallKind::k8s_apply,         sim::CallKind::k8s_get,         sim::CallKind::k8s_list,
    sim::CallKind::k8s_remove,        sim::CallKind::k8s_token,       sim::CallKind::k8s_root_cert,
    sim::CallKind::k8s_readiness,     sim::CallKind::inject,          sim::CallKind::inject_refresh,
    sim::CallKind::inject_remove,     sim::CallKind::vnf_resolve,
};
constexpr sim::FaultKind all_faults[] = {
    sim::FaultKind::unavailable, sim::FaultKind::rate_limited, sim::FaultKind::conflict,
    sim::FaultKind::timeout,     sim::FaultKind::rejected,     sim::FaultKind::operation_failed,
    sim::FaultKind::never_boots,
};

template <class Enum, std::size_t N>
std::optional<Enum> enum_named(const Enum (&all)[N], const char* name) {
    for (Enum e : all) {
        if (std::strcmp(sim::to_string(e), name) == 0) return e;
    }
    return std::nullopt;
}

std::int64_t epoch_ms(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

boost::json::object status_json(const ServiceStatus& status) {
    boost::json::array workloads;
    for (const auto& w : status.workloads) {
        workloads.push_back(boost::json::object{
            {"microservice", w.id.microservice},
            {"version", w.id.version},
            {"instance", w.id.instance},
            {"substrate", to_string(w.substrate)},
            {"state", to_string(w.state)},
            {"vnf_id", w.vnf_id},
            {"server_id", w.server_id},
            {"address", w.address},
            {"message", w.message},
        });
    }
    return boost::json::object{
        {"name", status.name},
        {"namespace", status.namespace_},
        {"phase", to_string(status.phase)},
        {"last_operation",
         {{"id", status.last_operation_id},
          {"kind", to_string(status.last_operation_kind)},
          {"state", to_string(status.last_operation_state)}}},
        {"message", status.message},
        {"applied_objects", status.applied_objects},
        {"workloads", std::move(workloads)},
    };
}

}  // namespace meshorch::capi

// ---- subscriptions ---------------------------------------------------------------------------

void meshorch_capi_subscription::deliver(const meshorch::Event& event) noexcept {
    const auto me = std::this_thread::get_id();
    try {
        {
            std::lock_guard lock(mutex);
            if (!active) return;
            inside.push_back(me);
        }
        struct Leave {
            meshorch_capi_subscription& s;
            std::thread::id me;
            ~Leave() {
                {
                    std::lock_guard lock(s.mutex);
                    auto it = std::find(s.inside.begin(), s.inside.end(), me);
                    if (it != s.inside.end()) s.inside.erase(it);
                }
                s.left.notify_all();
            }
        } leave{*this, me};

        const std::string text = event.to_string();
        meshorch_event e{};
        e.type = static_cast<int>(event.type);
        e.time_ms = meshorch::capi::epoch_ms(event.time);
        e.operation_id = event.operation_id.c_str();
        e.service = event.service.c_str();
        e.operation_kind = static_cast<int>(event.operation_kind);
        e.operation_state = static_cast<int>(event.operation_state);
        e.microservice = nullptr;
        e.version = nullptr;
        e.instance = -1;
        e.workload_state = 0;
        if (event.workload) {
            e.microservice = event.workload->microservice.c_str();
            e.version = event.workload->version.c_str();
            e.instance = event.workload->instance;
            e.workload_state = static_cast<int>(event.workload_state);
        }
        e.message = event.message.c_str();
        e.text = text.c_str();
        cb(&e, payload);
    } catch (...) {
        // An event that cannot be delivered (out of memory) is dropped; the engine goes on.
    }
}

void meshorch_capi_subscription::deactivate() noexcept {
    const auto me = std::this_thread::get_id();
    std::unique_lock lock(mutex);
    active = false;
    left.wait(lock, [&] {
        return std::all_of(inside.begin(), inside.end(), [&](auto id) { return id == me; });
    });
}

using namespace meshorch::capi;
namespace json = boost::json;

extern "C" {

// ---- state names -----------------------------------------------------------------------------

MESHORCH_API const char* meshorch_operation_kind_name(int kind) {
    if (kind < MESHORCH_OPERATION_DEPLOY || kind > MESHORCH_OPERATION_HEAL) return "Unknown";
    return meshorch::to_string(static_cast<meshorch::OperationKind>(kind));
}

MESHORCH_API const char* meshorch_operation_state_name(int state) {
    if (state < MESHORCH_STATE_PENDING || state > MESHORCH_STATE_FAILED) return "Unknown";
    return meshorch::to_string(static_cast<meshorch::OperationState>(state));
}

MESHORCH_API const char* meshorch_workload_state_name(int state) {
    if (state < MESHORCH_WORKLOAD_PENDING || state > MESHORCH_WORKLOAD_FAILED) return "Unknown";
    return meshorch::to_string(static_cast<meshorch::WorkloadState>(state));
}

MESHORCH_API int meshorch_operation_state_is_terminal(int state) {
    if (state < MESHORCH_STATE_PENDING || state > MESHORCH_STATE_FAILED) return 0;
    return meshorch::is_terminal(static_cast<meshorch::OperationState>(state)) ? 1 : 0;
}

// ---- construction ----------------------------------------------------------------------------

MESHORCH_API void meshorch_task_run(meshorch_task* task) {
    std::unique_ptr<meshorch_task> owned(task);
    if (!owned) return;
    try {
        owned->run();
    } catch (...) {
        // The engine's steps report their own failures; nothing may unwind into C.
    }
}

MESHORCH_API void meshorch_task_drop(meshorch_task* task) {
    delete task;
}

MESHORCH_API int meshorch_orchestrator_options_init(meshorch_orchestrator_options* opts,
                                                    unsigned int version) {
    return guarded([&] {
        if (opts == nullptr) return null_argument("meshorch_orchestrator_options_init", "opts");
        if (version == 0 || version > MESHORCH_ORCHESTRATOR_OPTIONS_VERSION) {
            return fail(MESHORCH_E_INVALID_ARGUMENT,
                        "meshorch_orchestrator_options_init: unknown options version " +
                            std::to_string(version));
        }
        std::memcpy(opts, &default_options, options_size(version));
        opts->version = version;
        return succeed();
    });
}

MESHORCH_API int meshorch_orchestrator_create_sim(meshorch_orchestrator** out,
                                                  const meshorch_orchestrator_options* opts) {
    return guarded([&] {
        if (out == nullptr) return null_argument("meshorch_orchestrator_create_sim", "out");
        *out = nullptr;
        auto settings = read_options(opts, /*simulated=*/true);
        if (!settings) return fail(settings.error());
        auto handle = std::make_unique<meshorch_orchestrator>();
        handle->world = meshorch::sim::World::create(settings->sim);
        handle->engine =
            std::make_unique<meshorch::Orchestrator>(handle->world->backends(), settings->engine);
        *out = handle.release();
        return succeed();
    });
}

MESHORCH_API int meshorch_orchestrator_create(meshorch_orchestrator** out, const char* config_json,
                                              const meshorch_orchestrator_options* opts) {
    return guarded([&] {
        if (out == nullptr) return null_argument("meshorch_orchestrator_create", "out");
        *out = nullptr;
        if (config_json == nullptr) {
            return null_argument("meshorch_orchestrator_create", "config_json");
        }
        auto settings = read_options(opts, /*simulated=*/false);
        if (!settings) return fail(settings.error());
        auto config = meshorch::parse_backends_config(config_json);
        if (!config) return fail(config.error());
        config->apply_to(settings->engine);
        auto backends = meshorch::make_backends(*config);
        if (!backends) return fail(backends.error());
        auto handle = std::make_unique<meshorch_orchestrator>();
        handle->engine =
            std::make_unique<meshorch::Orchestrator>(std::move(*backends), settings->engine);
        *out = handle.release();
        return succeed();
    });
}

MESHORCH_API void meshorch_orchestrator_suspend(meshorch_orchestrator* orch) {
    if (orch == nullptr || !orch->engine) return;
    try {
        orch->engine->suspend();
    } catch (...) {
        // Stopping threads does not throw in practice; nothing sensible to report here.
    }
}

MESHORCH_API void meshorch_orchestrator_destroy(meshorch_orchestrator* orch) {
    if (orch == nullptr) return;
    try {
        // Cancels and waits for the running operations; their last events are delivered.
        orch->engine.reset();
        std::lock_guard lock(orch->subscriptions_mutex);
        for (auto& [id, s] : orch->subscriptions) s->deactivate();
        orch->subscriptions.clear();
    } catch (...) {
        // Nothing sensible to report from a destructor; the memory is released below.
    }
    delete orch;
}

// ---- status ----------------------------------------------------------------------------------

MESHORCH_API int meshorch_service_status(char** json_out, meshorch_orchestrator* orch,
                                         const char* service) {
    return guarded([&] {
        if (json_out == nullptr) return null_argument("meshorch_service_status", "json_out");
        *json_out = nullptr;
        if (orch == nullptr) return null_argument("meshorch_service_status", "orch");
        if (service == nullptr) return null_argument("meshorch_service_status", "service");
        auto status = orch->engine->status(service);
        if (!status) {
            return fail(MESHORCH_E_NOT_FOUND, std::string("service \"") + service +
                                                  "\" is not known to this orchestrator");
        }
        return give_json(json_out, status_json(*status));
    });
}

MESHORCH_API int meshorch_services(char** json_out, meshorch_orchestrator* orch) {
    return guarded([&] {
        if (json_out == nullptr) return null_argument("meshorch_services", "json_out");
        *json_out = nullptr;
        if (orch == nullptr) return null_argument("meshorch_services", "orch");
        json::array all;
        for (const auto& s : orch->engine->services()) all.push_back(status_json(s));
        return give_json(json_out, all);
    });
}

// ---- events ----------------------------------------------------------------------------------

MESHORCH_API int meshorch_subscribe(meshorch_subscription_id* out, meshorch_orchestrator* orch,
                                    meshorch_event_cb cb, void* payload) {
    return guarded([&] {
        if (out == nullptr) return null_argument("meshorch_subscribe", "out");
        *out = 0;
        if (orch == nullptr) return null_argument("meshorch_subscribe", "orch");
        if (cb == nullptr) return null_argument("meshorch_subscribe", "cb");
        auto s = std::make_shared<meshorch_capi_subscription>();
        s->cb = cb;
        s->payload = payload;
        // The engine is called without our lock held: a callback running on an engine thread
        // may itself be inside meshorch_subscribe/unsubscribe.
        s->engine_id =
            orch->engine->subscribe([s](const meshorch::Event& event) { s->deliver(event); });
        meshorch_subscription_id id = 0;
        try {
            std::lock_guard lock(orch->subscriptions_mutex);
            id = orch->next_subscription++;
            orch->subscriptions.emplace(id, s);
        } catch (...) {
            s->deactivate();
            orch->engine->unsubscribe(s->engine_id);
            throw;
        }
        *out = id;
        return succeed();
    });
}

MESHORCH_API int meshorch_unsubscribe(meshorch_orchestrator* orch, meshorch_subscription_id id) {
    return guarded([&] {
        if (orch == nullptr) return null_argument("meshorch_unsubscribe", "orch");
        std::shared_ptr<meshorch_capi_subscription> s;
        {
            std::lock_guard lock(orch->subscriptions_mutex);
            auto it = orch->subscriptions.find(id);
            if (it == orch->subscriptions.end()) {
                return fail(MESHORCH_E_NOT_FOUND,
                            "meshorch_unsubscribe: no subscription " + std::to_string(id));
            }
            s = it->second;
            orch->subscriptions.erase(it);
        }
        // Outside the lock: the callback may be inside meshorch_subscribe/unsubscribe itself.
        s->deactivate();
        orch->engine->unsubscribe(s->engine_id);
        return succeed();
    });
}

// ---- simulated infrastructure ----------------------------------------------------------------

MESHORCH_API int meshorch_sim_snapshot(char** json_out, meshorch_orchestrator* orch) {
    return guarded([&] {
        if (json_out == nullptr) return null_argument("meshorch_sim_snapshot", "json_out");
        *json_out = nullptr;
        if (orch == nullptr) return null_argument("meshorch_sim_snapshot", "orch");
        if (!orch->world) return not_simulated("meshorch_sim_snapshot");
        const meshorch::sim::Snapshot snap = orch->world->snapshot();
        json::array vnfs, vms, pods, objects, proxies;
        for (const auto& v : snap.vnfs) {
            vnfs.push_back(json::object{{"id", v.id},
                                        {"name", v.name},
                                        {"substrate", meshorch::to_string(v.substrate)},
                                        {"instantiated", v.instantiated},
                                        {"instances", v.instances}});
        }
        for (const auto& vm : snap.vms) {
            vms.push_back(json::object{{"server_id", vm.server_id}, {"address", vm.address}});
        }
        for (const auto& p : snap.pods) {
            json::object labels;
            for (const auto& [k, v] : p.labels) labels[k] = v;
            pods.push_back(json::object{{"namespace", p.namespace_},
                                        {"name", p.name},
                                        {"labels", std::move(labels)},
                                        {"ready", p.ready},
                                        {"has_proxy", p.has_proxy}});
        }
        for (auto& m : snap.objects.manifests()) objects.push_back(std::move(m));
        for (const auto& p : snap.proxies) {
            // The bundle holds the bootstrap token: only the file names leave the library.
            json::array files;
            for (const auto& [name, content] : p.bundle.files) files.push_back(json::value(name));
            proxies.push_back(json::object{{"server_id", p.vm.server_id},
                                           {"address", p.vm.address},
                                           {"microservice", p.microservice},
                                           {"version", p.version},
                                           {"files", std::move(files)}});
        }
        return give_json(json_out, json::object{{"empty", snap.empty()},
                                                {"vnfs", std::move(vnfs)},
                                                {"vms", std::move(vms)},
                                                {"pods", std::move(pods)},
                                                {"objects", std::move(objects)},
                                                {"proxies", std::move(proxies)}});
    });
}

MESHORCH_API int meshorch_sim_script_fault(meshorch_orchestrator* orch, const char* call, int nth,
                                           const char* fault, const char* match, int repeat) {
    return guarded([&] {
        if (orch == nullptr) return null_argument("meshorch_sim_script_fault", "orch");
        if (call == nullptr) return null_argument("meshorch_sim_script_fault", "call");
        if (fault == nullptr) return null_argument("meshorch_sim_script_fault", "fault");
        if (!orch->world) return not_simulated("meshorch_sim_script_fault");
        const auto call_kind = enum_named(all_calls, call);
        if (!call_kind) {
            return fail(MESHORCH_E_INVALID_ARGUMENT,
                        std::string("meshorch_sim_script_fault: unknown call \"") + call + "\"");
        }
        const auto fault_kind = enum_named(all_faults, fault);
        if (!fault_kind) {
            return fail(MESHORCH_E_INVALID_ARGUMENT,
                        std::string("meshorch_sim_script_fault: unknown fault \"") + fault + "\"");
        }
        if (nth < 1 || repeat < 1) {
            return fail(MESHORCH_E_INVALID_ARGUMENT,
                        "meshorch_sim_script_fault: nth and repeat must be at least 1");
        }
        meshorch::sim::ScriptedFault f;
        f.call = *call_kind;
        f.nth = nth;
        f.fault = *fault_kind;
        f.match = match != nullptr ? match : "";
        f.repeat = repeat;
        orch->world->script(std::move(f));
        return succeed();
    });
}

MESHORCH_API int meshorch_sim_clear_faults(meshorch_orchestrator* orch) {
    return guarded([&] {
        if (orch == nullptr) return null_argument("meshorch_sim_clear_faults", "orch");
        if (!orch->world) return not_simulated("meshorch_sim_clear_faults");
        orch->world->clear_faults();
        orch->world->set_fault_probability(0.0);
        return succeed();
    });
}

}  // extern "C"
