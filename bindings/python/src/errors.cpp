// The exception hierarchy (meshorch.Error and one subclass per meshorch::Errc), ErrorCode and
// FieldError.
#include "common.hpp"

#include <pybind11/operators.h>

#include <Python.h>

namespace meshorch::python {
namespace {

std::string& module_name_storage() {
    static std::string name;
    return name;
}

// The Python class raised for each code.
const char* class_for(Errc code) {
    switch (code) {
        case Errc::invalid_spec: return "SpecError";
        case Errc::parse_error: return "ParseError";
        case Errc::not_found: return "NotFoundError";
        case Errc::conflict: return "ConflictError";
        case Errc::busy: return "BusyError";
        case Errc::transient: return "TransientError";
        case Errc::timeout: return "TimeoutError";
        case Errc::cancelled: return "CancelledError";
        case Errc::backend: return "BackendError";
        case Errc::invalid_argument: return "InvalidArgumentError";
        case Errc::internal: return "InternalError";
        case Errc::io: return "IoError";
    }
    return "Error";
}

std::string repr(const FieldError& f) {
    return "FieldError(path=" + std::string(py::repr(py::str(f.path))) +
           ", reason=" + std::string(py::repr(py::str(f.reason))) +
           ", line=" + std::to_string(f.line) + ", column=" + std::to_string(f.column) + ")";
}

// The text of str(exception): the message, then one line per field problem.
std::string text_of(const Error& e) {
    std::string text = e.message.empty() ? std::string(to_string(e.code)) : e.message;
    for (const auto& f : e.fields) {
        text += "\n  " + (f.path.empty() ? std::string("(document)") : f.path) + ": " + f.reason;
        if (f.line > 0) {
            text +=
                " (line " + std::to_string(f.line) + ", column " + std::to_string(f.column) + ")";
        }
    }
    if (e.http_status != 0) {
        text += "\n  HTTP " + std::to_string(e.http_status);
        if (!e.body_excerpt.empty()) text += ": " + e.body_excerpt;
    }
    return text;
}

// Creates `name` deriving from `bases` with the error attributes as class-level defaults.
void add_exception(py::module_& m, const char* name, py::tuple bases, const char* doc) {
    py::dict defaults;
    defaults["code"] = py::none();
    defaults["message"] = py::str("");
    defaults["errors"] = py::tuple();
    defaults["line"] = 0;
    defaults["column"] = 0;
    defaults["http_status"] = 0;
    defaults["body_excerpt"] = py::str("");
    const std::string qualified = "meshorch." + std::string(name);
    PyObject* cls = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), defaults.ptr());
    if (cls == nullptr) throw py::error_already_set();
    m.add_object(name, py::reinterpret_steal<py::object>(cls));
}

}  // namespace

const std::string& module_name() {
    return module_name_storage();
}

void raise(const Error& error) {
    const py::module_ m = py::module_::import(module_name().c_str());
    const py::object cls = m.attr(class_for(error.code));
    py::object exc = cls(text_of(error));
    exc.attr("code") = py::cast(error.code);
    exc.attr("message") = py::str(error.message);
    py::list fields;
    for (const auto& f : error.fields) fields.append(py::cast(f));
    exc.attr("errors") = fields;
    exc.attr("line") = error.line;
    exc.attr("column") = error.column;
    exc.attr("http_status") = error.http_status;
    exc.attr("body_excerpt") = py::str(error.body_excerpt);
    PyErr_SetObject(cls.ptr(), exc.ptr());
    throw py::error_already_set();
}

