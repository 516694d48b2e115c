#include "api/api_error.hpp"

#include "api/json_encoding.hpp"
#include "api/json_response.hpp"

#include <boost/json/value.hpp>

namespace meshorch::api {

namespace {

int status_of(Errc code) {
    switch (code) {
        case Errc::invalid_spec:
        case Errc::parse_error:
        case Errc::invalid_argument: return 400;
        case Errc::not_found: return 404;
        case Errc::conflict:
        case Errc::busy:
        case Errc::cancelled: return 409;
        case Errc::transient: return 503;
        case Errc::timeout: return 504;
        case Errc::backend: return 502;
        case Errc::internal:
        case Errc::io: return 500;
    }
    return 500;
}

}  // namespace

ApiError api_error(int status, std::string code, std::string message) {
    ApiError e;
    e.status = status;
    e.code = std::move(code);
    e.message = std::move(message);
    return e;
}

ApiError api_error(const Error& error) {
    ApiError e;
    e.status = status_of(error.code);
    e.code = to_string(error.code);
    e.message = error.message;
    e.fields = error.fields;
    e.line = error.line;
    e.column = error.column;
    return e;
}

std::string code_of_status(int status) {
    switch (status) {
        case 400: return "bad_request";
        case 401: return "unauthorized";
        case 403: return "forbidden";
        case 404: return "not_found";
        case 405: return "method_not_allowed";
        case 409: return "conflict";
        case 413: return "payload_too_large";
        case 415: return "unsupported_media_type";
        case 503: return "unavailable";
        default: return status >= 500 ? "internal" : "error";
    }
}

http::Response to_response(const ApiError& error) {
    boost::json::object body;
    body["status"] = error.status;
    body["code"] = error.code.empty() ? code_of_status(error.status) : error.code;
    body["message"] = error.message;
    if (error.line > 0) {
        body["line"] = error.line;
        body["column"] = error.column;
    }
    body["fields"] = encode_fields(error.fields);
    return json_response(error.status, boost::json::object{{"error", std::move(body)}},
                         error.headers);
}

}  // namespace meshorch::api
