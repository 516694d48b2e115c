// Internal: the TokenRequest (authentication.k8s.io/v1) body and answer.
#pragma once

#include <meshorch/error.hpp>
#include <meshorch/ports.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace meshorch::kubernetes::detail {

boost::json::object token_request(const std::string& audience, std::chrono::seconds lifetime);

// status.token and status.expirationTimestamp; Errc::backend naming the missing or bad field.
Result<ServiceAccountToken> parse_token_response(const boost::json::value& doc);

// "2024-05-01T10:00:00Z", with optional fractional seconds and a numeric offset instead of Z.
Result<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace meshorch::kubernetes::detail
