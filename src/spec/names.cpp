#include "spec/names.hpp"

#include <algorithm>
#include <vector>

namespace meshorch::spec_detail {

namespace {

bool is_lower(char c) {
    return c >= 'a' && c <= 'z';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alnum_lower(char c) {
    return is_lower(c) || is_digit(c);
}
bool is_alnum(char c) {
    return is_alnum_lower(c) || (c >= 'A' && c <= 'Z');
}
char lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Optimal string alignment distance (edits and adjacent transpositions), case-insensitive.
std::size_t typo_distance(std::string_view a, std::string_view b) {
    const std::size_t n = a.size();
    const std::size_t m = b.size();
    std::vector<std::size_t> d((n + 1) * (m + 1));
    auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * (m + 1) + j]; };
    for (std::size_t i = 0; i <= n; ++i) at(i, 0) = i;
    for (std::size_t j = 0; j <= m; ++j) at(0, j) = j;
    for (std::size_t i = 1; i <= n; ++i) {
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1])) {
                at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
            }
        }
    }
    return at(n, m);
}

}  // namespace

std::string dns1123_label_problem(std::string_view name) {
    if (name.empty()) return "must not be empty";
    if (name.size() > 63) {
        return "must be at most 63 characters (it has " + std::to_string(name.size()) + ")";
    }
    for (char c : name) {
        if (!is_alnum_lower(c) && c != '-') {
            return "must consist of lower-case letters, digits and '-'";
        }
    }
    if (name.front() == '-' || name.back() == '-') {
        return "must start and end with a lower-case letter or digit";
    }
    return {};
}

std::string dns1035_label_problem(std::string_view name) {
    if (auto p = dns1123_label_problem(name); !p.empty()) {
        if (p.rfind("must start and end", 0) == 0) {
            return "must start with a lower-case letter and end with a letter or digit";
        }
        return p;
    }
    if (!is_lower(name.front())) return "must start with a lower-case letter";
    return {};
}

std::string port_name_problem(std::string_view name) {
    if (name.empty()) return "must not be empty";
    if (name.size() > 15) {
        return "must be at most 15 characters (it has " + std::to_string(name.size()) + ")";
    }
    bool letter = false;
    for (char c : name) {
        if (!is_alnum_lower(c) && c != '-') {
            return "must consist of lower-case letters, digits and '-'";
        }
        letter = letter || is_lower(c);
    }
    if (name.front() == '-' || name.back() == '-') {
        return "must start and end with a lower-case letter or digit";
    }
    if (name.find("--") != std::string_view::npos) return "must not contain \"--\"";
    if (!letter) return "must contain at least one letter";
    return {};
}

std::string dns1123_subdomain_problem(std::string_view name) {
    if (name.empty()) return "must not be empty";
    if (name.size() > 253) {
        return "must be at most 253 characters (it has " + std::to_string(name.size()) + ")";
    }
    std::size_t start = 0;
    while (start <= name.size()) {
        std::size_t dot = name.find('.', start);
        if (dot == std::string_view::npos) dot = name.size();
        const std::string_view label = name.substr(start, dot - start);
        if (label.empty()) return "must not contain empty parts between dots";
        for (char c : label) {
            if (!is_alnum_lower(c) && c != '-') {
                return "must consist of lower-case letters, digits, '-' and '.'";
            }
        }
        if (label.front() == '-' || label.back() == '-') {
            return "each dot-separated part must start and end with a letter or digit";
        }
        start = dot + 1;
    }
    return {};
}

std::string label_key_problem(std::string_view key) {
    if (key.empty()) return "must not be empty";
    std::string_view name = key;
    if (const auto slash = key.find('/'); slash != std::string_view::npos) {
        const std::string_view prefix = key.substr(0, slash);
        name = key.substr(slash + 1);
        if (auto p = dns1123_subdomain_problem(prefix); !p.empty()) return "prefix " + p;
    }
    if (name.empty()) return "name part must not be empty";
    if (name.size() > 63) return "name part must be at most 63 characters";
    for (char c : name) {
        if (!is_alnum(c) && c != '-' && c != '_' && c != '.') {
            return "name part must consist of letters, digits, '-', '_' and '.'";
        }
    }
    if (!is_alnum(name.front()) || !is_alnum(name.back())) {
        return "name part must start and end with a letter or digit";
    }
    return {};
}