void bind_errors(py::module_& m) {
    module_name_storage() = py::str(m.attr("__name__"));

    py::enum_<Errc>(m, "ErrorCode",
                    "What went wrong, coarse enough to decide what to do about it "
                    "(meshorch::Errc). Each has its own exception class.")
        .value("invalid_spec", Errc::invalid_spec, "the spec failed validation (SpecError)")
        .value("parse_error", Errc::parse_error,
               "the text is not well-formed YAML/JSON (ParseError)")
        .value("not_found", Errc::not_found, "a named thing does not exist (NotFoundError)")
        .value("conflict", Errc::conflict, "409: changed by someone else (ConflictError)")
        .value("busy", Errc::busy, "another operation runs on the service (BusyError)")
        .value("transient", Errc::transient, "429/5xx/connection trouble (TransientError)")
        .value("timeout", Errc::timeout, "a deadline passed (TimeoutError)")
        .value("cancelled", Errc::cancelled, "the caller cancelled (CancelledError)")
        .value("backend", Errc::backend, "a backend refused a request (BackendError)")
        .value("invalid_argument", Errc::invalid_argument,
               "a bad argument to an API call (InvalidArgumentError)")
        .value("internal", Errc::internal, "a bug in meshorch (InternalError)")
        .value("io", Errc::io, "a file could not be read or written (IoError)");

    py::class_<FieldError>(m, "FieldError",
                           "One problem with one field of a spec: its JSON path (e.g. "
                           "'spec.links[3].routes[0].split'), the reason, and the 1-based line and "
                           "column in the source text (0 when unknown).")
        .def(py::init([](std::string path, std::string reason, int line, int column) {
                 return FieldError{std::move(path), std::move(reason), line, column};
             }),
             py::arg("path"), py::arg("reason"), py::arg("line") = 0, py::arg("column") = 0)
        .def_readwrite("path", &FieldError::path, "JSON path of the field, '' for the document")
        .def_readwrite("reason", &FieldError::reason, "what is wrong, in words")
        .def_readwrite("line", &FieldError::line, "1-based line, 0 when unknown")
        .def_readwrite("column", &FieldError::column, "1-based column, 0 when unknown")
        .def(py::self == py::self)
        .def("__hash__",
             [](const FieldError& f) {
                 return py::hash(py::make_tuple(f.path, f.reason, f.line, f.column));
             })
        .def("__repr__", &repr)
        .def("__str__", [](const FieldError& f) {
            std::string s = (f.path.empty() ? std::string("(document)") : f.path) + ": " + f.reason;
            if (f.line > 0) s += " (line " + std::to_string(f.line) + ")";
            return s;
        });

    const py::object exception = py::module_::import("builtins").attr("Exception");
    const py::object builtins = py::module_::import("builtins");
    add_exception(m, "Error", py::make_tuple(exception),
                  "Base of every meshorch error. Attributes: code (ErrorCode), message, errors "
                  "(list of FieldError), line, column, http_status, body_excerpt.");
    const py::object base = m.attr("Error");
    add_exception(m, "SpecError", py::make_tuple(base, builtins.attr("ValueError")),
                  "The spec failed validation; .errors lists every problem with its path.");
    add_exception(m, "ParseError", py::make_tuple(m.attr("SpecError")),
                  "The text is not well-formed YAML or JSON; .line and .column say where.");
    add_exception(m, "NotFoundError", py::make_tuple(base, builtins.attr("LookupError")),
                  "A named service, operation or file does not exist.");
    add_exception(m, "ConflictError", py::make_tuple(base),
                  "409: someone else changed the object, or it exists differently.");
    add_exception(m, "BusyError", py::make_tuple(base),
                  "Another operation is running on the same service (refused, not queued).");
    add_exception(m, "TransientError", py::make_tuple(base),
                  "429/5xx/connection trouble that outlasted the retries.");
    add_exception(m, "TimeoutError", py::make_tuple(base, builtins.attr("TimeoutError")),
                  "A deadline or a wait timeout passed.");
    add_exception(m, "CancelledError", py::make_tuple(base), "The operation was cancelled.");
    add_exception(m, "BackendError", py::make_tuple(base),
                  "A backend refused a request; .http_status and .body_excerpt say how.");
    add_exception(m, "InvalidArgumentError", py::make_tuple(base, builtins.attr("ValueError")),
                  "A bad argument to an API call (not a spec problem).");
    add_exception(m, "InternalError", py::make_tuple(base), "A bug in meshorch.");
    add_exception(m, "IoError", py::make_tuple(base, builtins.attr("OSError")),
                  "A file could not be read or written.");
}

}  // namespace meshorch::python
