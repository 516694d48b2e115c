// Shared by the binding files: JSON <-> Python conversion, the exception mapping and a holder for
// Python callables that library threads call and destroy.
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/model.hpp>

#include <pybind11/pybind11.h>

#include <boost/json/value.hpp>

#include <memory>
#include <string>
#include <utility>

namespace meshorch::python {

namespace py = pybind11;

// One bind_<area>(m) per file; module.cpp calls them in this order.
void bind_errors(py::module_& m);
void bind_spec(py::module_& m);
void bind_render(py::module_& m);
void bind_events(py::module_& m);
void bind_orchestrator(py::module_& m);
void bind_onboarding(py::module_& m);

// The module's __name__ ("meshorch._meshorch"), recorded at import. A std::string, not a
// py::object: no Python object lives in a static.
const std::string& module_name();

// Raises the meshorch.Error subclass for error.code, carrying message, errors (FieldError list),
// line, column, http_status and body_excerpt. Needs the GIL.
[[noreturn]] void raise(const Error& error);
[[noreturn]] inline void raise(Errc code, std::string message) {
    raise(make_error(code, std::move(message)));
}

template <class T>
T unwrap(Result<T>&& result) {
    if (!result) raise(std::move(result).error());
    return std::move(result).value();
}

// A spec given as a Spec, YAML/JSON text or a dict (raises SpecError/ParseError/TypeError).
ServiceSpec spec_from(py::handle spec);

// JSON values <-> Python (None, bool, int, float, str, list, dict). Need the GIL.
py::object to_python(const boost::json::value& value);
boost::json::value from_python(py::handle object);  // TypeError for anything else

// True while the interpreter shuts down: library threads must not touch Python then.
bool finalizing() noexcept;

// A Python callable that library threads may call and copy, and whose last copy may be dropped
// on any thread: calls and the final release take the GIL. Exceptions the callable raises are
// reported through sys.unraisablehook (they have nowhere else to go).
class SharedCallable {
public:
    explicit SharedCallable(py::object fn) : fn_(new py::object(std::move(fn)), Release{}) {}

    template <class... Args>
    void operator()(Args&&... args) const noexcept {
        if (finalizing()) return;
        try {
            py::gil_scoped_acquire gil;
            try {
                (*fn_)(std::forward<Args>(args)...);
            } catch (py::error_already_set& e) {
                e.discard_as_unraisable("meshorch callback");
            }
        } catch (...) {
            // A conversion failure must not unwind into the library's thread.
        }
    }

private:
    struct Release {
        void operator()(py::object* p) const noexcept {
            if (finalizing()) {
                p->release();  // the interpreter is going away: leak rather than touch it
                delete p;
                return;
            }
            py::gil_scoped_acquire gil;
            delete p;
        }
    };
    std::shared_ptr<py::object> fn_;
};

}  // namespace meshorch::python
