// JSON values <-> Python objects.
#include "common.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <Python.h>

namespace meshorch::python {

namespace json = boost::json;

bool finalizing() noexcept {
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing() != 0;
#else
    return _Py_IsFinalizing() != 0;
#endif
}

py::object to_python(const json::value& value) {
    switch (value.kind()) {
        case json::kind::null: return py::none();
        case json::kind::bool_: return py::bool_(value.get_bool());
        case json::kind::int64: return py::int_(value.get_int64());
        case json::kind::uint64: return py::int_(value.get_uint64());
        case json::kind::double_: return py::float_(value.get_double());
        case json::kind::string: {
            const auto& s = value.get_string();
            return py::str(s.data(), s.size());
        }
        case json::kind::array: {
            const auto& a = value.get_array();
            py::list list(a.size());
            for (std::size_t i = 0; i < a.size(); ++i) list[i] = to_python(a[i]);
            return list;
        }
        case json::kind::object: {
            py::dict dict;
            for (const auto& [k, v] : value.get_object()) {
                dict[py::str(k.data(), k.size())] = to_python(v);
            }
            return dict;
        }
    }
    return py::none();
}

json::value from_python(py::handle o) {
    if (o.is_none()) return nullptr;
    if (py::isinstance<py::bool_>(o)) return o.cast<bool>();
    if (py::isinstance<py::int_>(o)) {
        int overflow = 0;
        const long long v = PyLong_AsLongLongAndOverflow(o.ptr(), &overflow);
        if (overflow == 0) {
            if (v == -1 && PyErr_Occurred()) throw py::error_already_set();
            return static_cast<std::int64_t>(v);
        }
        if (overflow > 0) {
            const unsigned long long u = PyLong_AsUnsignedLongLong(o.ptr());
            if (!PyErr_Occurred()) return static_cast<std::uint64_t>(u);
            PyErr_Clear();
        }
        throw py::value_error("integer out of the 64-bit range a JSON value can hold");
    }
    if (py::isinstance<py::float_>(o)) return o.cast<double>();
    if (py::isinstance<py::str>(o)) return json::string(o.cast<std::string>());
    if (py::isinstance<py::dict>(o)) {
        json::object obj;
        for (auto [k, v] : o.cast<py::dict>()) {
            if (!py::isinstance<py::str>(k)) {
                throw py::type_error("mapping keys must be strings, not " +
                                     std::string(py::str(py::type::of(k).attr("__name__"))));
            }
            obj[k.cast<std::string>()] = from_python(v);
        }
        return obj;
    }
    if (py::isinstance<py::list>(o) || py::isinstance<py::tuple>(o)) {
        json::array arr;
        for (auto item : o) arr.push_back(from_python(item));
        return arr;
    }
    throw py::type_error("cannot convert " +
                         std::string(py::str(py::type::of(o).attr("__name__"))) +
                         " to JSON (expected None, bool, int, float, str, list, tuple or dict)");
}

}  // namespace meshorch::python
