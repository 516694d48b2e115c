// Internal: turning an OpenStack API error response into an Error the engine can act on.
//
// Tacker answers with ProblemDetails (application/problem+json: title, status, detail);
// Keystone with {"error": {"code", "title", "message"}}; Nova with {"<kind>": {"code",
// "message"}}. All become "<METHOD> <path>: <detail> (<status>)" with the status and an excerpt
// of the body, classified for the engine's retry policy.
#pragma once

#include "http/client.hpp"

#include <meshorch/error.hpp>

#include <string>
#include <string_view>

namespace meshorch::openstack {

// 409 conflict; 429 and 5xx transient; 404 not_found; every other status backend (terminal).
Errc errc_for_status(int status) noexcept;

// The human part of an error body: ProblemDetails detail (or title), Keystone/Nova message,
// else the start of the body, else "HTTP <status>".
std::string error_detail(int status, std::string_view body);

// The path and query of an absolute URL ("/vnflcm/v2/vnf_instances?..."), for messages.
std::string url_path(std::string_view url);

// "<METHOD> <path>: <detail> (<status>)" classified by errc_for_status.
Error error_from_response(std::string_view method, std::string_view url,
                          const http::Response& response);

// Prefixes a transport error (connection, TLS, timeout) with "<METHOD> <path>: ".
Error with_request_context(Error error, std::string_view method, std::string_view url);

}  // namespace meshorch::openstack
