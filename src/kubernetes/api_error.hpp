// Internal: API server answers -> meshorch Errors, with the classification the engine's retry
// policy depends on (ports.hpp).
#pragma once

#include <meshorch/error.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace meshorch::kubernetes::detail {

inline constexpr std::size_t body_excerpt_bytes = 300;

// The first body_excerpt_bytes of a body, cut at a character boundary.
std::string body_excerpt(std::string_view body);

// The Error for a non-2xx answer. The body is read as a Status (reason, message, code) when it is
// one. Message "<METHOD> <path>: <status message> (<reason>)"; http_status; body_excerpt.
//   409                 Errc::conflict
//   429                 Errc::transient; Retry-After seconds in the message and in
//                       Error::fields as {"retry_after", "<seconds>"}
//   408, 5xx            Errc::transient
//   401, 403            Errc::backend, saying the credentials were refused
//   404                 Errc::not_found
//   other               Errc::backend
Error api_error(std::string_view method, std::string_view path, int status, std::string_view body,
                const std::optional<std::string>& retry_after);

// A 2xx answer meshorch cannot use: Errc::backend "malformed response from <METHOD> <path>: ...".
Error malformed_response(std::string_view method, std::string_view path, int status,
                         std::string_view what, std::string_view body);

}  // namespace meshorch::kubernetes::detail
