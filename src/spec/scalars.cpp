#include "spec/scalars.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <system_error>

namespace meshorch::spec_detail {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool all_of(std::string_view s, bool (*pred)(char)) {
    if (s.empty()) return false;
    for (char c : s) {
        if (!pred(c)) return false;
    }
    return true;
}

int digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 99;
}

// Accumulates digits of `base` into a uint64; false on overflow.
bool accumulate(std::string_view digits, unsigned base, std::uint64_t& out) {
    std::uint64_t v = 0;
    for (char c : digits) {
        const auto d = static_cast<unsigned>(digit_value(c));
        if (d >= base) return false;
        if (__builtin_mul_overflow(v, static_cast<std::uint64_t>(base), &v)) return false;
        if (__builtin_add_overflow(v, static_cast<std::uint64_t>(d), &v)) return false;
    }
    out = v;
    return true;
}

boost::json::value signed_value(bool negative, std::uint64_t magnitude) {
    constexpr auto int_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (!negative) {
        if (magnitude <= int_max) return static_cast<std::int64_t>(magnitude);
        return magnitude;
    }
    if (magnitude <= int_max) return -static_cast<std::int64_t>(magnitude);
    if (magnitude == int_max + 1) return std::numeric_limits<std::int64_t>::min();
    return -static_cast<double>(magnitude);
}

// Decimal text (digits with optional '.', exponent) -> double, correctly rounded, with
// overflow to +-inf and underflow to +-0.
double to_double(std::string_view text) {
    bool negative = false;
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
        negative = text.front() == '-';
        text.remove_prefix(1);
    }
    double d = 0;
    const auto r =
        std::from_chars(text.data(), text.data() + text.size(), d, std::chars_format::general);
    if (r.ec == std::errc::result_out_of_range) {
        // Overflow or underflow: find the decimal magnitude of the first significant digit.
        long long exponent = 0;
        std::size_t e = text.find_first_of("eE");
        std::string_view mantissa = text.substr(0, e);
        if (e != std::string_view::npos) {
            std::string_view exp = text.substr(e + 1);
            const bool exp_negative = !exp.empty() && exp.front() == '-';
            if (!exp.empty() && (exp.front() == '-' || exp.front() == '+')) exp.remove_prefix(1);
            std::uint64_t mag = 0;
            if (!accumulate(exp, 10, mag) || mag > 1'000'000'000ULL) mag = 1'000'000'000ULL;
            exponent = exp_negative ? -static_cast<long long>(mag) : static_cast<long long>(mag);
        }
        const std::size_t dot = mantissa.find('.');
        const std::string_view int_part = mantissa.substr(0, dot);
        const std::string_view frac_part =
            dot == std::string_view::npos ? std::string_view{} : mantissa.substr(dot + 1);
        long long magnitude = 0;
        const std::size_t first = int_part.find_first_not_of('0');
        if (first != std::string_view::npos) {
            magnitude = static_cast<long long>(int_part.size() - first);
        } else {
            const std::size_t f = frac_part.find_first_not_of('0');
            magnitude = f == std::string_view::npos ? -1'000'000'000LL : -static_cast<long long>(f);
        }
        d = magnitude + exponent > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    }
    return negative ? -d : d;
}

bool is_float_text(std::string_view s) {
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    const std::size_t int_start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    const std::size_t int_digits = i - int_start;
    std::size_t frac_digits = 0;
    bool dot = false;
    if (i < s.size() && s[i] == '.') {
        dot = true;
        ++i;
        const std::size_t frac_start = i;
        while (i < s.size() && is_digit(s[i])) ++i;
        frac_digits = i - frac_start;
    }
    // [0-9]+(\.[0-9]*)? or \.[0-9]+
    if (int_digits == 0 && !(dot && frac_digits > 0)) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        const std::size_t exp_start = i;
        while (i < s.size() && is_digit(s[i])) ++i;
        if (i == exp_start) return false;
    }
    return i == s.size();
}

bool is_core_null(std::string_view s) {
    return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}
bool is_core_true(std::string_view s) {
    return s == "true" || s == "True" || s == "TRUE";
}
bool is_core_false(std::string_view s) {
    return s == "false" || s == "False" || s == "FALSE";
}

bool is_integer_text(std::string_view s) {
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
        const unsigned base = s[1] == 'o' ? 8 : 16;
        for (char c : s.substr(2)) {
            if (static_cast<unsigned>(digit_value(c)) >= base) return false;
        }
        return true;
    }
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
    return all_of(s, is_digit);
}

bool is_special_float_text(std::string_view s) {
    if (s == ".nan" || s == ".NaN" || s == ".NAN") return true;
    if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
    return s == ".inf" || s == ".Inf" || s == ".INF";
}

// True when the plain scalar types as a string under the core schema.
bool resolves_to_string(std::string_view s) {
    return !(is_core_null(s) || is_core_true(s) || is_core_false(s) || is_integer_text(s) ||
             is_float_text(s) || is_special_float_text(s));
}

