// Internal: JSON responses of the REST API.
#pragma once

#include "http/client.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace meshorch::api {

// `status` with the value as an application/json body (one line, ending in a newline).
http::Response json_response(int status, const boost::json::value& body,
                             std::vector<http::Header> headers = {});

}  // namespace meshorch::api
