// Internal: the JSON the REST API answers with: service statuses, operations, events and the
// errors inside them. Keys are camelCase, like the spec format; states use their DESIGN.md names
// ("InMesh", "Succeeded").
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/orchestrator.hpp>
#include <meshorch/state.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace meshorch::api {

// [{"path": ..., "reason": ..., "line": L, "column": C}] (position left out when unknown).
boost::json::array encode_fields(const std::vector<FieldError>& fields);
// {"code", "message", "fields"} and, when known, "line"/"column", "httpStatus"/"bodyExcerpt".
boost::json::object encode_error(const Error& error);

boost::json::object encode_workload_id(const WorkloadId& id);
boost::json::object encode(const ServiceStatus& status);
// {"id", "kind", "service", "state", "done", "error"} (error null unless it ended in failure).
boost::json::object encode(const Operation& operation);
boost::json::object encode(const Event& event);
const char* event_type(Event::Type type) noexcept;  // "operation", "workload", "step"

// "2024-05-01T12:00:00.123Z"
std::string rfc3339(std::chrono::system_clock::time_point time);

}  // namespace meshorch::api
