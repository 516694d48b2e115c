// Specs: load_spec, load_spec_file, validate and the Spec value type.
#include "common.hpp"

#include <meshorch/spec.hpp>

#include <pybind11/operators.h>
#include <pybind11/stl.h>

#include <boost/json/serialize.hpp>

namespace meshorch::python {
namespace {

// Parsing is pure CPU work on a copy of the text: other Python threads run meanwhile.
Result<ServiceSpec> load_released(std::string text) {
    py::gil_scoped_release release;
    return load_spec(text);
}

ServiceSpec spec_from_dict(const py::dict& d) {
    const std::string text = boost::json::serialize(from_python(d));
    return unwrap(load_released(text));
}

std::vector<std::string> microservice_names(const ServiceSpec& s) {
    std::vector<std::string> names;
    for (const auto& ms : s.microservices) names.push_back(ms.name);
    return names;
}

std::string repr(const ServiceSpec& s) {
    std::string names;
    for (const auto& ms : s.microservices) names += (names.empty() ? "" : ", ") + ms.name;
    return "<Spec " + s.name + " (namespace " + s.namespace_ +
           "): " + std::to_string(s.microservices.size()) + " microservices [" + names + "], " +
           std::to_string(s.links.size()) + " links>";
}

std::vector<FieldError> validate_text(std::string text) {
    auto spec = load_released(std::move(text));
    if (spec) return {};
    const Error& e = spec.error();
    if (e.code == Errc::invalid_spec && !e.fields.empty()) return e.fields;
    return {FieldError{"", e.message, e.line, e.column}};
}

}  // namespace

ServiceSpec spec_from(py::handle spec) {
    if (py::isinstance<ServiceSpec>(spec)) return spec.cast<ServiceSpec>();
    if (py::isinstance<py::str>(spec)) return unwrap(load_released(spec.cast<std::string>()));
    if (py::isinstance<py::dict>(spec)) return spec_from_dict(spec.cast<py::dict>());
    throw py::type_error("spec must be a Spec, YAML/JSON text or a dict, not " +
                         std::string(py::str(py::type::of(spec).attr("__name__"))));
}

void bind_spec(py::module_& m) {
    py::class_<ServiceSpec>(m, "Spec",
                            "A validated service spec: microservices, their versions (each on a "
                            "VM or in a container) and the links between them. Immutable from "
                            "Python; edit with to_dict() / Spec.from_dict().")
        .def(py::init([](const std::string& text) { return unwrap(load_released(text)); }),
             py::arg("text"), "Parses and validates YAML or JSON text (same as load_spec).")
        .def_static("from_dict", &spec_from_dict, py::arg("document"),
                    "Builds a spec from its document as a dict (the shape of to_dict()). Raises "
                    "SpecError with every problem.")
        .def_property_readonly(
            "name", [](const ServiceSpec& s) { return s.name; },
            "The service's name (metadata.name).")
        .def_property_readonly(
            "namespace", [](const ServiceSpec& s) { return s.namespace_; },
            "The Kubernetes namespace (defaults to the name).")
        .def_property_readonly(
            "labels", [](const ServiceSpec& s) { return s.labels; }, "metadata.labels as a dict.")
        .def_property_readonly("microservices", &microservice_names,
                               "The microservices' names, in spec order.")
        .def(
            "versions",
            [](const ServiceSpec& s, const std::string& microservice) {
                const Microservice* ms = s.find_microservice(microservice);
                if (ms == nullptr) {
                    raise(Errc::not_found, "no microservice \"" + microservice + "\" in " + s.name);
                }
                py::dict out;
                for (const auto& v : ms->versions) out[py::str(v.name)] = to_string(v.substrate());
                return out;
            },
            py::arg("microservice"),
            "The versions of a microservice: {version name: 'vm' | 'container'}.")
        .def_property_readonly(
            "links",
            [](const ServiceSpec& s) {
                py::list out;
                for (const auto& l : s.links) out.append(py::make_tuple(l.from, l.to, l.port));
                return out;
            },
            "The links as (from, to, port) tuples.")
        .def(
            "to_yaml", [](const ServiceSpec& s) { return dump_spec(s, Format::yaml); },
            "The spec as normalized YAML (loads back to an equal Spec).")
        .def(
            "to_json", [](const ServiceSpec& s) { return dump_spec(s, Format::json); },
            "The spec as normalized JSON text.")
        .def(
            "to_dict", [](const ServiceSpec& s) { return to_python(spec_to_json(s)); },
            "The spec document as a dict (apiVersion, kind, metadata, spec).")
        .def(
            "validate", [](const ServiceSpec& s) { return validate(s); },
            "Semantic checks again (a loaded Spec is valid): a list of FieldError, empty = valid.")
        .def(py::self == py::self)
        .def("__repr__", &repr)
        .def("__copy__", [](const ServiceSpec& s) { return s; })
        .def(
            "__deepcopy__", [](const ServiceSpec& s, py::dict) { return s; }, py::arg("memo"))
        .def(py::pickle([](const ServiceSpec& s) { return dump_spec(s, Format::json); },
                        [](const std::string& text) { return unwrap(load_spec(text)); }));

    m.def(
        "load_spec", [](const std::string& text) { return unwrap(load_released(text)); },
        py::arg("text"),
        "Parses and validates a spec (YAML or JSON text). Raises ParseError (with line and column) "
        "for malformed text and SpecError (with .errors, every problem and its path) for an "
        "invalid spec.");
    m.def(
        "load_spec_file",
        [](const std::string& path) {
            Result<ServiceSpec> spec = [&] {
                py::gil_scoped_release release;
                return load_spec_file(path);
            }();
            return unwrap(std::move(spec));
        },
        py::arg("path"), "load_spec() of a file; IoError when it cannot be read.");
    m.def("validate", &validate_text, py::arg("text"),
          "Every problem of a spec text as a list of FieldError (empty when valid). A syntax "
          "error is one FieldError with path '' and the position. Never raises for bad specs.");
    m.def(
        "validate", [](const ServiceSpec& s) { return validate(s); }, py::arg("spec"),
        "Semantic checks of a Spec: a list of FieldError, empty when valid.");
}

}  // namespace meshorch::python
