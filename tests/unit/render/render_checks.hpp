// Checks over a whole rendered set (defined in render_schema_test.cpp).
#pragma once

#include <meshorch/model.hpp>
#include <meshorch/object.hpp>

#include <string>

namespace meshorch::testing {

// Validates every object: Istio kinds against the CRD schemas (CrdCatalog::istio()), core kinds
// with check_core_object, metadata of all. One line per problem, "Kind ns/name: path: reason";
// empty when everything is valid.
std::string validate_objects(const ObjectSet& set);

// render() with observed_vms(spec), plus render_deployment() for every container version.
ObjectSet render_everything(const ServiceSpec& spec);

}  // namespace meshorch::testing
