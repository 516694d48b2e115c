// Reading, validating and writing service specs (YAML or JSON, Kubernetes-style envelope):
//
//   apiVersion: meshorch.io/v1alpha1
//   kind: Service
//   metadata: {name: bookinfo, namespace: bookinfo}
//   spec: {mesh: ..., microservices: [...], links: [...]}
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/model.hpp>

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace meshorch {

inline constexpr std::string_view spec_api_version = "meshorch.io/v1alpha1";
inline constexpr std::string_view spec_kind = "Service";

enum class Format { yaml, json };

// Parses and validates. On failure the Error is parse_error (with line/column) or
// invalid_spec (with every problem found, each with its path and, when known, line/column).
// The format's defaults are filled in, so a loaded spec is explicit: namespace_ is the name
// when metadata.namespace is absent, and a link's port is the destination's only port when
// the link leaves it out (validate() requires both to be set).
Result<ServiceSpec> load_spec(std::string_view text);
Result<ServiceSpec> load_spec_file(const std::string& path);

// Semantic checks of an already-built spec (load_spec runs them too). Empty = valid.
std::vector<FieldError> validate(const ServiceSpec& spec);

// The spec as its envelope document; load_spec(dump_spec(s)) == s for every valid s.
boost::json::value spec_to_json(const ServiceSpec& spec);
std::string dump_spec(const ServiceSpec& spec, Format format = Format::yaml);

}  // namespace meshorch
