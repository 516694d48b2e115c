// Checks on names and small value formats, each returning "" when the value is fine and
// otherwise the reason, ready for a FieldError.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace meshorch::spec_detail {

// DNS-1123 label (RFC 1123): 1-63 of [a-z0-9-], starting and ending with a letter or digit.
// Namespaces, version names, the service name.
std::string dns1123_label_problem(std::string_view name);
// DNS-1035 label: a DNS-1123 label that starts with a letter. Kubernetes Service names, so
// microservice names.
std::string dns1035_label_problem(std::string_view name);
// IANA service name, as Kubernetes requires for container port names: 1-15 of [a-z0-9-], at
// least one letter, no leading, trailing or doubled '-'.
std::string port_name_problem(std::string_view name);
// Kubernetes label key ([prefix/]name) and value.
std::string label_key_problem(std::string_view key);
std::string label_value_problem(std::string_view value);
// DNS-1123 subdomain: dot-separated DNS-1123 labels, at most 253 characters.
std::string dns1123_subdomain_problem(std::string_view name);

// A lower-case HTTP header field name (RFC 9110 token characters).
bool is_lowercase_header_name(std::string_view name);

// A Kubernetes resource quantity ("100m", "0.5", "128Mi", "1G", "2e3") as a number; nullopt
// when the text is not one. Negative quantities are refused.
std::optional<long double> parse_quantity(std::string_view text);

// The known name closest to `word` (case-insensitive edit distance, adjacent transpositions
// counting one, at most 1-3 by length); "" if none.
std::string closest_name(std::string_view word, std::initializer_list<std::string_view> known);

// "must be between lo and hi (got v)".
std::string range_reason(long long lo, long long hi, long long got);

// `"value" is not a valid <what>: <problem>`.
std::string invalid_name(std::string_view value, std::string_view what, std::string_view problem);

// A string with characters that have no place in an identifier-like value (white space,
// control characters). Images, flavors, networks, VNFD ids.
bool has_space_or_control(std::string_view text);

// Quotes a string for a message: "abc" with control characters escaped, long text cut.
std::string quoted(std::string_view text);

}  // namespace meshorch::spec_detail
