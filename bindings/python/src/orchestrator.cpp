// Orchestrator, Operation, ServiceStatus, Subscription and the simulated World.
//
// GIL rules: every call into the library that can block or take a lock runs with the GIL
// released; callbacks from library threads take it (SharedCallable). The orchestrator is
// destroyed with the GIL released (its destructor waits for operations whose last events need
// the GIL), and every live orchestrator is closed at interpreter exit, before finalization.
#include "common.hpp"

#include <meshorch/backends.hpp>
#include <meshorch/orchestrator.hpp>
#include <meshorch/sim.hpp>
#include <meshorch/state.hpp>

#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace meshorch::python {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// ---- the orchestrator handle -----------------------------------------------------------------

class PyOrchestrator {
public:
    PyOrchestrator(std::shared_ptr<sim::World> world, std::shared_ptr<Orchestrator> engine)
        : world_(std::move(world)), engine_(std::move(engine)) {}
    ~PyOrchestrator() { close(); }
    PyOrchestrator(const PyOrchestrator&) = delete;
    PyOrchestrator& operator=(const PyOrchestrator&) = delete;

    // The engine, or InvalidArgumentError once closed. Needs the GIL.
    std::shared_ptr<Orchestrator> engine() const {
        std::shared_ptr<Orchestrator> e;
        {
            std::lock_guard lock(mutex_);
            e = engine_;
        }
        if (!e) raise(Errc::invalid_argument, "the orchestrator is closed");
        return e;
    }

    // f(Orchestrator&) with the GIL released; the engine reference is dropped before the GIL is
    // taken back, so a concurrent close() never destroys the engine while holding the GIL.
    template <class F>
    auto call(F&& f) const {
        auto e = engine();
        py::gil_scoped_release release;
        auto result = f(*e);
        e.reset();
        return result;
    }

    // Cancels running operations and waits for them (GIL released). Idempotent.
    void close() noexcept {
        std::shared_ptr<Orchestrator> e;
        {
            std::lock_guard lock(mutex_);
            e = std::move(engine_);
        }
        if (!e) return;
        if (PyGILState_Check() != 0) {
            py::gil_scoped_release release;
            e.reset();
        } else {
            e.reset();
        }
    }

    bool closed() const {
        std::lock_guard lock(mutex_);
        return engine_ == nullptr;
    }

    const std::shared_ptr<sim::World>& world() const { return world_; }

private:
    std::shared_ptr<sim::World> world_;
    mutable std::mutex mutex_;
    std::shared_ptr<Orchestrator> engine_;
};

// Every live orchestrator, closed at interpreter exit (atexit runs before finalization, while
// library threads may still take the GIL to deliver their last events).
std::mutex registry_mutex;
std::vector<std::weak_ptr<PyOrchestrator>> registry;

void remember(const std::shared_ptr<PyOrchestrator>& o) {
    std::lock_guard lock(registry_mutex);
    registry.erase(
        std::remove_if(registry.begin(), registry.end(), [](const auto& w) { return w.expired(); }),
        registry.end());
    registry.push_back(o);
}

void close_all() {
    std::vector<std::shared_ptr<PyOrchestrator>> live;
    {
        std::lock_guard lock(registry_mutex);
        for (auto& w : registry) {
            if (auto o = w.lock()) live.push_back(std::move(o));
        }
        registry.clear();
    }
    for (auto& o : live) o->close();
}

// ---- subscriptions ---------------------------------------------------------------------------

struct SubscriptionState {
    std::atomic<bool> active{true};
};

class PySubscription {
public:
    PySubscription(std::weak_ptr<PyOrchestrator> orch, SubscriptionId id,
                   std::shared_ptr<SubscriptionState> state)
        : orch_(std::move(orch)), id_(id), state_(std::move(state)) {}

    // With the GIL held, no callback starts after `active` turns false: they check it under
    // the GIL.
    void cancel() {
        if (!state_->active.exchange(false)) return;
        if (auto o = orch_.lock(); o && !o->closed()) {
            o->call([&](Orchestrator& e) {
                e.unsubscribe(id_);
                return 0;
            });
        }
    }
    bool active() const { return state_->active.load(); }
    SubscriptionId id() const { return id_; }

private:
    std::weak_ptr<PyOrchestrator> orch_;
    SubscriptionId id_;
    std::shared_ptr<SubscriptionState> state_;
};

// ---- operations ------------------------------------------------------------------------------

