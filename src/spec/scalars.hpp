// Scalar typing shared by the YAML/JSON readers and writers.
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace meshorch::spec_detail {

// A plain (unquoted, untagged) YAML scalar typed by the YAML 1.2 core schema: null, bool,
// int (decimal, 0o octal, 0x hex), float (including .inf/.nan), otherwise a string.
boost::json::value resolve_plain_scalar(std::string_view text);

// Core-schema integer text ([-+]?[0-9]+, 0o.., 0x..) -> int64, uint64, or double when it does
// not fit 64 bits; nullopt when the text is not an integer.
std::optional<boost::json::value> parse_integer(std::string_view text);
// Core-schema float text -> double (overflow gives +-inf, underflow +-0); nullopt otherwise.
std::optional<double> parse_float(std::string_view text);
// A JSON number token (already known to be well-formed) -> int64, uint64 or double.
boost::json::value parse_json_number(std::string_view text);

// True when the string cannot be written as a plain YAML scalar and read back as the same
// string, by a YAML 1.2 reader or by a YAML 1.1 one (go-yaml, PyYAML): empty, typed look-alikes
// ("9080", "true", "null", "1.5", "yes", "2024-01-01"), indicators, special characters.
bool needs_quotes(std::string_view text);

// The shortest text that reads back as the same double and as a float (never as an integer):
// 1.0 -> "1.0", 0.1 -> "0.1", 1e300 -> "1e+300". Finite values only.
std::string format_double(double value);

// True when `text` is valid UTF-8 (no overlong forms, no surrogates).
bool is_valid_utf8(std::string_view text);

}  // namespace meshorch::spec_detail
