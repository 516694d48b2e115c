// Internal: reading fields of a backend's JSON response without trusting its shape.
#pragma once

#include <meshorch/error.hpp>

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace meshorch::openstack {

// Parses a response body that must be a JSON object; a malformed or truncated body, or any
// other JSON value, is Errc::backend "malformed response from <where>: ...".
Result<boost::json::object> parse_object(std::string_view body, std::string_view where);

// The member if it exists and has the wanted type, else nullptr.
const boost::json::object* find_object(const boost::json::object& o, std::string_view key);
const boost::json::array* find_array(const boost::json::object& o, std::string_view key);
const boost::json::string* find_string(const boost::json::object& o, std::string_view key);

// The string member, or "" when missing or not a string.
std::string string_or_empty(const boost::json::object& o, std::string_view key);

// Errc::backend "malformed response from <where>: <what>".
Error malformed(std::string_view where, std::string_view what);

// A required non-empty string member; its absence is a malformed response.
Result<std::string> required_string(const boost::json::object& o, std::string_view key,
                                    std::string_view where);

}  // namespace meshorch::openstack