// Waits in slices so that Ctrl-C (KeyboardInterrupt) gets through; true when it ended.
bool wait(const Operation& op, std::optional<double> timeout_s) {
    const auto start = steady_clock::now();
    const auto limit = timeout_s ? std::chrono::duration_cast<steady_clock::duration>(
                                       std::chrono::duration<double>(std::max(0.0, *timeout_s)))
                                 : steady_clock::duration::max();
    for (;;) {
        auto slice = milliseconds(100);
        if (timeout_s) {
            const auto left = limit - (steady_clock::now() - start);
            slice =
                std::clamp(std::chrono::duration_cast<milliseconds>(left), milliseconds(0), slice);
        }
        bool done = false;
        {
            py::gil_scoped_release release;
            done = op.wait_for(slice);
        }
        if (done) return true;
        if (PyErr_CheckSignals() != 0) throw py::error_already_set();
        if (timeout_s && steady_clock::now() - start >= limit) return false;
    }
}

OperationState state_of(const Operation& op) {
    py::gil_scoped_release release;
    return op.state();
}

void result(const Operation& op, std::optional<double> timeout_s) {
    if (!wait(op, timeout_s)) {
        raise(Errc::timeout, "operation " + op.id() + " on " + op.service() + " is still " +
                                 to_string(state_of(op)) + " after " +
                                 std::to_string(timeout_s.value_or(0.0)) + " s");
    }
    Status r = [&] {
        py::gil_scoped_release release;
        return op.result();
    }();
    if (!r) raise(std::move(r).error());
}

std::string repr(const Operation& op) {
    return "<Operation " + op.id() + ": " + to_string(op.kind()) + " " + op.service() + ", " +
           to_string(state_of(op)) + ">";
}

// ---- status ----------------------------------------------------------------------------------

bool same(const WorkloadStatus& a, const WorkloadStatus& b) {
    return a.id == b.id && a.substrate == b.substrate && a.state == b.state &&
           a.vnf_id == b.vnf_id && a.server_id == b.server_id && a.address == b.address &&
           a.message == b.message;
}

bool same(const ServiceStatus& a, const ServiceStatus& b) {
    return a.name == b.name && a.namespace_ == b.namespace_ && a.phase == b.phase &&
           a.last_operation_id == b.last_operation_id &&
           a.last_operation_kind == b.last_operation_kind &&
           a.last_operation_state == b.last_operation_state && a.message == b.message &&
           a.applied_objects == b.applied_objects &&
           std::equal(a.workloads.begin(), a.workloads.end(), b.workloads.begin(),
                      b.workloads.end(), [](const auto& x, const auto& y) { return same(x, y); });
}

// ---- the simulated world ---------------------------------------------------------------------

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

// An enum given as the enum or as its name ("vnf_instantiate").
template <class Enum, std::size_t N>
Enum enum_from(py::handle value, const Enum (&all)[N], const char* what) {
    if (py::isinstance<py::str>(value)) {
        const auto name = value.cast<std::string>();
        for (Enum e : all) {
            if (name == sim::to_string(e)) return e;
        }
        raise(Errc::invalid_argument, std::string("unknown ") + what + " \"" + name + "\"");
    }
    return value.cast<Enum>();
}

void check_probability(double p, const char* name) {
    if (std::isnan(p) || p < 0.0 || p > 1.0) {
        raise(Errc::invalid_argument, std::string(name) + " must be between 0 and 1");
    }
}

milliseconds non_negative_ms(std::int64_t ms, const char* name) {
    if (ms < 0) raise(Errc::invalid_argument, std::string(name) + " must not be negative");
    return milliseconds(ms);
}

// A Python callable as the engine's executor (OrchestratorOptions::executor): executor(run) is
// called, with the GIL, for every step, and must call run() later on a thread of its own, as
// asyncio's loop.call_soon_threadsafe does. run() lets go of the GIL while the step runs.
TaskExecutor python_executor(const py::object& executor) {
    if (executor.is_none()) return {};
    if (PyCallable_Check(executor.ptr()) == 0) {
        raise(Errc::invalid_argument,
              "executor must be callable with one argument (e.g. loop.call_soon_threadsafe)");
    }
    // Let go of with the GIL, on whichever thread the engine goes away.
    std::shared_ptr<py::object> held(new py::object(executor), [](py::object* o) {
        py::gil_scoped_acquire acquire;
        delete o;
    });
    return [held](std::function<void()> task) {
        py::gil_scoped_acquire acquire;
        auto step = std::make_shared<std::function<void()>>(std::move(task));
        py::cpp_function run([step] {
            std::function<void()> once = std::exchange(*step, nullptr);  // a second call: no-op
            if (!once) return;
            py::gil_scoped_release release;
            once();
        });
        try {
            (*held)(run);
        } catch (py::error_already_set& e) {
            e.discard_as_unraisable("meshorch: the executor did not take a step");
        }
    };
}

}  // namespace