std::string label_value_problem(std::string_view value) {
    if (value.empty()) return {};
    if (value.size() > 63) return "must be at most 63 characters";
    for (char c : value) {
        if (!is_alnum(c) && c != '-' && c != '_' && c != '.') {
            return "must consist of letters, digits, '-', '_' and '.'";
        }
    }
    if (!is_alnum(value.front()) || !is_alnum(value.back())) {
        return "must start and end with a letter or digit";
    }
    return {};
}

bool is_lowercase_header_name(std::string_view name) {
    if (name.empty()) return false;
    static constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
    for (char c : name) {
        if (!is_alnum_lower(c) && specials.find(c) == std::string_view::npos) return false;
    }
    return true;
}

std::optional<long double> parse_quantity(std::string_view text) {
    std::size_t i = 0;
    const std::size_t n = text.size();
    long double mantissa = 0;
    std::size_t digits = 0;
    while (i < n && is_digit(text[i])) {
        mantissa = mantissa * 10 + (text[i] - '0');
        ++i;
        ++digits;
    }
    if (i < n && text[i] == '.') {
        ++i;
        long double scale = 0.1L;
        while (i < n && is_digit(text[i])) {
            mantissa += (text[i] - '0') * scale;
            scale /= 10;
            ++i;
            ++digits;
        }
    }
    if (digits == 0) return std::nullopt;
    const std::string_view suffix = text.substr(i);
    struct Suffix {
        std::string_view text;
        long double factor;
    };
    static constexpr Suffix suffixes[] = {
        {"", 1.0L},
        {"n", 1e-9L},
        {"u", 1e-6L},
        {"m", 1e-3L},
        {"k", 1e3L},
        {"M", 1e6L},
        {"G", 1e9L},
        {"T", 1e12L},
        {"P", 1e15L},
        {"E", 1e18L},
        {"Ki", 1024.0L},
        {"Mi", 1048576.0L},
        {"Gi", 1073741824.0L},
        {"Ti", 1099511627776.0L},
        {"Pi", 1125899906842624.0L},
        {"Ei", 1152921504606846976.0L},
    };
    for (const auto& s : suffixes) {
        if (suffix == s.text) return mantissa * s.factor;
    }
    // Decimal exponent: e3, E-2.
    if (suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
        std::size_t j = 1;
        const bool negative = suffix[j] == '-';
        if (suffix[j] == '+' || suffix[j] == '-') ++j;
        if (j >= suffix.size() || suffix.size() - j > 3) return std::nullopt;
        int exponent = 0;
        for (; j < suffix.size(); ++j) {
            if (!is_digit(suffix[j])) return std::nullopt;
            exponent = exponent * 10 + (suffix[j] - '0');
        }
        long double factor = 1;
        for (int k = 0; k < exponent; ++k) factor *= 10;
        return negative ? mantissa / factor : mantissa * factor;
    }
    return std::nullopt;
}

std::string closest_name(std::string_view word, std::initializer_list<std::string_view> known) {
    std::string_view best;
    if (word.size() > 64) return {};
    // Allowed typos: 1 in a short word, 2 in a medium one, 3 in a long one.
    std::size_t best_distance = word.size() <= 3 ? 2 : word.size() <= 6 ? 3 : 4;  // to beat
    for (auto k : known) {
        const std::size_t dist = typo_distance(word, k);
        if (dist < best_distance) {
            best_distance = dist;
            best = k;
        }
    }
    return std::string(best);
}

std::string range_reason(long long lo, long long hi, long long got) {
    return "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + " (got " +
           std::to_string(got) + ")";
}

std::string invalid_name(std::string_view value, std::string_view what, std::string_view problem) {
    std::string out = quoted(value);
    out += " is not a valid ";
    out += what;
    out += ": ";
    out += problem;
    return out;
}

bool has_space_or_control(std::string_view text) {
    return std::any_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f;
    });
}

std::string quoted(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    constexpr std::size_t max_length = 80;
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size() && i < max_length; ++i) {
        const auto u = static_cast<unsigned char>(text[i]);
        if (text[i] == '"' || text[i] == '\\') {
            out += '\\';
            out += text[i];
        } else if (u < 0x20 || u == 0x7f) {
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0xf];
        } else {
            out += text[i];
        }
    }
    if (text.size() > max_length) out += "...";
    out += '"';
    return out;
}

}  // namespace meshorch::spec_detail
