// States, events and the identity of workloads: what subscribe() callbacks receive.
#include "common.hpp"

#include <meshorch/state.hpp>

#include <pybind11/operators.h>

#include <chrono>

namespace meshorch::python {
namespace {

double epoch_seconds(std::chrono::system_clock::time_point t) {
    return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::string repr(const WorkloadId& id) {
    return "WorkloadId(microservice=" + std::string(py::repr(py::str(id.microservice))) +
           ", version=" + std::string(py::repr(py::str(id.version))) +
           ", instance=" + std::to_string(id.instance) + ")";
}

bool same(const Event& a, const Event& b) {
    return a.type == b.type && a.time == b.time && a.operation_id == b.operation_id &&
           a.service == b.service && a.operation_kind == b.operation_kind &&
           a.operation_state == b.operation_state && a.workload == b.workload &&
           a.workload_state == b.workload_state && a.message == b.message;
}

}  // namespace

void bind_events(py::module_& m) {
    py::enum_<OperationKind>(m, "OperationKind", "What an operation does.")
        .value("deploy", OperationKind::deploy)
        .value("reconfigure", OperationKind::reconfigure)
        .value("terminate", OperationKind::terminate)
        .value("heal", OperationKind::heal)
        .def_property_readonly(
            "label", [](OperationKind k) { return to_string(k); }, "'deploy', 'reconfigure', ...");

    py::enum_<OperationState>(m, "OperationState",
                              "States of an operation (DESIGN.md section 5). succeeded, "
                              "rolled_back and failed are terminal.")
        .value("pending", OperationState::pending)
        .value("validating", OperationState::validating)
        .value("planning", OperationState::planning)
        .value("preparing", OperationState::preparing)
        .value("instantiating", OperationState::instantiating)
        .value("injecting", OperationState::injecting)
        .value("configuring", OperationState::configuring)
        .value("verifying", OperationState::verifying)
        .value("succeeded", OperationState::succeeded)
        .value("rolling_back", OperationState::rolling_back)
        .value("rolled_back", OperationState::rolled_back)
        .value("failed", OperationState::failed)
        .def_property_readonly(
            "label", [](OperationState s) { return to_string(s); },
            "'Pending', 'Succeeded', 'RolledBack', ...")
        .def_property_readonly(
            "terminal", [](OperationState s) { return is_terminal(s); },
            "True for succeeded, rolled_back and failed.");

    py::enum_<WorkloadState>(m, "WorkloadState",
                             "States of one workload: a VM, or a container version's pods.")
        .value("pending", WorkloadState::pending)
        .value("creating", WorkloadState::creating)
        .value("instantiating", WorkloadState::instantiating)
        .value("running", WorkloadState::running)
        .value("injecting", WorkloadState::injecting)
        .value("in_mesh", WorkloadState::in_mesh)
        .value("ready", WorkloadState::ready)
        .value("draining", WorkloadState::draining)
        .value("terminating", WorkloadState::terminating)
        .value("terminated", WorkloadState::terminated)
        .value("failed", WorkloadState::failed)
        .def_property_readonly(
            "label", [](WorkloadState s) { return to_string(s); },
            "'Pending', 'InMesh', 'Ready', ...");

    py::enum_<Event::Type>(m, "EventType", "What an event reports.")
        .value("operation", Event::Type::operation, "an operation changed state")
        .value("workload", Event::Type::workload, "a workload changed state")
        .value("step", Event::Type::step, "a step of an operation happened");

    py::enum_<Substrate>(m, "Substrate", "Where a version runs.")
        .value("vm", Substrate::vm)
        .value("container", Substrate::container);

    py::class_<WorkloadId>(m, "WorkloadId",
                           "One workload instance: (microservice, version, instance). instance "
                           "is the VM index within the version, 0 for container versions.")
        .def(py::init([](std::string microservice, std::string version, int instance) {
                 return WorkloadId{std::move(microservice), std::move(version), instance};
             }),
             py::arg("microservice"), py::arg("version"), py::arg("instance") = 0)
        .def_readonly("microservice", &WorkloadId::microservice, "Microservice name.")
        .def_readonly("version", &WorkloadId::version, "Version name.")
        .def_readonly("instance", &WorkloadId::instance,
                      "VM index within the version; 0 for containers.")
        .def(py::self == py::self)
        .def(py::self < py::self)
        .def("__hash__",
             [](const WorkloadId& w) {
                 return py::hash(py::make_tuple(w.microservice, w.version, w.instance));
             })
        .def("__str__", &WorkloadId::to_string)
        .def("__repr__", &repr);

    py::class_<Event> event(m, "Event",
                            "One event of an operation: a state change of the operation or of "
                            "a workload, or a step. Received by subscribe() callbacks and "
                            "events().");
    event.def_readonly("type", &Event::type, "EventType")
        .def_property_readonly(
            "time", [](const Event& e) { return epoch_seconds(e.time); },
            "When, in seconds since the Unix epoch (like time.time()).")
        .def_property_readonly(
            "datetime",
            [](const Event& e) {
                const auto dt = py::module_::import("datetime");
                return dt.attr("datetime")
                    .attr("fromtimestamp")(epoch_seconds(e.time),
                                           py::arg("tz") = dt.attr("timezone").attr("utc"));
            },
            "When, as a timezone-aware datetime (UTC).")
        .def_readonly("operation_id", &Event::operation_id, "Id of the operation it belongs to.")
        .def_readonly("service", &Event::service, "Name of the service.")
        .def_readonly("operation_kind", &Event::operation_kind, "OperationKind")
        .def_readonly("operation_state", &Event::operation_state,
                      "OperationState: the operation's state at the event")
        .def_property_readonly(
            "workload",
            [](const Event& e) -> py::object {
                if (!e.workload) return py::none();
                return py::cast(*e.workload);
            },
            "WorkloadId for workload events, else None.")
        .def_readonly("workload_state", &Event::workload_state, "WorkloadState (workload events)")
        .def_readonly("message", &Event::message,
                      "What happened, in words; the error for failures.")
        .def(
            "__eq__", [](const Event& a, const Event& b) { return same(a, b); }, py::is_operator())
        .def("__str__", &Event::to_string)
        .def("__repr__", [](const Event& e) { return "<Event " + e.to_string() + ">"; });
    event.attr("__hash__") = py::none();  // compared by value: not hashable

    m.def("is_terminal", &is_terminal, py::arg("state"),
          "True for OperationState.succeeded, rolled_back and failed.");
}

}  // namespace meshorch::python
