// parse_documents on arbitrary text: never crashes, and what it reads survives to_yaml_stream
// and (when it has no NaN or infinity, which JSON cannot carry) to_pretty_json unchanged.

#include <meshorch/document.hpp>

#include <boost/json.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_document: %s\n%s\n", what, detail.c_str());
    std::abort();
}

// Equality that takes NaN as equal to NaN and keeps the int/double distinction.
bool same(const boost::json::value& a, const boost::json::value& b) {
    if (a.kind() != b.kind()) {
        return a.is_number() && b.is_number() && !a.is_double() && !b.is_double() && a == b;
    }
    switch (a.kind()) {
        case boost::json::kind::double_: {
            const double x = a.get_double();
            const double y = b.get_double();
            return (std::isnan(x) && std::isnan(y)) ||
                   (x == y && std::signbit(x) == std::signbit(y));
        }
        case boost::json::kind::array: {
            const auto& x = a.get_array();
            const auto& y = b.get_array();
            if (x.size() != y.size()) return false;
            for (std::size_t i = 0; i < x.size(); ++i) {
                if (!same(x[i], y[i])) return false;
            }
            return true;
        }
        case boost::json::kind::object: {
            const auto& x = a.get_object();
            const auto& y = b.get_object();
            if (x.size() != y.size()) return false;
            auto it = y.begin();
            for (const auto& kv : x) {  // same keys in the same order
                if (kv.key() != it->key() || !same(kv.value(), it->value())) return false;
                ++it;
            }
            return true;
        }
        default: return a == b;
    }
}

bool all_finite(const boost::json::value& v) {
    if (v.is_double()) return std::isfinite(v.get_double());
    if (v.is_array()) {
        for (const auto& x : v.get_array()) {
            if (!all_finite(x)) return false;
        }
    }
    if (v.is_object()) {
        for (const auto& kv : v.get_object()) {
            if (!all_finite(kv.value())) return false;
        }
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto docs = meshorch::parse_documents(text);
    if (!docs) {
        if (docs.error().code != meshorch::Errc::parse_error)
            fail("bad code", docs.error().describe());
        return 0;
    }
    std::vector<boost::json::value> values;
    for (const auto& d : *docs) values.push_back(d.value);

    const std::string yaml = meshorch::to_yaml_stream(values);
    auto back = meshorch::parse_documents(yaml);
    if (!back) fail("to_yaml_stream output does not parse", back.error().describe() + "\n" + yaml);
    std::size_t expected = 0;
    for (const auto& v : values) expected += v.is_null() ? 0 : 1;  // null documents are skipped
    if (back->size() != expected) fail("document count changed", yaml);
    std::size_t j = 0;
    for (const auto& v : values) {
        if (v.is_null()) continue;
        if (!same(v, (*back)[j++].value)) fail("YAML round trip changed a value", yaml);
    }
    for (const auto& v : values) {
        if (!all_finite(v) || !(v.is_object() || v.is_array())) continue;
        const std::string json = meshorch::to_pretty_json(v);
        auto again = meshorch::parse_document(json);
        if (!again)
            fail("to_pretty_json output does not parse", again.error().describe() + "\n" + json);
        if (!same(v, again->value)) fail("JSON round trip changed a value", json);
    }
    return 0;
}