// Words that YAML 1.1 readers (go-yaml v2, PyYAML) take for booleans.
constexpr std::array<std::string_view, 16> yaml11_bools = {"y",  "Y",   "yes", "Yes", "YES", "n",
                                                           "N",  "no",  "No",  "NO",  "on",  "On",
                                                           "ON", "off", "Off", "OFF"};

bool plain_safe_char(char c) {
    if (is_alpha(c) || is_digit(c)) return true;
    switch (c) {
        case '_':
        case '.':
        case '/':
        case '-':
        case ':':
        case '+':
        case '=':
        case '@':
        case '~':
        case '(':
        case ')':
        case ',':
        case ';':
        case ' ':
        case '%':
        case '^': return true;
        default: return false;  // indicators, quotes, control and non-ASCII characters
    }
}

// Characters that can make a digit-led string a number, date or time in some YAML reader.
bool numberish_char(char c) {
    if (is_digit(c)) return true;
    switch (c) {
        case '_':
        case '.':
        case ':':
        case '+':
        case '-':
        case ' ':
        case 'a':
        case 'b':
        case 'c':
        case 'd':
        case 'e':
        case 'f':
        case 'A':
        case 'B':
        case 'C':
        case 'D':
        case 'E':
        case 'F':
        case 'x':
        case 'X':
        case 'o':
        case 'O':
        case 't':
        case 'T':
        case 'z':
        case 'Z': return true;
        default: return false;
    }
}

}  // namespace

std::optional<boost::json::value> parse_integer(std::string_view s) {
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
        const unsigned base = s[1] == 'o' ? 8 : 16;
        const std::string_view digits = s.substr(2);
        for (char c : digits) {
            if (static_cast<unsigned>(digit_value(c)) >= base) return std::nullopt;
        }
        std::uint64_t v = 0;
        if (accumulate(digits, base, v)) return signed_value(false, v);
        // Beyond 64 bits: approximate as a double, as JSON readers do.
        double d = 0;
        for (char c : digits) d = d * base + digit_value(c);
        return boost::json::value(d);
    }
    std::string_view digits = s;
    bool negative = false;
    if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
        negative = digits.front() == '-';
        digits.remove_prefix(1);
    }
    if (!all_of(digits, is_digit)) return std::nullopt;
    std::uint64_t v = 0;
    if (accumulate(digits, 10, v)) return signed_value(negative, v);
    return boost::json::value(to_double(s));
}

std::optional<double> parse_float(std::string_view s) {
    if (is_special_float_text(s)) {
        if (s[1] == 'n' || s[1] == 'N') return std::numeric_limits<double>::quiet_NaN();
        return s.front() == '-' ? -std::numeric_limits<double>::infinity()
                                : std::numeric_limits<double>::infinity();
    }
    if (!is_float_text(s)) return std::nullopt;
    return to_double(s);
}

boost::json::value parse_json_number(std::string_view text) {
    if (text.find_first_of(".eE") == std::string_view::npos) {
        if (auto v = parse_integer(text)) return *v;
    }
    return to_double(text);
}

boost::json::value resolve_plain_scalar(std::string_view s) {
    if (is_core_null(s)) return nullptr;
    if (is_core_true(s)) return true;
    if (is_core_false(s)) return false;
    const char first = s.front();
    if (is_digit(first) || first == '+' || first == '-' || first == '.') {
        if (auto v = parse_integer(s)) return *v;
        if (auto d = parse_float(s)) return *d;
    }
    return boost::json::string(s);
}

bool needs_quotes(std::string_view s) {
    if (s.empty()) return true;
    const char first = s.front();
    if (!(is_alpha(first) || is_digit(first) || first == '_' || first == '/')) return true;
    if (s.back() == ' ' || s.back() == ':') return true;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (!plain_safe_char(c)) return true;
        // ": " starts a mapping value; " #" a comment.
        if (c == ':' && i + 1 < s.size() && s[i + 1] == ' ') return true;
    }
    if (!resolves_to_string(s)) return true;
    for (auto word : yaml11_bools) {
        if (s == word) return true;
    }
    // Digit-led look-alikes of YAML 1.1 numbers, sexagesimals, dates and times.
    if (is_digit(first)) {
        bool numberish = true;
        for (char c : s) {
            if (!numberish_char(c)) {
                numberish = false;
                break;
            }
        }
        if (numberish) return true;
    }
    return false;
}

std::string format_double(double value) {
    std::array<char, 64> buf{};
    const auto r = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    std::string out(buf.data(), r.ptr);
    if (out.find_first_of(".eEn") == std::string::npos) out += ".0";
    return out;
}

bool is_valid_utf8(std::string_view s) {
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        i += len;
    }
    return true;
}

}  // namespace meshorch::spec_detail
