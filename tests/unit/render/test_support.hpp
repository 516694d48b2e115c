// Small helpers for the render tests.
#pragma once

#include <meshorch/object.hpp>

#include <boost/json.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace meshorch::testing {

// The manifest of the object of `kind` named `name` in `set` (a copy, as a value); throws when it
// is not there.
inline boost::json::value manifest_of(const ObjectSet& set, const std::string& kind,
                                      const std::string& name) {
    for (const auto& [key, object] : set) {
        if (key.kind == kind && key.name == name) return object.manifest.get();
    }
    throw std::out_of_range("no " + kind + " " + name);
}

inline bool has_object(const ObjectSet& set, const std::string& kind, const std::string& name) {
    for (const auto& [key, object] : set) {
        if (key.kind == kind && key.name == name) return true;
    }
    return false;
}

inline std::vector<std::string> names_of(const ObjectSet& set, const std::string& kind) {
    std::vector<std::string> out;
    for (const auto& [key, object] : set) {
        if (key.kind == kind) out.push_back(key.name);
    }
    return out;
}

// Walks a path of keys and indices: at(m, "spec", "http", 0, "name").
inline const boost::json::value& step(const boost::json::value& v, const char* key) {
    return v.as_object().at(key);
}
inline const boost::json::value& step(const boost::json::value& v, int index) {
    return v.as_array().at(static_cast<std::size_t>(index));
}
template <class... Path>
const boost::json::value& at(const boost::json::value& v, Path... path) {
    const boost::json::value* cur = &v;
    ((cur = &step(*cur, path)), ...);
    return *cur;
}

// A string value as std::string; anything else serialized.
inline std::string str(const boost::json::value& v) {
    return v.is_string() ? std::string(v.get_string()) : boost::json::serialize(v);
}

inline boost::json::value json(const char* text) {
    return boost::json::parse(text);
}

inline std::vector<std::string> keys_of(const boost::json::value& v) {
    std::vector<std::string> out;
    for (const auto& kv : v.as_object()) out.emplace_back(kv.key());
    return out;
}

}  // namespace meshorch::testing
