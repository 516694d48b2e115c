// Internal: a service spec from a request body, by its Content-Type.
#pragma once

#include "api/api_error.hpp"
#include "http/server.hpp"

#include <meshorch/model.hpp>

#include <variant>

namespace meshorch::api {

// application/json, or YAML (application/yaml, application/x-yaml, text/yaml); parameters such
// as "; charset=utf-8" are allowed. Anything else (or none): 415. A body that does not parse:
// 400 parse_error with line and column; an invalid spec: 400 invalid_spec with every field.
std::variant<ServiceSpec, ApiError> read_spec_body(const http::ServerRequest& request);

}  // namespace meshorch::api
