#include "spec/duration.hpp"

#include <cstdint>
#include <limits>

namespace meshorch::spec_detail {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

}  // namespace

bool parse_duration(std::string_view text, Duration& out, std::string& why) {
    if (text.empty()) {
        why = "empty duration";
        return false;
    }
    if (text.front() == '-') {
        why = "must not be negative";
        return false;
    }
    std::int64_t total = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        // <digits>[.<digits>]
        const std::size_t int_start = i;
        while (i < text.size() && is_digit(text[i])) ++i;
        std::string_view int_digits = text.substr(int_start, i - int_start);
        std::string_view frac_digits;
        if (i < text.size() && text[i] == '.') {
            ++i;
            const std::size_t frac_start = i;
            while (i < text.size() && is_digit(text[i])) ++i;
            frac_digits = text.substr(frac_start, i - frac_start);
            if (frac_digits.empty()) {
                why = "expected digits after '.'";
                return false;
            }
        }
        if (int_digits.empty() && frac_digits.empty()) {
            why = "expected a number followed by a unit (ms, s, m or h)";
            return false;
        }
        // unit
        const std::size_t unit_start = i;
        while (i < text.size() && !is_digit(text[i]) && text[i] != '.') ++i;
        const std::string_view unit = text.substr(unit_start, i - unit_start);
        std::int64_t unit_ms = 0;
        if (unit == "ms") {
            unit_ms = 1;
        } else if (unit == "s") {
            unit_ms = 1000;
        } else if (unit == "m") {
            unit_ms = 60'000;
        } else if (unit == "h") {
            unit_ms = 3'600'000;
        } else if (unit.empty()) {
            why = "missing unit (ms, s, m or h)";
            return false;
        } else {
            why = "unknown unit \"" + std::string(unit) + "\" (use ms, s, m or h)";
            return false;
        }
        // integer part
        std::int64_t value = 0;
        bool overflow = false;
        for (char c : int_digits) {
            overflow = overflow || __builtin_mul_overflow(value, std::int64_t{10}, &value) ||
                       __builtin_add_overflow(value, std::int64_t{c - '0'}, &value);
        }
        overflow = overflow || __builtin_mul_overflow(value, unit_ms, &value);
        // fractional part: frac * unit_ms / 10^len must be whole milliseconds
        while (!frac_digits.empty() && frac_digits.back() == '0') frac_digits.remove_suffix(1);
        if (!frac_digits.empty()) {
            if (frac_digits.size() > 12) {
                why = "finer than a millisecond";
                return false;
            }
            std::int64_t frac = 0;
            std::int64_t scale = 1;
            for (char c : frac_digits) {
                frac = frac * 10 + (c - '0');
                scale *= 10;
            }
            std::int64_t numerator = 0;
            if (__builtin_mul_overflow(frac, unit_ms, &numerator) || numerator % scale != 0) {
                why = "finer than a millisecond";
                return false;
            }
            overflow = overflow || __builtin_add_overflow(value, numerator / scale, &value);
        }
        overflow = overflow || __builtin_add_overflow(total, value, &total);
        if (overflow) {
            why = "too large";
            return false;
        }
    }
    out = Duration(total);
    return true;
}

std::string format_duration(Duration d) {
    std::int64_t ms = d.count();
    if (ms < 0) {
        if (ms == std::numeric_limits<std::int64_t>::min()) return "-9223372036854775808ms";
        return "-" + format_duration(Duration(-ms));
    }
    if (ms == 0) return "0s";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    if (ms < 1000) return std::to_string(ms) + "ms";
    std::string frac = std::to_string(ms % 1000);
    frac.insert(0, 3 - frac.size(), '0');
    while (frac.back() == '0') frac.pop_back();
    return std::to_string(ms / 1000) + "." + frac + "s";
}

}  // namespace meshorch::spec_detail
