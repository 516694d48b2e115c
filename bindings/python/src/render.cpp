// render(): spec (+ observed VMs) -> the Kubernetes and Istio objects that should exist.
#include "common.hpp"

#include <meshorch/document.hpp>
#include <meshorch/render.hpp>
#include <meshorch/spec.hpp>

#include <pybind11/operators.h>

#include <boost/json/array.hpp>

namespace meshorch::python {
namespace {

std::string repr(const VmInstance& vm) {
    return "VmInstance(server_id=" + std::string(py::repr(py::str(vm.server_id))) +
           ", address=" + std::string(py::repr(py::str(vm.address))) + ")";
}

// {("reviews", "v1") | "reviews/v1": [VmInstance | {"server_id", "address"} | "10.0.0.5", ...]}
Observed observed_of(const py::handle& observed) {
    Observed out;
    if (observed.is_none()) return out;
    if (!py::isinstance<py::dict>(observed)) {
        throw py::type_error("observed must be a dict {(microservice, version): [VMs]}");
    }
    for (auto [key, vms] : observed.cast<py::dict>()) {
        std::pair<std::string, std::string> id;
        if (py::isinstance<py::tuple>(key) && py::len(key) == 2) {
            id = {key[py::int_(0)].cast<std::string>(), key[py::int_(1)].cast<std::string>()};
        } else if (py::isinstance<py::str>(key)) {
            const auto k = key.cast<std::string>();
            const auto slash = k.find('/');
            if (slash == std::string::npos) {
                raise(Errc::invalid_argument,
                      "observed: key \"" + k + "\" is not \"<microservice>/<version>\"");
            }
            id = {k.substr(0, slash), k.substr(slash + 1)};
        } else {
            throw py::type_error(
                "observed keys are (microservice, version) or 'microservice/version'");
        }
        auto& list = out.vms[id];
        for (auto vm : vms) {
            if (py::isinstance<VmInstance>(vm)) {
                list.push_back(vm.cast<VmInstance>());
            } else if (py::isinstance<py::str>(vm)) {
                list.push_back(VmInstance{"", vm.cast<std::string>()});
            } else if (py::isinstance<py::dict>(vm)) {
                auto d = vm.cast<py::dict>();
                VmInstance instance;
                if (d.contains("server_id"))
                    instance.server_id = d["server_id"].cast<std::string>();
                if (!d.contains("address"))
                    raise(Errc::invalid_argument, "observed: a VM needs an address");
                instance.address = d["address"].cast<std::string>();
                list.push_back(std::move(instance));
            } else {
                throw py::type_error("an observed VM is a VmInstance, a dict or an address string");
            }
        }
    }
    return out;
}

}  // namespace

void bind_render(py::module_& m) {
    py::class_<VmInstance>(m, "VmInstance",
                           "One VM the VNF manager reported for a version: its server id and the "
                           "address the mesh reaches it at.")
        .def(py::init([](std::string server_id, std::string address) {
                 return VmInstance{std::move(server_id), std::move(address)};
             }),
             py::kw_only(), py::arg("server_id") = "", py::arg("address") = "")
        .def_readwrite("server_id", &VmInstance::server_id, "e.g. the Nova server id")
        .def_readwrite("address", &VmInstance::address, "IPv4 or IPv6 address")
        .def(py::self == py::self)
        .def(
            "__hash__",
            [](const VmInstance& vm) { return py::hash(py::make_tuple(vm.server_id, vm.address)); })
        .def("__repr__", &repr);

    m.def(
        "render",
        [](py::handle spec, py::handle observed, py::handle format) -> py::object {
            const ServiceSpec s = spec_from(spec);
            const Observed o = observed_of(observed);
            std::string fmt = format.is_none() ? "" : format.cast<std::string>();
            if (!fmt.empty() && fmt != "yaml" && fmt != "json") {
                raise(Errc::invalid_argument,
                      "render: unknown format \"" + fmt + "\" (None, \"yaml\" or \"json\")");
            }
            std::vector<boost::json::value> manifests;
            std::string text;
            {
                py::gil_scoped_release release;
                manifests = render(s, o).manifests();
                if (fmt == "yaml") text = to_yaml_stream(manifests);
                if (fmt == "json") {
                    boost::json::array all(manifests.begin(), manifests.end());
                    text = to_pretty_json(all);
                }
            }
            if (!fmt.empty()) return py::str(text);
            py::list out;
            for (const auto& v : manifests) out.append(to_python(v));
            return out;
        },
        py::arg("spec"), py::arg("observed") = py::none(), py::arg("format") = py::none(),
        "The Kubernetes and Istio objects a spec stands for, in apply order (Namespace, "
        "ServiceAccounts, Services, WorkloadGroups, WorkloadEntries, DestinationRules, "
        "PeerAuthentication, AuthorizationPolicies, Sidecars, VirtualServices). Pure and "
        "deterministic.\n\n"
        "spec: a Spec, YAML/JSON text or a dict. observed: the VMs of each VM version, "
        "{(microservice, version) or 'microservice/version': [VmInstance | dict | address]}; "
        "each renders as a WorkloadEntry. format: None (a list of manifest dicts), 'yaml' (a "
        "multi-document YAML string, as kubectl apply -f - takes it) or 'json' (a JSON array "
        "string).");
}

}  // namespace meshorch::python
