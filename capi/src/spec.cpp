// Specs: validate, render and dump. Pure functions over text.
#include "internal.hpp"

#include <meshorch/document.hpp>
#include <meshorch/render.hpp>
#include <meshorch/spec.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cstring>
#include <optional>

namespace meshorch::capi {
namespace {

std::optional<Format> format_of(const char* name) {
    if (name == nullptr || std::strcmp(name, "yaml") == 0) return Format::yaml;
    if (std::strcmp(name, "json") == 0) return Format::json;
    return std::nullopt;
}

int unknown_format(const char* function, const char* name) {
    return fail(MESHORCH_E_INVALID_ARGUMENT, std::string(function) + ": unknown format \"" + name +
                                                 "\" (expected \"yaml\" or \"json\")");
}

// {"<microservice>/<version>": [{"server_id": "...", "address": "..."} | "address", ...]}
Result<Observed> read_observed(const char* text) {
    Observed observed;
    if (text == nullptr) return observed;
    auto parsed = parse_document(text);
    if (!parsed) {
        Error e = std::move(parsed).error();
        e.code = Errc::invalid_argument;
        e.message = "observed_json: " + e.message;
        return e;
    }
    const auto* top = parsed->value.if_object();
    if (top == nullptr) {
        return make_error(Errc::invalid_argument, "observed_json: expected a JSON object");
    }
    std::vector<FieldError> problems;
    for (const auto& [key, list] : *top) {
        const std::string k(key);
        const auto slash = k.find('/');
        if (slash == std::string::npos || slash == 0 || slash + 1 == k.size()) {
            problems.push_back({k, "key must be \"<microservice>/<version>\"", 0, 0});
            continue;
        }
        const auto* items = list.if_array();
        if (items == nullptr) {
            problems.push_back({k, "expected an array of VMs", 0, 0});
            continue;
        }
        auto& vms = observed.vms[{k.substr(0, slash), k.substr(slash + 1)}];
        for (std::size_t i = 0; i < items->size(); ++i) {
            const auto& item = (*items)[i];
            const std::string path = k + "[" + std::to_string(i) + "]";
            VmInstance vm;
            if (const auto* s = item.if_string()) {
                vm.address = std::string(*s);
            } else if (const auto* o = item.if_object()) {
                const auto* address = o->if_contains("address");
                if (address == nullptr || !address->is_string()) {
                    problems.push_back({path + ".address", "required string", 0, 0});
                    continue;
                }
                vm.address = std::string(address->as_string());
                if (const auto* id = o->if_contains("server_id")) {
                    if (!id->is_string()) {
                        problems.push_back({path + ".server_id", "must be a string", 0, 0});
                        continue;
                    }
                    vm.server_id = std::string(id->as_string());
                }
            } else {
                problems.push_back({path, "expected an object or an address string", 0, 0});
                continue;
            }
            vms.push_back(std::move(vm));
        }
    }
    if (!problems.empty()) {
        Error e = make_error(Errc::invalid_argument, "observed_json: " + problems.front().path +
                                                         ": " + problems.front().reason);
        e.fields = std::move(problems);
        return e;
    }
    return observed;
}

}  // namespace
}  // namespace meshorch::capi

using namespace meshorch::capi;
namespace json = boost::json;

extern "C" {

MESHORCH_API int meshorch_spec_validate(char** errors_json_out, const char* text) {
    return guarded([&] {
        if (errors_json_out != nullptr) *errors_json_out = nullptr;
        if (text == nullptr) return null_argument("meshorch_spec_validate", "text");
        auto spec = meshorch::load_spec(text);
        if (spec) {
            if (errors_json_out != nullptr) return give_string(errors_json_out, "[]");
            return succeed();
        }
        const meshorch::Error& error = spec.error();
        if (errors_json_out != nullptr) {
            json::value errors;
            if (error.code == meshorch::Errc::invalid_spec && !error.fields.empty()) {
                errors = field_errors_json(error.fields);
            } else {
                // A syntax error (or an error without fields): one entry at the position.
                errors = field_errors_json(
                    {meshorch::FieldError{"", error.message, error.line, error.column}});
            }
            *errors_json_out = dup_string(json::serialize(errors));
        }
        return fail(error);
    });
}

MESHORCH_API int meshorch_spec_render(char** out, const char* text, const char* format,
                                      const char* observed_json) {
    return guarded([&] {
        if (out == nullptr) return null_argument("meshorch_spec_render", "out");
        *out = nullptr;
        if (text == nullptr) return null_argument("meshorch_spec_render", "text");
        const auto fmt = format_of(format);
        if (!fmt) return unknown_format("meshorch_spec_render", format);
        auto observed = read_observed(observed_json);
        if (!observed) return fail(observed.error());
        auto spec = meshorch::load_spec(text);
        if (!spec) return fail(spec.error());
        const meshorch::ObjectSet objects = meshorch::render(*spec, *observed);
        if (*fmt == meshorch::Format::yaml) {
            return give_string(out, meshorch::to_yaml_stream(objects.manifests()));
        }
        json::array manifests;
        for (auto& m : objects.manifests()) manifests.push_back(std::move(m));
        return give_string(out, meshorch::to_pretty_json(manifests));
    });
}

MESHORCH_API int meshorch_spec_dump(char** out, const char* text, const char* format) {
    return guarded([&] {
        if (out == nullptr) return null_argument("meshorch_spec_dump", "out");
        *out = nullptr;
        if (text == nullptr) return null_argument("meshorch_spec_dump", "text");
        const auto fmt = format_of(format);
        if (!fmt) return unknown_format("meshorch_spec_dump", format);
        auto spec = meshorch::load_spec(text);
        if (!spec) return fail(spec.error());
        return give_string(out, meshorch::dump_spec(*spec, *fmt));
    });
}

}  // extern "C"