void bind_orchestrator(py::module_& m) {
    // ---- enums and records of the simulation ----
    auto call_kind =
        py::enum_<sim::CallKind>(m, "CallKind", "Every kind of backend call of the simulation.");
    for (auto c : all_calls) call_kind.value(sim::to_string(c), c);
    auto fault_kind = py::enum_<sim::FaultKind>(
        m, "FaultKind",
        "How a simulated call fails: unavailable, rate_limited, conflict (transient: retried), "
        "timeout, rejected (terminal), operation_failed (the LCM op ends FAILED_TEMP), "
        "never_boots (a VM never gets an address).");
    for (auto f : all_faults) fault_kind.value(sim::to_string(f), f);

    py::enum_<ServicePhase>(m, "ServicePhase", "Where a service stands.")
        .value("deploying", ServicePhase::deploying)
        .value("ready", ServicePhase::ready)
        .value("reconfiguring", ServicePhase::reconfiguring)
        .value("terminating", ServicePhase::terminating)
        .value("terminated", ServicePhase::terminated)
        .value("failed", ServicePhase::failed)
        .def_property_readonly(
            "label", [](ServicePhase p) { return to_string(p); }, "'Deploying', 'Ready', ...");

    py::class_<sim::VnfRecord>(m, "VnfRecord", "A VNF in the simulated VNF manager.")
        .def_readonly("id", &sim::VnfRecord::id, "VNF instance id.")
        .def_readonly("name", &sim::VnfRecord::name,
                      "VNF name: <service>-<microservice>-<version>.")
        .def_readonly("substrate", &sim::VnfRecord::substrate, "Substrate: vm or container.")
        .def_readonly("instantiated", &sim::VnfRecord::instantiated, "True once instantiated.")
        .def_readonly("instances", &sim::VnfRecord::instances, "VMs or pod replicas.")
        .def("__repr__", [](const sim::VnfRecord& v) {
            return "<VnfRecord " + v.name + " (" + v.id + "): " + to_string(v.substrate) + " x" +
                   std::to_string(v.instances) + (v.instantiated ? ", instantiated" : "") + ">";
        });
    py::class_<sim::PodRecord>(m, "PodRecord", "A pod in the simulated cluster.")
        .def_readonly("namespace", &sim::PodRecord::namespace_, "Kubernetes namespace.")
        .def_readonly("name", &sim::PodRecord::name, "Pod name.")
        .def_readonly("labels", &sim::PodRecord::labels, "Pod labels (app, version...).")
        .def_readonly("ready", &sim::PodRecord::ready, "True when the pod is ready.")
        .def_readonly("has_proxy", &sim::PodRecord::has_proxy,
                      "True when it carries an istio-proxy.")
        .def("__repr__", [](const sim::PodRecord& p) {
            return "<PodRecord " + p.namespace_ + "/" + p.name + (p.ready ? " ready" : "") +
                   (p.has_proxy ? " +proxy" : "") + ">";
        });
    py::class_<sim::ProxyRecord>(m, "ProxyRecord", "An Istio proxy injected on a simulated VM.")
        .def_readonly("vm", &sim::ProxyRecord::vm, "The VM (VmInstance).")
        .def_readonly("microservice", &sim::ProxyRecord::microservice, "Microservice of the VM.")
        .def_readonly("version", &sim::ProxyRecord::version, "Version of the VM.")
        .def_property_readonly(
            "bundle", [](const sim::ProxyRecord& p) { return p.bundle.files; },
            "The bootstrap files delivered to the VM: {file name: content}.")
        .def("__repr__", [](const sim::ProxyRecord& p) {
            return "<ProxyRecord " + p.microservice + "/" + p.version + " on " + p.vm.address + ">";
        });
    py::class_<sim::Snapshot>(m, "Snapshot", "Everything the simulated infrastructure holds.")
        .def_readonly("vnfs", &sim::Snapshot::vnfs, "list of VnfRecord")
        .def_readonly("vms", &sim::Snapshot::vms, "list of VmInstance")
        .def_readonly("pods", &sim::Snapshot::pods, "list of PodRecord")
        .def_readonly("proxies", &sim::Snapshot::proxies, "list of ProxyRecord")
        .def_property_readonly(
            "objects",
            [](const sim::Snapshot& s) {
                py::list out;
                for (const auto& v : s.objects.manifests()) out.append(to_python(v));
                return out;
            },
            "Every Kubernetes/Istio object in the cluster, as manifest dicts in apply order.")
        .def_property_readonly("empty", &sim::Snapshot::empty,
                               "True when nothing is left: no VNF, VM, pod, object or proxy.")
        .def("__repr__", [](const sim::Snapshot& s) {
            return "<Snapshot " + std::to_string(s.vnfs.size()) + " vnfs, " +
                   std::to_string(s.vms.size()) + " vms, " + std::to_string(s.pods.size()) +
                   " pods, " + std::to_string(s.objects.size()) + " objects, " +
                   std::to_string(s.proxies.size()) + " proxies>";
        });

    py::class_<sim::World, std::shared_ptr<sim::World>>(
        m, "World",
        "The in-process simulation of every backend (VNF manager, Kubernetes cluster, VM sidecar "
        "injector), with latency and fault injection. Thread-safe.")
        .def_static(
            "create",
            [](std::uint64_t seed, std::int64_t latency_ms, std::int64_t jitter_ms,
               double fault_probability, std::int64_t lcm_duration_ms, std::int64_t pod_start_ms) {
                check_probability(fault_probability, "fault_probability");
                sim::Options o;
                o.seed = seed;
                o.default_latency = {non_negative_ms(latency_ms, "latency_ms"),
                                     non_negative_ms(jitter_ms, "jitter_ms")};
                o.fault_probability = fault_probability;
                o.lcm_duration = non_negative_ms(lcm_duration_ms, "lcm_duration_ms");
                o.pod_start_time = non_negative_ms(pod_start_ms, "pod_start_ms");
                py::gil_scoped_release release;
                return sim::World::create(o);
            },
            py::kw_only(), py::arg("seed") = 1, py::arg("latency_ms") = 0, py::arg("jitter_ms") = 0,
            py::arg("fault_probability") = 0.0, py::arg("lcm_duration_ms") = 0,
            py::arg("pod_start_ms") = 0,
            "A new simulated infrastructure (give it to Orchestrator.simulated(world=...)).")
        .def(
            "snapshot",
            [](const sim::World& w) {
                py::gil_scoped_release release;
                return w.snapshot();
            },
            "Everything the simulation holds now (a Snapshot).")
        .def(
            "script",
            [](sim::World& w, py::handle call, int nth, py::handle fault, std::string match,
               int repeat) {
                if (nth < 1 || repeat < 1) {
                    raise(Errc::invalid_argument, "nth and repeat must be at least 1");
                }
                sim::ScriptedFault f;
                f.call = enum_from(call, all_calls, "call");
                f.fault = enum_from(fault, all_faults, "fault");
                f.nth = nth;
                f.match = std::move(match);
                f.repeat = repeat;
                py::gil_scoped_release release;
                w.script(std::move(f));
            },
            py::arg("call"), py::arg("nth") = 1, py::arg("fault") = sim::FaultKind::unavailable,
            py::arg("match") = "", py::arg("repeat") = 1,
            "Makes the nth call of kind `call` (CallKind or its name) whose target contains "
            "`match` fail with `fault` (FaultKind or its name), `repeat` times in a row.")
        .def(
            "clear_faults",
            [](sim::World& w) {
                py::gil_scoped_release release;
                w.clear_faults();
            },
            "Removes every scripted fault.")
        .def(
            "set_fault_probability",
            [](sim::World& w, double p) {
                check_probability(p, "probability");
                py::gil_scoped_release release;
                w.set_fault_probability(p);
            },
            py::arg("probability"), "Chance in [0, 1] that a call fails transiently.")
        .def(
            "set_latency",
            [](sim::World& w, py::handle call, std::int64_t fixed_ms, std::int64_t jitter_ms) {
                const auto c = enum_from(call, all_calls, "call");
                sim::Latency l{non_negative_ms(fixed_ms, "fixed_ms"),
                               non_negative_ms(jitter_ms, "jitter_ms")};
                py::gil_scoped_release release;
                w.set_latency(c, l);
            },
            py::arg("call"), py::arg("fixed_ms"), py::arg("jitter_ms") = 0,
            "Latency of one kind of call: fixed plus a uniform extra in [0, jitter].")
        .def(
            "fail_vm",
            [](sim::World& w, const std::string& server_id) {
                py::gil_scoped_release release;
                w.fail_vm(server_id);
            },
            py::arg("server_id"), "Breaks a running VM (its proxy stops).")
        .def(
            "preload",
            [](sim::World& w, const py::dict& manifest) {
                auto value = from_python(manifest);
                Object o = make_object(std::move(value.as_object()));
                py::gil_scoped_release release;
                w.preload(o);
            },
            py::arg("manifest"),
            "Puts an object meshorch did not create into the cluster (e.g. a namespace).")
        .def(
            "call_counts",
            [](const sim::World& w) {
                std::map<sim::CallKind, std::uint64_t> counts;
                {
                    py::gil_scoped_release release;
                    counts = w.call_counts();
                }
                py::dict out;
                for (const auto& [k, n] : counts) out[py::str(sim::to_string(k))] = n;
                return out;
            },
            "How many calls of each kind the backends got: {'vnf_create': 3, ...}.")
        .def(
            "reset_call_counts",
            [](sim::World& w) {
                py::gil_scoped_release release;
                w.reset_call_counts();
            },
            "Sets every call count back to 0.");

    // ---- status ----
    py::class_<WorkloadStatus>(m, "WorkloadStatus", "The state of one workload of a service.")
        .def_readonly("id", &WorkloadStatus::id, "WorkloadId")
        .def_property_readonly(
            "microservice", [](const WorkloadStatus& w) { return w.id.microservice; },
            "Microservice name.")
        .def_property_readonly(
            "version", [](const WorkloadStatus& w) { return w.id.version; }, "Version name.")
        .def_property_readonly(
            "instance", [](const WorkloadStatus& w) { return w.id.instance; },
            "VM index; 0 for containers.")
        .def_readonly("substrate", &WorkloadStatus::substrate, "Substrate")
        .def_readonly("state", &WorkloadStatus::state, "WorkloadState")
        .def_readonly("vnf_id", &WorkloadStatus::vnf_id, "VNF instance id.")
        .def_readonly("server_id", &WorkloadStatus::server_id, "VMs: the server id")
        .def_readonly("address", &WorkloadStatus::address, "VMs: the address")
        .def_readonly("message", &WorkloadStatus::message, "why it failed")
        .def(
            "__eq__", [](const WorkloadStatus& a, const WorkloadStatus& b) { return same(a, b); },
            py::is_operator())
        .def("__repr__",
             [](const WorkloadStatus& w) {
                 return "<WorkloadStatus " + w.id.to_string() + " " + to_string(w.substrate) + " " +
                        to_string(w.state) + (w.address.empty() ? "" : " at " + w.address) + ">";
             })
        .attr("__hash__") = py::none();

    py::class_<ServiceStatus>(m, "ServiceStatus", "Where a service stands, workload by workload.")
        .def_readonly("name", &ServiceStatus::name, "Service name.")
        .def_readonly("namespace", &ServiceStatus::namespace_, "Kubernetes namespace.")
        .def_readonly("phase", &ServiceStatus::phase, "ServicePhase")
        .def_readonly("last_operation_id", &ServiceStatus::last_operation_id,
                      "Id of the latest operation.")
        .def_readonly("last_operation_kind", &ServiceStatus::last_operation_kind,
                      "OperationKind of the latest operation.")
        .def_readonly("last_operation_state", &ServiceStatus::last_operation_state,
                      "OperationState of the latest operation.")
        .def_readonly("message", &ServiceStatus::message,
                      "why it failed, what remains after a failed rollback")
        .def_readonly("workloads", &ServiceStatus::workloads, "list of WorkloadStatus")
        .def_readonly("applied_objects", &ServiceStatus::applied_objects,
                      "how many Kubernetes/Istio objects meshorch has applied")
        .def(
            "__eq__", [](const ServiceStatus& a, const ServiceStatus& b) { return same(a, b); },
            py::is_operator())
        .def("__repr__",
             [](const ServiceStatus& s) {
                 return "<ServiceStatus " + s.name + ": " + to_string(s.phase) + ", " +
                        std::to_string(s.workloads.size()) + " workloads, last " +
                        to_string(s.last_operation_kind) + " " + to_string(s.last_operation_state) +
                        ">";
             })
        .attr("__hash__") = py::none();

    // ---- operations ----
    py::class_<Operation>(m, "Operation",
                          "A running or finished deploy / reconfigure / terminate / heal. Await "
                          "it in asyncio code (await op), or wait() / result() from threads.")
        .def_property_readonly(
            "id", [](const Operation& op) { return op.id(); }, "Unique operation id.")
        .def_property_readonly(
            "kind", [](const Operation& op) { return op.kind(); }, "OperationKind")
        .def_property_readonly(
            "service", [](const Operation& op) { return op.service(); },
            "Name of the service it acts on.")
        .def_property_readonly("state", &state_of, "The current OperationState.")
        .def_property_readonly(
            "done",
            [](const Operation& op) {
                py::gil_scoped_release release;
                return op.done();
            },
            "True once the operation has ended.")
        .def("wait", &wait, py::arg("timeout") = py::none(),
             "Blocks (without the GIL) until the operation ends or `timeout` seconds pass; True "
             "when it ended. Ctrl-C interrupts it.")
        .def("result", &result, py::arg("timeout") = py::none(),
             "Waits like wait(), then returns None if the operation succeeded or raises the error "
             "that ended it (a meshorch.Error subclass: BackendError, CancelledError...). Raises "
             "TimeoutError when `timeout` seconds pass first.")
        .def(
            "exception",
            [](const Operation& op, std::optional<double> timeout) -> py::object {
                try {
                    result(op, timeout);
                } catch (py::error_already_set& e) {
                    if (e.matches(
                            py::module_::import(module_name().c_str()).attr("TimeoutError")) &&
                        !op.done()) {
                        throw;
                    }
                    return e.value();
                }
                return py::none();
            },
            py::arg("timeout") = py::none(),
            "Waits like wait(), then returns the error that ended the operation (None if it "
            "succeeded).")
        .def(
            "cancel",
            [](const Operation& op) {
                py::gil_scoped_release release;
                op.cancel();
            },
            "Asks the operation to stop; it rolls back what it did and ends rolled_back. Returns "
            "at once.")
        .def(
            "on_done",
            [](const Operation& op, py::function fn) {
                SharedCallable cb(std::move(fn));
                py::gil_scoped_release release;
                op.on_done([cb](const Operation& done) { cb(Operation(done)); });
            },
            py::arg("callback"),
            "Calls callback(operation) once when it ends, on a library thread (at once if it "
            "already has). Exceptions it raises go to sys.unraisablehook.")
        .def(
            "__eq__", [](const Operation& a, const Operation& b) { return a.id() == b.id(); },
            py::is_operator())
        .def("__hash__", [](const Operation& op) { return py::hash(py::str(op.id())); })
        .def("__repr__", &repr);

    py::class_<PySubscription>(m, "Subscription",
                               "A registered event callback; cancel() (or leaving a with block) "
                               "stops it.")
        .def_property_readonly("id", &PySubscription::id, "The subscription id.")
        .def_property_readonly("active", &PySubscription::active, "False once cancelled.")
        .def("cancel", &PySubscription::cancel,
             "Stops the callback: once this returns it is not called again. Idempotent.")
        .def("__enter__", [](py::object self) { return self; })
        .def("__exit__",
             [](PySubscription& s, py::handle, py::handle, py::handle) {
                 s.cancel();
                 return false;
             })
        .def("__repr__", [](const PySubscription& s) {
            return "<Subscription " + std::to_string(s.id()) +
                   (s.active() ? " active" : " cancelled") + ">";
        });

    // ---- the orchestrator ----
    py::class_<PyOrchestrator, std::shared_ptr<PyOrchestrator>>(
        m, "Orchestrator",
        "Runs deploy / reconfigure / terminate operations on services and reports every step as "
        "an event. Thread-safe. Use as a context manager, or call close().\n\n"
        "Orchestrator.simulated() runs on the in-process simulation; Orchestrator.connect() on "
        "real Kubernetes, Tacker and VMs.")
        .def_static(
            "connect",
            [](py::object config, const std::string& base_dir, int threads,
               std::int64_t poll_interval_ms, std::int64_t operation_deadline_ms,
               std::int64_t call_timeout_ms, const py::object& executor) {
                if (threads < 1) raise(Errc::invalid_argument, "threads must be at least 1");
                if (operation_deadline_ms <= 0 || call_timeout_ms <= 0) {
                    raise(Errc::invalid_argument,
                          "operation_deadline_ms and call_timeout_ms must be positive");
                }
                // A mapping is taken as the document itself; a string as its JSON/YAML text.
                std::string text =
                    py::isinstance<py::str>(config)
                        ? config.cast<std::string>()
                        : py::module_::import("json").attr("dumps")(config).cast<std::string>();
                OrchestratorOptions options;
                options.threads = threads;
                options.poll_interval = non_negative_ms(poll_interval_ms, "poll_interval_ms");
                options.operation_deadline = milliseconds(operation_deadline_ms);
                options.call_timeout = milliseconds(call_timeout_ms);
                options.executor = python_executor(executor);
                std::shared_ptr<PyOrchestrator> out;
                {
                    py::gil_scoped_release release;
                    auto parsed = parse_backends_config(text, base_dir);
                    if (!parsed) {
                        py::gil_scoped_acquire acquire;
                        raise(parsed.error());
                    }
                    parsed->apply_to(options);
                    auto backends = make_backends(*parsed);
                    if (!backends) {
                        py::gil_scoped_acquire acquire;
                        raise(backends.error());
                    }
                    auto engine = std::make_shared<Orchestrator>(std::move(*backends), options);
                    out = std::make_shared<PyOrchestrator>(nullptr, std::move(engine));
                }
                remember(out);
                return out;
            },
            py::arg("config"), py::kw_only(), py::arg("base_dir") = "", py::arg("threads") = 2,
            py::arg("poll_interval_ms") = 2000, py::arg("operation_deadline_ms") = 30 * 60 * 1000,
            py::arg("call_timeout_ms") = 60 * 1000, py::arg("executor") = py::none(),
            "An orchestrator on real backends. config: the backend configuration (a dict, or "
            "its JSON/YAML text; see include/meshorch/backends.hpp): kubernetes (kubeconfig), "
            "tacker (Keystone URL, credentials, VIM ids), injector (SSH settings). Relative file "
            "names are relative to base_dir. Nothing is contacted until the first operation. "
            "executor: run every step and event callback through executor(run), which must "
            "call run() later on a thread of its own (e.g. loop.call_soon_threadsafe); "
            "threads is then unused. "
            "Raises InvalidArgumentError listing every problem with its path.")
        .def_static(
            "simulated",
            [](std::int64_t latency_ms, std::int64_t jitter_ms, double fault_probability,
               std::uint64_t seed, int threads, std::int64_t poll_interval_ms,
               std::int64_t operation_deadline_ms, std::int64_t call_timeout_ms,
               std::int64_t lcm_duration_ms, std::int64_t pod_start_ms,
               std::int64_t backoff_initial_ms, std::int64_t backoff_max_ms,
               int backoff_max_attempts, std::shared_ptr<sim::World> world,
               const py::object& executor) {
                check_probability(fault_probability, "fault_probability");
                if (threads < 1) raise(Errc::invalid_argument, "threads must be at least 1");
                if (backoff_max_attempts < 1) {
                    raise(Errc::invalid_argument, "backoff_max_attempts must be at least 1");
                }
                if (operation_deadline_ms <= 0 || call_timeout_ms <= 0) {
                    raise(Errc::invalid_argument,
                          "operation_deadline_ms and call_timeout_ms must be positive");
                }
                OrchestratorOptions options;
                options.threads = threads;
                options.poll_interval = non_negative_ms(poll_interval_ms, "poll_interval_ms");
                options.operation_deadline = milliseconds(operation_deadline_ms);
                options.call_timeout = milliseconds(call_timeout_ms);
                options.backoff.initial = non_negative_ms(backoff_initial_ms, "backoff_initial_ms");
                options.backoff.max = non_negative_ms(backoff_max_ms, "backoff_max_ms");
                options.backoff.max_attempts = backoff_max_attempts;
                options.executor = python_executor(executor);
                sim::Options so;
                so.seed = seed;
                so.default_latency = {non_negative_ms(latency_ms, "latency_ms"),
                                      non_negative_ms(jitter_ms, "jitter_ms")};
                so.fault_probability = fault_probability;
                so.lcm_duration = non_negative_ms(lcm_duration_ms, "lcm_duration_ms");
                so.pod_start_time = non_negative_ms(pod_start_ms, "pod_start_ms");
                std::shared_ptr<PyOrchestrator> out;
                {
                    py::gil_scoped_release release;
                    if (!world) world = sim::World::create(so);
                    auto engine = std::make_shared<Orchestrator>(world->backends(), options);
                    out = std::make_shared<PyOrchestrator>(world, std::move(engine));
                }
                remember(out);
                return out;
            },
            py::kw_only(), py::arg("latency_ms") = 0, py::arg("jitter_ms") = 0,
            py::arg("fault_probability") = 0.0, py::arg("seed") = 1, py::arg("threads") = 2,
            py::arg("poll_interval_ms") = 10, py::arg("operation_deadline_ms") = 30 * 60 * 1000,
            py::arg("call_timeout_ms") = 60 * 1000, py::arg("lcm_duration_ms") = 0,
            py::arg("pod_start_ms") = 0, py::arg("backoff_initial_ms") = 200,
            py::arg("backoff_max_ms") = 30 * 1000, py::arg("backoff_max_attempts") = 12,
            py::arg("world") = nullptr, py::arg("executor") = py::none(),
            "An orchestrator on the in-process simulation of every backend (for tests, demos "
            "and test harnesses). latency_ms/jitter_ms: latency of every backend call; "
            "fault_probability: chance a call fails transiently; seed: makes jitter and faults "
            "repeatable; lcm_duration_ms/pod_start_ms: how long VNF operations and VMs/pods take. "
            "world: run on an existing World (its own settings apply). The world is .world. "
            "executor: as in connect().")
        .def_property_readonly(
            "world", [](const PyOrchestrator& o) { return o.world(); },
            "The simulated World (None for real backends).")
        .def(
            "deploy",
            [](const PyOrchestrator& o, py::handle spec) {
                const ServiceSpec s = spec_from(spec);
                return unwrap(o.call([&](Orchestrator& e) { return e.deploy(s); }));
            },
            py::arg("spec"),
            "Starts deploying a service (spec: Spec, YAML/JSON text or dict) and returns its "
            "Operation at once. Raises SpecError/ParseError for a bad spec, BusyError when "
            "another operation runs on the service.")
        .def(
            "reconfigure",
            [](const PyOrchestrator& o, py::handle spec) {
                const ServiceSpec s = spec_from(spec);
                return unwrap(o.call([&](Orchestrator& e) { return e.reconfigure(s); }));
            },
            py::arg("spec"),
            "Starts changing a deployed service to a new spec: only what differs, make before "
            "break, rolled back if a step fails. Returns the Operation.")
        .def(
            "terminate",
            [](const PyOrchestrator& o, const std::string& service) {
                return unwrap(o.call([&](Orchestrator& e) { return e.terminate(service); }));
            },
            py::arg("service"),
            "Starts removing everything meshorch created for a service. Returns the Operation; "
            "NotFoundError for an unknown service.")
        .def(
            "heal",
            [](const PyOrchestrator& o, const std::string& service, const WorkloadId& workload) {
                return unwrap(o.call([&](Orchestrator& e) { return e.heal(service, workload); }));
            },
            py::arg("service"), py::arg("workload"),
            "Re-creates or re-injects one workload (a VM whose proxy or VNFC failed).")
        .def(
            "suspend",
            [](const PyOrchestrator& o) {
                o.call([](Orchestrator& e) {
                    e.suspend();
                    return 0;
                });
            },
            "Stops without undoing: running operations stop at their next step and keep their "
            "journal in the durable store; an orchestrator connected later to the same store "
            "finishes them under the same ids. Only status queries work afterwards.")
        .def(
            "status",
            [](const PyOrchestrator& o, const std::string& service) {
                auto s = o.call([&](Orchestrator& e) { return e.status(service); });
                if (!s) {
                    raise(Errc::not_found,
                          "service \"" + service + "\" is not known to this orchestrator");
                }
                return *s;
            },
            py::arg("service"), "The ServiceStatus of a service; NotFoundError if unknown.")
        .def(
            "services",
            [](const PyOrchestrator& o) {
                return o.call([](Orchestrator& e) { return e.services(); });
            },
            "The ServiceStatus of every service this orchestrator knows.")
        .def(
            "operation",
            [](const PyOrchestrator& o, const std::string& id) {
                return o.call([&](Orchestrator& e) { return e.operation(id); });
            },
            py::arg("operation_id"), "The Operation with this id, or None.")
        .def(
            "subscribe",
            [](const std::shared_ptr<PyOrchestrator>& o, py::function callback) {
                auto state = std::make_shared<SubscriptionState>();
                SharedCallable cb(std::move(callback));
                const SubscriptionId id = o->call([&](Orchestrator& e) {
                    return e.subscribe([state, cb](const Event& event) {
                        if (finalizing() || !state->active.load()) return;
                        py::gil_scoped_acquire gil;
                        if (!state->active.load()) return;  // cancelled while we waited
                        cb(Event(event));
                    });
                });
                return PySubscription(o, id, state);
            },
            py::arg("callback"),
            "Calls callback(event) for every Event of every operation from now on, on a library "
            "thread with the GIL held (keep it short). Returns a Subscription; cancel() it or use "
            "it as a context manager. For an iterator, see events().")
        .def("close", &PyOrchestrator::close,
             "Cancels running operations, waits for them to roll back, and releases the "
             "backends. Idempotent; later calls raise InvalidArgumentError.")
        .def_property_readonly("closed", &PyOrchestrator::closed, "True after close().")
        .def("__enter__", [](py::object self) { return self; })
        .def("__exit__",
             [](PyOrchestrator& o, py::handle, py::handle, py::handle) {
                 o.close();
                 return false;
             })
        .def("__repr__", [](const PyOrchestrator& o) {
            return std::string("<Orchestrator ") + (o.world() ? "simulated" : "real") +
                   (o.closed() ? ", closed" : "") + ">";
        });

    // Close every orchestrator before the interpreter finalizes (see the top of this file).
    py::module_::import("atexit").attr("register")(py::cpp_function(&close_all));
}

}  // namespace meshorch::python
