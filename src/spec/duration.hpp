// Durations in specs: "10s", "500ms", "1.5s", "1m30s", "1h" <-> std::chrono::milliseconds.
#pragma once

#include <meshorch/model.hpp>

#include <string>
#include <string_view>

namespace meshorch::spec_detail {

// Parses a sequence of <number><unit> terms (units ms, s, m, h; decimals allowed), e.g.
// "1m30s" or "1.5s". The total must be a whole, non-negative number of milliseconds.
// On failure returns false and sets `why` (e.g. "unknown unit \"us\"").
bool parse_duration(std::string_view text, Duration& out, std::string& why);

// The canonical form: "0s", "250ms", "10s", "1.5s" (whole seconds -> "<n>s", under a second ->
// "<n>ms", otherwise decimal seconds). parse_duration(format_duration(d)) == d.
std::string format_duration(Duration d);

}  // namespace meshorch::spec_detail
