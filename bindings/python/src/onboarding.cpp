// Onboarding one VM into the mesh outside an orchestrator operation (meshorch/vm_onboarding.hpp):
// the port handles Cluster and SidecarInjector, OnboardingOptions, onboard_vm and offboard_vm.
// For a VNF manager's hooks (examples/tacker_mgmt_driver).
//
// Port handles come from a simulated World (World.cluster_port(), World.injector_port()) or from
// the real adapters (connect_ports(): Kubernetes API and SSH injector from the backend
// configuration); both are the same two classes, each holding a shared_ptr to the C++ port.
//
// GIL: onboard_vm and offboard_vm run on a helper thread while the calling thread waits without
// the GIL and checks for signals, so Ctrl-C cancels the call (KeyboardInterrupt once the ports
// have answered the cancel).
#include "common.hpp"

#include <meshorch/backends.hpp>
#include <meshorch/ports.hpp>
#include <meshorch/sim.hpp>
#include <meshorch/vm_onboarding.hpp>

#include <pybind11/operators.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <future>
#include <optional>
#include <string>

namespace meshorch::python {
namespace {

using std::chrono::milliseconds;

// Seconds from Python -> a positive duration, or InvalidArgumentError naming the argument.
template <class Duration>
Duration positive_seconds(double seconds, const char* name) {
    if (std::isnan(seconds) || seconds <= 0.0 || seconds > 1e9) {
        raise(Errc::invalid_argument, std::string(name) + " must be a positive number of seconds");
    }
    return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
}

std::string quoted(const std::string& s) {
    return std::string(py::repr(py::str(s)));
}

std::string repr(const OnboardingOptions& o) {
    return "OnboardingOptions(token_lifetime=" + std::to_string(o.token_lifetime.count()) +
           ", call_timeout=" + std::to_string(o.call_timeout.count() / 1000.0) +
           ", istiod_address=" + quoted(o.istiod_address) + ", cluster_id=" + quoted(o.cluster_id) +
           ", mesh_id=" + quoted(o.mesh_id) + ", network=" + quoted(o.network) +
           ", backoff_max_attempts=" + std::to_string(o.backoff.max_attempts) + ")";
}

bool same(const OnboardingOptions& a, const OnboardingOptions& b) {
    return a.token_lifetime == b.token_lifetime && a.call_timeout == b.call_timeout &&
           a.backoff.initial == b.backoff.initial && a.backoff.max == b.backoff.max &&
           a.backoff.multiplier == b.backoff.multiplier &&
           a.backoff.max_attempts == b.backoff.max_attempts &&
           a.istiod_address == b.istiod_address && a.cluster_id == b.cluster_id &&
           a.mesh_id == b.mesh_id && a.network == b.network;
}

// A VM given as a VmInstance or a dict {"server_id": ..., "address": ...}.
VmInstance vm_from(py::handle vm) {
    if (py::isinstance<VmInstance>(vm)) return vm.cast<VmInstance>();
    if (py::isinstance<py::dict>(vm)) {
        auto d = vm.cast<py::dict>();
        VmInstance out;
        if (d.contains("server_id")) out.server_id = d["server_id"].cast<std::string>();
        if (d.contains("address")) out.address = d["address"].cast<std::string>();
        return out;
    }
    throw py::type_error("vm must be a VmInstance or a dict {'server_id': ..., 'address': ...}");
}

template <class Port>
std::shared_ptr<Port> port_from(const std::shared_ptr<Port>& port, const char* name) {
    if (!port) raise(Errc::invalid_argument, std::string(name) + " must not be None");
    return port;
}

// Runs `call(ctx)` on a helper thread with a deadline `timeout_s` from now, waiting without the
// GIL; a pending signal (Ctrl-C) cancels the call and is raised once it has stopped.
template <class T>
Result<T> run_blocking(std::function<Result<T>(const CallContext&)> call, double timeout_s) {
    CallContext ctx;
    ctx.deadline = Clock::now() + positive_seconds<milliseconds>(timeout_s, "timeout");
    CancelSource cancel;
    ctx.cancel = cancel.token();
    ctx.operation_id = "python";
    std::future<Result<T>> pending;
    {
        py::gil_scoped_release release;
        pending =
            std::async(std::launch::async, [call = std::move(call), ctx] { return call(ctx); });
    }
    for (;;) {
        bool ready = false;
        {
            py::gil_scoped_release release;
            ready = pending.wait_for(milliseconds(100)) == std::future_status::ready;
        }
        if (ready) break;
        if (PyErr_CheckSignals() != 0) {
            cancel.cancel();
            {
                py::gil_scoped_release release;
                pending.wait();
            }
            throw py::error_already_set();
        }
    }
    py::gil_scoped_release release;
    return pending.get();
}

}  // namespace

void bind_onboarding(py::module_& m) {
    py::class_<Cluster, std::shared_ptr<Cluster>>(
        m, "Cluster",
        "A handle on a Kubernetes cluster port (the API server of the mesh), as onboard_vm and "
        "offboard_vm take it. Obtained from World.cluster_port() for the simulation; the real "
        "adapter's handle is the same class.")
        .def("__repr__", [](const Cluster& c) {
            return "<meshorch.Cluster port at " +
                   std::to_string(reinterpret_cast<std::uintptr_t>(&c)) + ">";
        });
    py::class_<SidecarInjector, std::shared_ptr<SidecarInjector>>(
        m, "SidecarInjector",
        "A handle on a VM sidecar injector port (puts the Istio proxy on a VM), as onboard_vm and "
        "offboard_vm take it. Obtained from World.injector_port() for the simulation; the real "
        "adapter's handle (SSH) is the same class.")
        .def("__repr__", [](const SidecarInjector& i) {
            return "<meshorch.SidecarInjector port at " +
                   std::to_string(reinterpret_cast<std::uintptr_t>(&i)) + ">";
        });

    // The simulation's ports, on the World class bound in orchestrator.cpp.
    auto world = py::reinterpret_borrow<py::class_<sim::World, std::shared_ptr<sim::World>>>(
        m.attr("World"));
    world
        .def(
            "cluster_port",
            [](sim::World& w) {
                py::gil_scoped_release release;
                return w.cluster();
            },
            "The simulated Kubernetes cluster as a Cluster port (for onboard_vm / offboard_vm).")
        .def(
            "injector_port",
            [](sim::World& w) {
                py::gil_scoped_release release;
                return w.injector();
            },
            "The simulated VM sidecar injector as a SidecarInjector port.");

    m.def(
        "connect_ports",
        [](py::object config, const std::string& base_dir) {
            // A mapping is taken as the document itself; a string as its JSON/YAML text.
            const std::string text =
                py::isinstance<py::str>(config)
                    ? config.cast<std::string>()
                    : py::module_::import("json").attr("dumps")(config).cast<std::string>();
            Result<Backends> backends = make_error(Errc::internal, "not connected");
            OrchestratorOptions mesh;
            {
                py::gil_scoped_release release;
                auto parsed = parse_backends_config(text, base_dir);
                if (parsed) {
                    parsed->apply_to(mesh);
                    backends = make_backends(*parsed);
                } else {
                    backends = std::move(parsed).error();
                }
            }
            Backends b = unwrap(std::move(backends));
            return py::make_tuple(b.cluster, b.injector, onboarding_options(mesh));
        },
        py::arg("config"), py::kw_only(), py::arg("base_dir") = "",
        "The real ports from the backend configuration (a dict, or its JSON/YAML text; see "
        "include/meshorch/backends.hpp, the same document as Orchestrator.connect takes): "
        "returns (Cluster, SidecarInjector, OnboardingOptions with the configuration's mesh "
        "settings). Relative file names are relative to base_dir. Nothing is contacted yet. "
        "Raises InvalidArgumentError listing every problem with its path.");

    py::class_<OnboardingOptions>(
        m, "OnboardingOptions",
        "Settings of onboard_vm / offboard_vm: the first token's lifetime, the per-call timeout, "
        "retries of transient errors, and the mesh settings of the VM bootstrap bundle (the "
        "orchestrator's defaults).")
        .def(py::init([](double token_lifetime, double call_timeout, std::string istiod_address,
                         std::string cluster_id, std::string mesh_id, std::string network,
                         int backoff_max_attempts, double backoff_initial, double backoff_max) {
                 if (backoff_max_attempts < 1) {
                     raise(Errc::invalid_argument, "backoff_max_attempts must be at least 1");
                 }
                 OnboardingOptions o;
                 o.token_lifetime =
                     positive_seconds<std::chrono::seconds>(token_lifetime, "token_lifetime");
                 o.call_timeout = positive_seconds<milliseconds>(call_timeout, "call_timeout");
                 o.istiod_address = std::move(istiod_address);
                 o.cluster_id = std::move(cluster_id);
                 o.mesh_id = std::move(mesh_id);
                 o.network = std::move(network);
                 o.backoff.max_attempts = backoff_max_attempts;
                 o.backoff.initial =
                     positive_seconds<milliseconds>(backoff_initial, "backoff_initial");
                 o.backoff.max = positive_seconds<milliseconds>(backoff_max, "backoff_max");
                 return o;
             }),
             py::kw_only(), py::arg("token_lifetime") = 3600.0, py::arg("call_timeout") = 60.0,
             py::arg("istiod_address") = OnboardingOptions{}.istiod_address,
             py::arg("cluster_id") = OnboardingOptions{}.cluster_id,
             py::arg("mesh_id") = OnboardingOptions{}.mesh_id, py::arg("network") = "",
             py::arg("backoff_max_attempts") = OnboardingOptions{}.backoff.max_attempts,
             py::arg("backoff_initial") = 0.2, py::arg("backoff_max") = 30.0,
             "Durations in seconds.")
        .def_property_readonly(
            "token_lifetime",
            [](const OnboardingOptions& o) {
                return static_cast<double>(o.token_lifetime.count());
            },
            "Lifetime of the VM proxy's first token, seconds.")
        .def_property_readonly(
            "call_timeout",
            [](const OnboardingOptions& o) { return o.call_timeout.count() / 1000.0; },
            "Timeout of one backend call, seconds.")
        .def_readonly("istiod_address", &OnboardingOptions::istiod_address,
                      "discoveryAddress of the bundle (host:port).")
        .def_readonly("cluster_id", &OnboardingOptions::cluster_id, "ISTIO_META_CLUSTER_ID.")
        .def_readonly("mesh_id", &OnboardingOptions::mesh_id, "ISTIO_META_MESH_ID.")
        .def_readonly("network", &OnboardingOptions::network,
                      "Istio network of the VMs ('' = the same network).")
        .def_property_readonly(
            "backoff_max_attempts",
            [](const OnboardingOptions& o) { return o.backoff.max_attempts; },
            "Attempts per step for transient errors.")
        .def(
            "__eq__",
            [](const OnboardingOptions& a, const OnboardingOptions& b) { return same(a, b); },
            py::is_operator())
        .def("__repr__", &repr)
        .attr("__hash__") = py::none();

    m.def(
        "workload_entry_name",
        [](const std::string& microservice, const std::string& version, int instance) {
            return workload_entry_name(microservice, version, instance);
        },
        py::arg("microservice"), py::arg("version"), py::arg("instance"),
        "'<microservice>-<version>-<instance>': the WorkloadEntry of that VM.");

    m.def(
        "onboard_vm",
        [](py::handle spec, const std::string& microservice, const std::string& version,
           py::handle vm, int instance, const std::shared_ptr<Cluster>& cluster,
           const std::shared_ptr<SidecarInjector>& injector,
           std::optional<OnboardingOptions> options, double timeout) {
            const ServiceSpec s = spec_from(spec);
            const VmInstance target = vm_from(vm);
            auto c = port_from(cluster, "cluster");
            auto i = port_from(injector, "injector");
            const OnboardingOptions o = options.value_or(OnboardingOptions{});
            auto stored = run_blocking<Object>(
                [s, microservice, version, target, instance, c, i, o](const CallContext& ctx) {
                    return onboard_vm(s, microservice, version, target, instance, *c, *i, o, ctx);
                },
                timeout);
            return to_python(boost::json::value(unwrap(std::move(stored)).manifest.get()));
        },
        py::arg("spec"), py::arg("microservice"), py::arg("version"), py::arg("vm"),
        py::arg("instance"), py::arg("cluster"), py::arg("injector"),
        py::arg("options") = py::none(), py::arg("timeout") = 300.0,
        "Puts one VM of a VM version into the mesh, as the orchestrator's deploy does: token for "
        "ServiceAccount <microservice> (audience istio-ca), bootstrap bundle, proxy installed and "
        "ready (injector), THEN WorkloadEntry '<microservice>-<version>-<instance>' applied. "
        "Returns the WorkloadEntry as stored (dict). Idempotent. spec: Spec, YAML/JSON text or "
        "dict; vm: VmInstance or {'server_id', 'address'}; timeout: seconds for the whole call. "
        "Raises InvalidArgumentError for a version that is not a VM version of the spec, and the "
        "failing step's error otherwise (nothing is written to the cluster then).");

    m.def(
        "offboard_vm",
        [](py::handle spec, const std::string& microservice, const std::string& version,
           py::handle vm, int instance, const std::shared_ptr<Cluster>& cluster,
           const std::shared_ptr<SidecarInjector>& injector,
           std::optional<OnboardingOptions> options, double timeout) {
            const ServiceSpec s = spec_from(spec);
            const VmInstance target = vm_from(vm);
            auto c = port_from(cluster, "cluster");
            auto i = port_from(injector, "injector");
            const OnboardingOptions o = options.value_or(OnboardingOptions{});
            auto done = run_blocking<Ok>(
                [s, microservice, version, target, instance, c, i, o](const CallContext& ctx) {
                    return offboard_vm(s, microservice, version, target, instance, *c, *i, o, ctx);
                },
                timeout);
            unwrap(std::move(done));
        },
        py::arg("spec"), py::arg("microservice"), py::arg("version"), py::arg("vm"),
        py::arg("instance"), py::arg("cluster"), py::arg("injector"),
        py::arg("options") = py::none(), py::arg("timeout") = 300.0,
        "Takes one VM out of the mesh: deletes its WorkloadEntry first (traffic stops), then "
        "removes the proxy. An entry or VM that is gone already is success.");
}

}  // namespace meshorch::python
