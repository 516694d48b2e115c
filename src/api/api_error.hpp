// Internal: the one error shape of the REST API, and how library errors map onto HTTP.
//
//   {"error": {"status": 409, "code": "busy", "message": "...",
//              "fields": [{"path": "...", "reason": "...", "line": 3, "column": 5}]}}
#pragma once

#include "http/client.hpp"

#include <meshorch/error.hpp>

#include <string>
#include <vector>

namespace meshorch::api {

struct ApiError {
    int status = 500;
    std::string code;  // "busy", "not_found", "unauthorized", ...
    std::string message;
    std::vector<FieldError> fields;
    int line = 0;  // parse errors: where the text went wrong
    int column = 0;
    std::vector<http::Header> headers;  // extra ones: Allow, WWW-Authenticate
};

ApiError api_error(int status, std::string code, std::string message);

// The HTTP status of a library error (busy -> 409, not_found -> 404, invalid_spec -> 400, ...),
// its code as to_string(Errc), message, fields and position.
ApiError api_error(const Error& error);

// The code an HTTP status gets when nothing more specific is known ("payload_too_large", ...).
std::string code_of_status(int status);

http::Response to_response(const ApiError& error);

}  // namespace meshorch::api
